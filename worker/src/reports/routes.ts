import {
  calendarDateSchema,
  compareDates,
  flaggedReport,
  flaggedReportCsv,
  flaggedReportKinds,
  isCalendarDate,
  jurisdictionCodeSchema,
  treatments,
  type FlaggedReport,
  type FlaggedReportKind,
} from '@exemptions/shared';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { sendCsv } from '../csv/csvText.js';
import { tenantOf } from '../http/auth/tenant.js';
import { validate } from '../http/validate.js';

/** Both bounds inclusive, on the invoice's transaction date (its finalization day in the account's time zone). */
export const reportQuerySchema = z
  .strictObject({
    from: calendarDateSchema.optional(),
    to: calendarDateSchema.optional(),
    jurisdiction: jurisdictionCodeSchema.optional(),
  })
  // zod runs this even when a date failed its own check, and compareDates throws on a malformed one
  // (a 500); such a date already has its issue, so only well-formed dates are compared.
  .refine((query) => !isCalendarDate(query.from) || !isCalendarDate(query.to) || compareDates(query.from, query.to) <= 0, {
    path: ['to'],
    error: 'must not be before from',
  });

const amount = z.int();

export const flaggedReportSchema = z.object({
  kind: z.enum(flaggedReportKinds),
  filter: z.object({ from: calendarDateSchema.nullable(), to: calendarDateSchema.nullable(), jurisdiction: jurisdictionCodeSchema.nullable() }),
  rows: z.array(
    z.object({
      entryId: z.string(),
      invoiceId: z.string(),
      invoiceNumber: z.string().nullable(),
      purchaseOrder: z.string().nullable(),
      customerId: z.string(),
      jurisdiction: jurisdictionCodeSchema.nullable(),
      transactionDate: calendarDateSchema,
      periodKey: z.string(),
      currency: z.string(),
      treatment: z.enum(treatments),
      taxable: amount,
      exempt: amount,
      tax: amount,
      exposedExempt: amount,
      overCollectedTax: amount,
      certificate: z.object({ id: z.string(), version: z.int().positive(), number: z.string().nullable() }).nullable(),
      taxabilityReasons: z.array(z.string()),
    }),
  ),
  totals: z.array(
    z.object({
      currency: z.string(),
      taxable: amount,
      exempt: amount,
      tax: amount,
      exposedExempt: amount,
      overCollectedTax: amount,
      entries: z.int().nonnegative(),
    }),
  ),
});

type ReportQuery = z.infer<typeof reportQuerySchema>;

/** The report paths, each also served as CSV at `<path>.csv`. */
export const reportPaths = { exposure: '/reports/exposure', over_collection: '/reports/over-collection' } as const satisfies Record<FlaggedReportKind, string>;

function csvFilename(kind: FlaggedReportKind, query: ReportQuery): string {
  const parts = [kind === 'exposure' ? 'exposure-report' : 'over-collection-report'];
  if (query.from !== undefined) parts.push(`from-${query.from}`);
  if (query.to !== undefined) parts.push(`to-${query.to}`);
  if (query.jurisdiction !== undefined) parts.push(query.jurisdiction);
  return `${parts.join('_')}.csv`;
}

/**
 * The exposure and over-collection reports over the tax ledger, as JSON and as CSV. Both
 * read only the flagged entries, which hold every flagged line whole (see `flaggedReport`).
 */
export function reportRoutes({ ledger }: ServiceContext): Router {
  const router = Router();

  async function build(req: Request, res: Response, kind: FlaggedReportKind): Promise<{ report: FlaggedReport; query: ReportQuery }> {
    const query = validate(reportQuerySchema, req.query, 'query');
    const entries = await ledger.findFlagged(tenantOf(res), { jurisdiction: query.jurisdiction });
    return { report: flaggedReport(entries, kind, query), query };
  }

  for (const kind of flaggedReportKinds) {
    const path = reportPaths[kind];
    router.get(path, async (req, res) => {
      const { report, query } = await build(req, res, kind);
      res.json({ ...report, filter: { from: query.from ?? null, to: query.to ?? null, jurisdiction: query.jurisdiction ?? null } });
    });
    router.get(`${path}.csv`, async (req, res) => {
      const { report, query } = await build(req, res, kind);
      sendCsv(res, csvFilename(kind, query), flaggedReportCsv(report));
    });
  }
  return router;
}
