import { pipeline } from 'node:stream/promises';
import {
  certificateDetailsSchema,
  certificateJurisdictionsSchema,
  certificateRequestInputSchema,
  customerIdSchema,
  notesSchema,
  requestStatuses,
  submissionLimits,
  type Actor,
} from '@exemptions/shared';
import { create as contentDisposition } from 'content-disposition';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import { certificateView } from '../certificates/certificateView.js';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { RequestNotFoundError } from './errors.js';
import { approveRequest, cancelRequest, createRequest, rejectRequest, resendRequest } from './requestFlows.js';
import { requestView } from './requestView.js';

export const requestIdParam = z.string().regex(/^creq_[0-9a-f]{24}$/, 'must be a certificate request id (creq_…)');

const cursorSchema = z.string().transform((value, ctx): { createdAt: string; id: string } => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    const [createdAt, id] = z.tuple([z.string().max(64), z.string().max(64)]).parse(decoded);
    return { createdAt, id };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
    return z.NEVER;
  }
});

export const requestListQuerySchema = z.strictObject({
  status: z.enum(requestStatuses).optional(),
  customerId: customerIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: cursorSchema.optional(),
});

export const reviewQueueQuerySchema = requestListQuerySchema.pick({ limit: true, cursor: true });

export const resendBodySchema = z.strictObject({ email: z.email({ error: 'must be an email address' }).max(254).optional() }).default({});

/** The reviewer's corrections: each group present replaces what the customer submitted. */
export const approveBodySchema = z
  .strictObject({
    details: certificateDetailsSchema.optional(),
    jurisdictions: certificateJurisdictionsSchema.optional(),
    notes: notesSchema.optional(),
  })
  .default({});

export const rejectBodySchema = z.strictObject({
  reason: z
    .string({ error: 'give the reason the customer will read' })
    .trim()
    .min(1, { error: 'give the reason the customer will read' })
    .max(submissionLimits.rejectionReasonLength, { error: `must be at most ${submissionLimits.rejectionReasonLength} characters` }),
});

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function actorOf(res: Response): Actor {
  return { type: 'user', id: tenantOf(res).userId };
}

/** Requests, the review queue and decisions: the merchant's side, under /api/v1 (signed). */
export function certificateRequestRoutes(context: ServiceContext): Router {
  const router = Router();

  async function page(res: Response, query: z.infer<typeof requestListQuerySchema>): Promise<void> {
    const { items, hasMore } = await context.requests.list(tenantOf(res), { status: query.status, customerId: query.customerId, limit: query.limit, after: query.cursor });
    const last = items.at(-1);
    res.json({ data: items.map(requestView), nextCursor: hasMore && last !== undefined ? encodeCursor(last.createdAt, last._id) : null });
  }

  router.post('/certificate-requests', async (req, res) => {
    const input = validate(certificateRequestInputSchema, req.body, 'body');
    const request = await createRequest(context, tenantOf(res), input, actorOf(res));
    res.status(201).json(requestView(request));
  });

  router.get('/certificate-requests', async (req, res) => {
    await page(res, validate(requestListQuerySchema, req.query, 'query'));
  });

  router.get('/review-queue', async (req, res) => {
    await page(res, { ...validate(reviewQueueQuerySchema, req.query, 'query'), status: 'submitted' });
  });

  router.get('/certificate-requests/:id', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    const request = await context.requests.find(tenantOf(res), id);
    if (request === null) throw new RequestNotFoundError(id);
    res.json(requestView(request));
  });

  router.post('/certificate-requests/:id/resend', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    const body = validate(resendBodySchema, req.body, 'body');
    res.json(requestView(await resendRequest(context, tenantOf(res), id, body.email)));
  });

  router.post('/certificate-requests/:id/cancel', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    res.json(requestView(await cancelRequest(context, tenantOf(res), id)));
  });

  router.post('/certificate-requests/:id/approve', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    const corrections = validate(approveBodySchema, req.body, 'body');
    const tenant = tenantOf(res);
    const result = await approveRequest(context, tenant, id, corrections, actorOf(res));
    const certificate = result.certificateId === null ? null : await context.certificates.find(tenant, result.certificateId);
    if (certificate === null) throw new Error(`approved request ${id} has no certificate`);
    const basis = statusBasisFor(await context.settings.get(tenant), context.clock);
    res.json({ request: requestView(result.request), certificate: certificateView(certificate, basis) });
  });

  router.post('/certificate-requests/:id/reject', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    const { reason } = validate(rejectBodySchema, req.body, 'body');
    const tenant = tenantOf(res);
    const result = await rejectRequest(context, tenant, id, reason, actorOf(res));
    const resubmission = result.resubmissionRequestId === null ? null : await context.requests.find(tenant, result.resubmissionRequestId);
    res.json({ request: requestView(result.request), resubmission: resubmission === null ? null : requestView(resubmission) });
  });

  router.get('/certificate-requests/:id/file', async (req, res) => {
    const id = validate(requestIdParam, req.params.id, 'request id');
    const tenant = tenantOf(res);
    const request = await context.requests.find(tenant, id);
    if (request === null) throw new RequestNotFoundError(id);
    const download = request.submission === null ? null : await context.files.open(tenant, id, request.submission.file.id);
    if (download === null) throw new HttpError(404, `Request ${id} has no submitted file`);
    res.status(200).set({
      'Content-Type': download.file.contentType,
      'Content-Length': String(download.file.size),
      'Content-Disposition': contentDisposition(download.file.filename),
      // The customer chose these bytes: never let a browser render them in our origin.
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, no-store',
    });
    await pipeline(download.stream, res).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') req.log.error({ err: error, requestId: id }, 'request file download failed mid-stream');
    });
  });

  return router;
}
