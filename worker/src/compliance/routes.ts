import {
  addDays,
  calendarDateSchema,
  complianceHorizons,
  countByJurisdiction,
  expiringWithin,
  flaggedInvoices,
  jurisdictionCodeSchema,
  requestQueueCounts,
  type CertificateStatus,
} from '@exemptions/shared';
import { Router } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { validate } from '../http/validate.js';

/** The summary takes no parameters; an unknown one is a mistake worth a 400, as everywhere else. */
export const complianceSummaryQuerySchema = z.strictObject({});

const count = z.int().nonnegative();

const statusCountsSchema = z.object({ active: count, expiring_soon: count, not_yet_effective: count, expired: count, archived: count } satisfies Record<CertificateStatus, z.ZodType>);

export const complianceSummarySchema = z.object({
  /** The day the counts are for, in the account's time zone. */
  today: calendarDateSchema,
  /** The account's expiring-soon window, which `byStatus.expiring_soon` follows. */
  windowDays: z.int().nonnegative(),
  /** Certificates per status today; `satisfies` fails to compile when a status is added and not counted. */
  byStatus: statusCountsSchema,
  total: count,
  /** Per jurisdiction some certificate covers, by code: a certificate counts under each of its jurisdictions, with that jurisdiction's status. */
  byJurisdiction: z.array(z.object({ jurisdiction: jurisdictionCodeSchema, byStatus: statusCountsSchema, total: count })),
  /** Certificates with a jurisdiction in force whose last valid day is within each horizon (cumulative). */
  expiring: z.array(z.object({ withinDays: count, count })),
  /** Customer submissions waiting for review (the review queue). */
  pendingSubmissions: count,
  /** Requests sent to customers whose link still works and who have not answered. */
  outstandingRequests: count,
  /** Invoices whose current treatment went out exempt with no valid certificate covering it. */
  exposedInvoices: count,
  /** Invoices whose current treatment charged tax although a valid certificate covered it. */
  overCollectedInvoices: count,
});

export type ComplianceSummary = z.infer<typeof complianceSummarySchema>;

/** Read-only counts for the Stripe App's compliance summary. */
export function complianceRoutes({ certificates, settings, ledger, requests, clock }: ServiceContext): Router {
  const router = Router();
  router.get('/compliance/summary', async (req, res) => {
    validate(complianceSummaryQuerySchema, req.query, 'query');
    const tenant = tenantOf(res);
    const basis = statusBasisFor(await settings.get(tenant), clock);
    const byStatus = await certificates.countByStatus(tenant, basis);
    // A superset (any jurisdiction expiring in range); expiringWithin keeps what is in force today.
    const soon = await certificates.expiringBetween(tenant, basis.today, addDays(basis.today, Math.max(...complianceHorizons)));
    const flagged = flaggedInvoices(await ledger.findFlagged(tenant));
    const queue = requestQueueCounts(await requests.waiting(tenant), clock.now().toISOString());
    const summary: ComplianceSummary = {
      today: basis.today,
      windowDays: basis.windowDays,
      byStatus,
      total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
      byJurisdiction: countByJurisdiction(await certificates.statusInputs(tenant), basis.today, basis.windowDays),
      expiring: expiringWithin(
        soon.map((stored) => stored.certificate),
        basis.today,
      ),
      pendingSubmissions: queue.pendingSubmissions,
      outstandingRequests: queue.outstandingRequests,
      exposedInvoices: flagged.exposure,
      overCollectedInvoices: flagged.overCollection,
    };
    res.json(summary);
  });
  return router;
}
