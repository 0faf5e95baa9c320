import { certificateCsv } from '@exemptions/shared';
import { Router } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { csvBodyOf, sendCsv } from '../csv/csvText.js';
import { tenantOf } from '../http/auth/tenant.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { applyImport, importReport, planImport } from './importCertificates.js';

/** The export and the import take no parameters; an unknown one is refused, as everywhere. */
export const certificateExportQuerySchema = z.strictObject({});

const count = z.int().nonnegative();

/** A problem with a line of the CSV: line 1 is the header; `field` is the column, empty for the line as a whole. */
export const csvProblemSchema = z.object({ line: z.int().positive(), field: z.string(), message: z.string() });

export const importReportSchema = z.object({
  dryRun: z.boolean(),
  rows: z.array(
    z.object({
      line: z.int().positive(),
      externalId: z.string(),
      action: z.enum(['create', 'update', 'unchanged']),
      certificateId: z.string().nullable(),
    }),
  ),
  errors: z.array(csvProblemSchema),
  counts: z.object({ create: count, update: count, unchanged: count, rejectedLines: count }),
});

export const importRejectedSchema = z.object({
  error: z.object({ message: z.string(), details: z.array(csvProblemSchema) }),
});

/**
 * Certificates as CSV: the export, the import's dry run and the import. Mounted before the
 * JSON body parser, since the import's body is the CSV itself (`text/csv`), and before
 * `/certificates/:id`, which would take `export.csv` for an id.
 */
export function certificateCsvRoutes(context: ServiceContext): Router {
  const { certificates, externalIds, settings, clock } = context;
  const router = Router();

  router.get('/certificates/export.csv', async (req, res) => {
    validate(certificateExportQuerySchema, req.query, 'query');
    const tenant = tenantOf(res);
    const basis = statusBasisFor(await settings.get(tenant), clock);
    const [stored, claims] = await Promise.all([certificates.all(tenant), externalIds.claims(tenant)]);
    // Claims come sorted, so a certificate claimed twice (not by the import, but possible) exports the same id every time.
    const imported = new Map<string, string>();
    for (const claim of claims) if (!imported.has(claim.certificateId)) imported.set(claim.certificateId, claim.externalId);
    const sources = stored.map((item) => ({ ...item, externalId: imported.get(item.certificate.id) ?? item.certificate.id }));
    sendCsv(res, `certificates-${basis.today}.csv`, certificateCsv(sources, basis));
  });

  router.post('/certificates/import/dry-run', async (req, res) => {
    validate(certificateExportQuerySchema, req.query, 'query');
    const plan = await planImport(context, tenantOf(res), csvBodyOf(req));
    res.json(importReport(plan, true));
  });

  router.post('/certificates/import', async (req, res) => {
    validate(certificateExportQuerySchema, req.query, 'query');
    const tenant = tenantOf(res);
    const plan = await planImport(context, tenant, csvBodyOf(req));
    if (plan.problems.length > 0) {
      const lines = new Set(plan.problems.map((problem) => problem.line)).size;
      throw new HttpError(422, `${lines} line${lines === 1 ? '' : 's'} of the CSV cannot be imported, so nothing was: fix them (see details) and send the file again`, plan.problems);
    }
    const applied = await applyImport(context, tenant, { type: 'user', id: tenant.userId }, plan);
    res.json(importReport(plan, false, applied));
  });

  return router;
}
