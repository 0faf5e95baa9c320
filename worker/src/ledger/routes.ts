import { customerIdSchema, invoiceIdSchema, jurisdictionCodeSchema, ledgerEntrySchema, ledgerTotals, periodKeySchema, totalsDimensions } from '@exemptions/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { validate } from '../http/validate.js';

export const ledgerQuerySchema = z.strictObject({
  invoiceId: invoiceIdSchema.optional(),
  customerId: customerIdSchema.optional(),
  periodKey: periodKeySchema.optional(),
  jurisdiction: jurisdictionCodeSchema.optional(),
});

export const ledgerTotalsQuerySchema = ledgerQuerySchema.extend({
  by: z
    .string()
    .default('periodKey,jurisdiction')
    .transform((value) => value.split(',').filter((part) => part !== ''))
    .pipe(z.array(z.enum(totalsDimensions)).min(1).max(totalsDimensions.length)),
});

export const ledgerEntryListSchema = z.object({ data: z.array(ledgerEntrySchema) });

export const ledgerTotalsSchema = z.object({
  data: z.array(
    z.object({
      periodKey: z.string().optional(),
      jurisdiction: z.string().nullable().optional(),
      customerId: z.string().optional(),
      invoiceId: z.string().optional(),
      currency: z.string(),
      taxable: z.int(),
      exempt: z.int(),
      tax: z.int(),
      exposedExempt: z.int(),
      overCollectedTax: z.int(),
      entries: z.int(),
    }),
  ),
});

/** The tax ledger, read-only: entries are only ever added, by events and reprocessing. */
export function ledgerRoutes({ ledger }: ServiceContext): Router {
  const router = Router();
  router.get('/ledger/entries', async (req, res) => {
    const query = validate(ledgerQuerySchema, req.query, 'query');
    res.json({ data: await ledger.find(tenantOf(res), query) });
  });
  router.get('/ledger/totals', async (req, res) => {
    const { by, ...query } = validate(ledgerTotalsQuerySchema, req.query, 'query');
    res.json({ data: ledgerTotals(await ledger.find(tenantOf(res), query), by) });
  });
  return router;
}
