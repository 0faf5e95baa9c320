import {
  comparePeriods,
  currentOpenPeriod,
  jurisdictionCodeSchema,
  ledgerTotals,
  periodFrequencyOf,
  periodKey,
  periodKeySchema,
  type JurisdictionCode,
} from '@exemptions/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { ledgerContextFor } from '../ledger/ledgerContextFor.js';

export const periodsQuerySchema = z.strictObject({ jurisdiction: jurisdictionCodeSchema.optional() });

export const fileRequestSchema = z.strictObject({ jurisdiction: jurisdictionCodeSchema, periodKey: periodKeySchema });

const amountsSchema = z.object({ currency: z.string(), taxable: z.int(), exempt: z.int(), tax: z.int() });

const filingSchema = z.object({
  jurisdiction: z.string().nullable(),
  periodKey: z.string(),
  filedAt: z.iso.datetime(),
  filedBy: z.object({ type: z.enum(['user', 'customer', 'system']), id: z.string() }),
});

export const periodListSchema = z.object({
  data: z.array(
    z.object({
      jurisdiction: z.string().nullable(),
      frequency: z.enum(['monthly', 'quarterly', 'annual']),
      currentOpenPeriod: z.string(),
      periods: z.array(
        z.object({
          periodKey: z.string(),
          status: z.enum(['open', 'filed']),
          current: z.boolean(),
          filedAt: z.iso.datetime().nullable(),
          totals: z.array(amountsSchema),
        }),
      ),
    }),
  ),
});

export const filedPeriodSchema = filingSchema;

/** Filing periods: their totals per jurisdiction, which is the current open one, and filing a return. */
export function periodRoutes(context: ServiceContext): Router {
  const { ledger, filing, clock } = context;
  const router = Router();

  router.get('/periods', async (req, res) => {
    const query = validate(periodsQuerySchema, req.query, 'query');
    const tenant = tenantOf(res);
    const ctx = await ledgerContextFor(context, tenant);
    const entries = await ledger.find(tenant, query.jurisdiction === undefined ? {} : { jurisdiction: query.jurisdiction });
    const filings = await filing.list(tenant);
    const rows = ledgerTotals(entries, ['jurisdiction', 'periodKey']);
    const jurisdictions = new Set<JurisdictionCode | null>(rows.map((row) => row.jurisdiction ?? null));
    for (const f of filings) if (query.jurisdiction === undefined || f.jurisdiction === query.jurisdiction) jurisdictions.add(f.jurisdiction);
    if (query.jurisdiction !== undefined) jurisdictions.add(query.jurisdiction);

    const data = [...jurisdictions].map((jurisdiction) => {
      const frequency = ctx.periodFrequency(jurisdiction);
      const current = currentOpenPeriod(ctx.today, frequency, (key) => ctx.isFiled(jurisdiction, key));
      const keys = new Set<string>([current]);
      for (const row of rows) if ((row.jurisdiction ?? null) === jurisdiction && row.periodKey !== undefined) keys.add(row.periodKey);
      for (const f of filings) if (f.jurisdiction === jurisdiction) keys.add(f.periodKey);
      const periods = [...keys].sort(comparePeriods).map((key) => {
        const filed = filings.find((f) => f.jurisdiction === jurisdiction && f.periodKey === key);
        return {
          periodKey: key,
          status: filed === undefined ? ('open' as const) : ('filed' as const),
          current: key === current,
          filedAt: filed?.filedAt.toISOString() ?? null,
          totals: rows
            .filter((row) => (row.jurisdiction ?? null) === jurisdiction && row.periodKey === key)
            .map(({ currency, taxable, exempt, tax }) => ({ currency, taxable, exempt, tax })),
        };
      });
      return { jurisdiction, frequency, currentOpenPeriod: current, periods };
    });
    res.json({ data });
  });

  router.post('/periods/file', async (req, res) => {
    const { jurisdiction, periodKey: key } = validate(fileRequestSchema, req.body, 'body');
    const tenant = tenantOf(res);
    const ctx = await ledgerContextFor(context, tenant);
    const frequency = ctx.periodFrequency(jurisdiction);
    if (periodFrequencyOf(key) !== frequency) {
      throw new HttpError(422, `periodKey: ${jurisdiction} is filed ${frequency}; ${key} is not a ${frequency} period`);
    }
    if (comparePeriods(key, periodKey(ctx.today, frequency)) > 0) {
      throw new HttpError(422, `periodKey: ${key} has not started yet, so it cannot be filed`);
    }
    const filed = await filing.file(tenant, jurisdiction, key, { type: 'user', id: tenantOf(res).userId }, clock.now());
    req.log.info({ accountId: tenant.accountId, jurisdiction, periodKey: key, filedBy: filed.filedBy }, 'period filed');
    res.json({ ...filed, filedAt: filed.filedAt.toISOString() });
  });

  return router;
}
