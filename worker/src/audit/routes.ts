import { auditRangeProblem, calendarDateSchema, customerIdSchema, isCalendarDate, type AuditScope } from '@exemptions/shared';
import { create as contentDisposition } from 'content-disposition';
import { Router } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { validate } from '../http/validate.js';
import { certificatesInScope } from './auditScope.js';
import { writeAuditPackage } from './writeAuditPackage.js';
import { ZipStream } from './zipStream.js';

/** Exactly one scope: a customer, or a range given by both of its ends. */
export const auditPackageQuerySchema = z
  .strictObject({
    customerId: customerIdSchema.optional(),
    from: calendarDateSchema.optional(),
    to: calendarDateSchema.optional(),
  })
  .superRefine((query, ctx) => {
    const ranged = query.from !== undefined || query.to !== undefined;
    if (query.customerId !== undefined && ranged) {
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'give either customerId or from and to, not both' });
    } else if (query.customerId === undefined && !ranged) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give customerId (one customer) or from and to (a date range)' });
    } else if (ranged && query.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'a range needs from as well as to' });
    } else if (ranged && query.to === undefined) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'a range needs to as well as from' });
    } else if (isCalendarDate(query.from) && isCalendarDate(query.to)) {
      // A malformed date already has its own issue; comparing it would only add noise.
      const problem = auditRangeProblem(query.from, query.to);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['to'], message: problem });
    }
  });

function scopeOf(query: z.infer<typeof auditPackageQuerySchema>): AuditScope {
  if (query.customerId !== undefined) return { kind: 'customer', customerId: query.customerId };
  if (query.from === undefined || query.to === undefined) throw new Error('the audit package schema let a range through without both ends');
  return { kind: 'range', from: query.from, to: query.to };
}

/**
 * `GET /audit-package?customerId=…` or `?from=…&to=…`: a zip streamed into the response as
 * it is written. Everything that can be refused is checked, and the certificates chosen,
 * before the first byte; after that a failure can only cut the download short (logged).
 */
export function auditPackageRoutes(context: ServiceContext): Router {
  const { settings, clock } = context;
  const router = Router();
  router.get('/audit-package', async (req, res) => {
    const scope = scopeOf(validate(auditPackageQuerySchema, req.query, 'query'));
    const tenant = tenantOf(res);
    const accountSettings = await settings.get(tenant);
    const basis = statusBasisFor(accountSettings, clock);
    const generatedAt = clock.now();
    const certificates = await certificatesInScope(context, tenant, scope, accountSettings.timeZone, generatedAt);

    const label = scope.kind === 'customer' ? scope.customerId : `${scope.from}-to-${scope.to}`;
    res.status(200).set({
      'Content-Type': 'application/zip',
      'Content-Disposition': contentDisposition(`audit-${label}-${basis.today}.zip`),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    const zip = new ZipStream(res, generatedAt);
    try {
      await writeAuditPackage({ ...context, logger: req.log }, { tenant, scope, certificates, basis, timeZone: accountSettings.timeZone, generatedAt }, zip);
      await zip.finish();
    } catch (error) {
      zip.abort();
      // A client that hung up is not an error of ours.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        req.log.error({ err: error, accountId: tenant.accountId, scope }, 'audit package failed mid-stream');
      }
    }
  });
  return router;
}
