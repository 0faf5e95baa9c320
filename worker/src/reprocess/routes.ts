import { randomBytes } from 'node:crypto';
import { addDays, calendarDateSchema, compareDates, isCalendarDate, skipReasons, type ReprocessPlan, type ReprocessWarning } from '@exemptions/shared';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { REPROCESS_RUN } from '../jobs/reprocessRun.js';
import { CustomerAddressUnavailableError, buildReprocessPlan, planRun } from './buildPlan.js';
import type { ReprocessRun } from './runRepository.js';

const MAX_RANGE_YEARS = 10;
const reprocessWarnings = ['changes_in_filed_periods', 'refunds_due', 'past_refund_statute'] as const satisfies readonly ReprocessWarning[];

const rangeShape = {
  startDate: calendarDateSchema,
  endDate: calendarDateSchema,
  prioritizeCustomerAddress: z.boolean().default(false),
};

function checkRange<T extends { startDate: string; endDate: string }>(range: T, ctx: z.RefinementCtx): void {
  // A malformed date already has its own issue; comparing it would only throw.
  if (!isCalendarDate(range.startDate) || !isCalendarDate(range.endDate)) return;
  if (compareDates(range.startDate, range.endDate) > 0) {
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: `endDate ${range.endDate} is before startDate ${range.startDate}` });
  } else if (compareDates(range.endDate, addDays(range.startDate, 366 * MAX_RANGE_YEARS)) > 0) {
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: `the range may span at most ${MAX_RANGE_YEARS} years` });
  }
}

export const previewRequestSchema = z.strictObject(rangeShape).superRefine(checkRange);

export const startRequestSchema = z
  .strictObject({ ...rangeShape, acknowledgedWarnings: z.array(z.enum(reprocessWarnings)).max(reprocessWarnings.length).default([]) })
  .superRefine(checkRange);

const idParam = z.string().regex(/^cert_[0-9a-f]{24}$/, 'must be a certificate id (cert_…)');
const runIdParam = z.string().regex(/^rp_[0-9a-f]{24}$/, 'must be a reprocess run id (rp_…)');

const summarySchema = z.object({
  transactions: z.int(),
  changes: z.int(),
  inOpenPeriods: z.int(),
  inFiledPeriods: z.int(),
  skipped: z.object({ jurisdiction_not_covered: z.int(), outside_validity: z.int(), other_purchase: z.int(), already_exempt: z.int() }),
  refundByCurrency: z.record(z.string(), z.int()),
  pastRefundStatute: z.int(),
  pastRefundStatuteAssumed: z.int(),
  warnings: z.array(z.enum(reprocessWarnings)),
});

export const previewSchema = z.object({
  summary: summarySchema,
  items: z.array(
    z.object({
      invoiceId: z.string(),
      invoiceNumber: z.string().nullable(),
      jurisdiction: z.string().nullable(),
      transactionDate: z.string(),
      currency: z.string(),
      periodKey: z.string(),
      action: z.enum(['change', 'skip']),
      reason: z.enum(skipReasons).optional(),
      inFiledPeriod: z.boolean().optional(),
      refund: z.int().optional(),
      pastRefundStatute: z.boolean().optional(),
    }),
  ),
});

export const runSchema = z.object({
  id: z.string(),
  certificateId: z.string(),
  customerId: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  prioritizeCustomerAddress: z.boolean(),
  status: z.enum(['queued', 'running', 'completed', 'cancelled', 'failed']),
  total: z.int(),
  processed: z.int(),
  changed: z.int(),
  skipped: z.record(z.string(), z.int()),
  preview: summarySchema,
  acknowledged: z.array(z.enum(reprocessWarnings)),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  cancelRequestedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});

export const runListSchema = z.object({ data: z.array(runSchema) });

function previewView(plan: ReprocessPlan) {
  return {
    summary: plan.summary,
    items: plan.items.map((item) =>
      item.action === 'skip'
        ? { invoiceId: item.invoiceId, invoiceNumber: item.invoiceNumber, jurisdiction: item.jurisdiction, transactionDate: item.transactionDate, currency: item.currency, periodKey: item.periodKey, action: item.action, reason: item.reason }
        : {
            invoiceId: item.invoiceId,
            invoiceNumber: item.invoiceNumber,
            jurisdiction: item.jurisdiction,
            transactionDate: item.transactionDate,
            currency: item.currency,
            periodKey: item.periodKey,
            action: item.action,
            inFiledPeriod: item.inFiledPeriod,
            refund: item.refund,
            pastRefundStatute: item.pastRefundStatute,
          },
    ),
  };
}

