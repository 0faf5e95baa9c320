import { randomBytes } from 'node:crypto';
import {
  applyCertificatePatch,
  archiveCertificate,
  certificateInputSchema,
  certificateLimits,
  certificatePatchSchema,
  certificateStatuses,
  createCertificate,
  customerIdSchema,
  customerStatus,
  exemptionReasonSchema,
  jurisdictionCodeSchema,
  VersionConflictError,
  CertificateArchivedError,
  type Actor,
} from '@exemptions/shared';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import { tenantOf } from '../http/auth/tenant.js';
import type { ServiceContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { SYNC_CUSTOMER_COVERAGE } from '../jobs/syncCustomerCoverage.js';
import type { SearchCursor, StatusBasis } from './certificateRepository.js';
import { certificateView } from './certificateView.js';

const idParam = z.string().regex(/^cert_[0-9a-f]{24}$/, 'must be a certificate id (cert_…)');

export function newCertificateId(): string {
  return `cert_${randomBytes(12).toString('hex')}`;
}

function encodeCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString('base64url');
}

const cursorSchema = z.string().transform((value, ctx): SearchCursor => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    const parsed = z.tuple([z.string().max(64), z.string().max(64)]).parse(decoded);
    return { key: parsed[0], id: parsed[1] };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
    return z.NEVER;
  }
});

export const listQuerySchema = z.strictObject({
  q: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  status: z.enum(certificateStatuses).optional(),
  jurisdiction: jurisdictionCodeSchema.optional(),
  reason: exemptionReasonSchema.optional(),
  sort: z.enum(['expiration', 'updated']).default('expiration'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: cursorSchema.optional(),
});

export const archiveBodySchema = z
  .strictObject({
    reason: z.string().trim().max(certificateLimits.archivedReasonLength).optional(),
    expectedVersion: z.int().positive().optional(),
  })
  .default({});

function actorOf(res: Response): Actor {
  return { type: 'user', id: tenantOf(res).userId };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No certificate ${id} in this account`);
}

export function certificateRoutes(context: ServiceContext): Router {
  const { certificates, settings, stripe, clock, queue } = context;
  const router = Router();

  /** Coverage may have changed: let the jobs process bring Stripe's tax_exempt in line. */
  async function resync(res: Response, customerId: string): Promise<void> {
    const { accountId, livemode } = tenantOf(res);
    await queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId, livemode, customerId });
  }

  async function basisOf(res: Response): Promise<StatusBasis> {
    return statusBasisFor(await settings.get(tenantOf(res)), clock);
  }

  async function conflict(res: Response, id: string, error: VersionConflictError | CertificateArchivedError): Promise<HttpError> {
    const current = await certificates.find(tenantOf(res), id);
    return new HttpError(409, error.message, { current: current === null ? null : certificateView(current, await basisOf(res)) });
  }

  router.get('/certificates', async (req, res) => {
    const query = validate(listQuerySchema, req.query, 'query');
    const basis = await basisOf(res);
    const page = await certificates.search(tenantOf(res), query, basis);
    res.json({
      data: page.items.map((item) => certificateView(item, basis)),
      nextCursor: page.next === null ? null : encodeCursor(page.next),
    });
  });

  router.get('/customers/:customerId/certificates', async (req, res) => {
    const customerId = validate(customerIdSchema, req.params.customerId, 'customer id');
    const basis = await basisOf(res);
    const stored = await certificates.ofCustomer(tenantOf(res), customerId);
    res.json({
      customerId,
      status: customerStatus(
        stored.map((s) => s.certificate),
        basis.today,
        basis.windowDays,
      ),
      data: stored.map((s) => certificateView(s, basis)),
    });
  });

  router.get('/certificates/:id', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const tenant = tenantOf(res);
    const stored = await certificates.find(tenant, id);
    if (stored === null) throw notFound(id);
    res.json({ ...certificateView(stored, await basisOf(res)), history: await certificates.historyOf(tenant, id) });
  });

  router.post('/certificates', async (req, res) => {
    const input = validate(certificateInputSchema, req.body, 'body');
    const tenant = tenantOf(res);
    const customer = await stripe.retrieveCustomer(tenant, input.customerId);
    if (customer === null || customer.deleted) {
      throw new HttpError(422, `customerId: no customer ${input.customerId} in this Stripe account`);
    }
    const certificate = createCertificate(input, {
      id: newCertificateId(),
      accountId: tenant.accountId,
      livemode: tenant.livemode,
      source: 'merchant',
      now: clock.now().toISOString(),
    });
    const stored = { certificate, customer: { name: customer.name, email: customer.email } };
    const basis = await basisOf(res);
    await certificates.insert(certificate, stored.customer, basis, actorOf(res));
    await resync(res, certificate.customerId);
    res.status(201).json(certificateView(stored, basis));
  });

  router.patch('/certificates/:id', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const patch = validate(certificatePatchSchema, req.body, 'body');
    const tenant = tenantOf(res);
    const before = await certificates.find(tenant, id);
    if (before === null) throw notFound(id);
    try {
      const after = applyCertificatePatch(before.certificate, patch, clock.now().toISOString());
      const basis = await basisOf(res);
      await certificates.saveNextVersion(before, after, basis, actorOf(res), 'edited');
      await resync(res, after.customerId);
      res.json(certificateView({ certificate: after, customer: before.customer }, basis));
    } catch (error) {
      if (error instanceof VersionConflictError || error instanceof CertificateArchivedError) throw await conflict(res, id, error);
      throw error;
    }
  });

  router.post('/certificates/:id/archive', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const body = validate(archiveBodySchema, req.body, 'body');
    const tenant = tenantOf(res);
    const before = await certificates.find(tenant, id);
    if (before === null) throw notFound(id);
    // Archiving twice is one archive: the second call reports the state the first left.
    const basis = await basisOf(res);
    if (before.certificate.archivedAt !== null) {
      res.json(certificateView(before, basis));
      return;
    }
    try {
      const after = archiveCertificate(before.certificate, {
        expectedVersion: body.expectedVersion ?? before.certificate.version,
        reason: body.reason ?? null,
        now: clock.now().toISOString(),
      });
      await certificates.saveNextVersion(before, after, basis, actorOf(res), 'archived');
      await resync(res, after.customerId);
      res.json(certificateView({ certificate: after, customer: before.customer }, basis));
    } catch (error) {
      if (error instanceof VersionConflictError) {
        // A concurrent archive is still an archive: report it as done.
        const current = await certificates.find(tenant, id);
        if (current?.certificate.archivedAt != null && body.expectedVersion === undefined) {
          res.json(certificateView(current, basis));
          return;
        }
        throw await conflict(res, id, error);
      }
      throw error;
    }
  });

  return router;
}