function runView(run: ReprocessRun) {
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  return {
    id: run.id,
    certificateId: run.certificateId,
    customerId: run.customerId,
    startDate: run.startDate,
    endDate: run.endDate,
    prioritizeCustomerAddress: run.prioritizeCustomerAddress,
    status: run.status,
    total: run.total,
    processed: run.processed,
    changed: run.changed,
    skipped: run.skipped,
    preview: run.preview,
    acknowledged: run.acknowledged,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    cancelRequestedAt: iso(run.cancelRequestedAt),
    error: run.error,
  };
}

/** Reprocessing transactions for a certificate: preview → acknowledge → start → progress → done (or cancel). */
export function reprocessRoutes(context: ServiceContext): Router {
  const { certificates, reprocessRuns: runs, queue, clock } = context;
  const router = Router();

  async function applicableCertificate(res: Response, id: string) {
    const stored = await certificates.find(tenantOf(res), id);
    if (stored === null) throw new HttpError(404, `No certificate ${id} in this account`);
    if (stored.certificate.archivedAt !== null) throw new HttpError(409, `certificate ${id} is archived: an archived certificate is not applied to transactions`);
    return stored.certificate;
  }

  async function planned<T>(build: () => Promise<T>): Promise<T> {
    try {
      return await build();
    } catch (error) {
      if (error instanceof CustomerAddressUnavailableError) throw new HttpError(422, `prioritizeCustomerAddress: ${error.message}`);
      throw error;
    }
  }

  router.post('/certificates/:id/reprocess/preview', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const range = validate(previewRequestSchema, req.body ?? {}, 'body');
    const certificate = await applicableCertificate(res, id);
    res.json(previewView(await planned(() => buildReprocessPlan(context, tenantOf(res), certificate, range))));
  });

  router.post('/certificates/:id/reprocess', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const { acknowledgedWarnings, ...range } = validate(startRequestSchema, req.body ?? {}, 'body');
    const certificate = await applicableCertificate(res, id);
    const tenant = tenantOf(res);
    const runId = `rp_${randomBytes(12).toString('hex')}`;
    // The summary, and the run's work list written as the plan is read (no plan is held whole).
    const { summary, workList } = await planned(() => planRun(context, tenant, certificate, range, runId, { refunds: true }));
    const missing = summary.warnings.filter((warning) => !acknowledgedWarnings.includes(warning));
    if (missing.length > 0) {
      await runs.dropWorkList(runId, workList.chunks);
      throw new HttpError(422, `acknowledgedWarnings: acknowledge ${missing.join(', ')} before starting`, { warnings: summary.warnings, summary });
    }
    const run = {
      id: runId,
      accountId: tenant.accountId,
      livemode: tenant.livemode,
      certificateId: certificate.id,
      customerId: certificate.customerId,
      ...range,
      status: 'queued' as const,
      total: workList.lines,
      workList,
      processed: 0,
      changed: 0,
      skipped: {},
      preview: summary,
      acknowledged: acknowledgedWarnings,
      requestedBy: { type: 'user' as const, id: tenant.userId },
      createdAt: clock.now(),
      startedAt: null,
      finishedAt: null,
      error: null,
    };
    await runs.create(run);
    await queue.enqueue(REPROCESS_RUN, { runId: run.id });
    res.status(201).json(runView({ ...run, cancelRequestedAt: null }));
  });

  router.get('/certificates/:id/reprocess', async (req, res) => {
    const id = validate(idParam, req.params.id, 'certificate id');
    const tenant = tenantOf(res);
    if ((await certificates.find(tenant, id)) === null) throw new HttpError(404, `No certificate ${id} in this account`);
    res.json({ data: (await runs.ofCertificate(tenant, id)).map(runView) });
  });

  router.get('/reprocess/:runId', async (req, res) => {
    const runId = validate(runIdParam, req.params.runId, 'run id');
    const run = await runs.get(tenantOf(res), runId);
    if (run === null) throw new HttpError(404, `No reprocess run ${runId} in this account`);
    res.json(runView(run));
  });

  router.post('/reprocess/:runId/cancel', async (req, res) => {
    const runId = validate(runIdParam, req.params.runId, 'run id');
    const tenant = tenantOf(res);
    const run = await runs.get(tenant, runId);
    if (run === null) throw new HttpError(404, `No reprocess run ${runId} in this account`);
    // A finished run has nothing left to stop; asking is harmless and changes nothing.
    if (run.status === 'queued' || run.status === 'running') await runs.requestCancel(tenant, runId, clock.now());
    res.json(runView((await runs.get(tenant, runId)) ?? run));
  });

  return router;
}
