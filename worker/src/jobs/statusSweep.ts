import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import type { Tenant } from '../tenancy.js';
import { defineJob } from './scheduler.js';
import { SYNC_CUSTOMER_COVERAGE } from './syncCustomerCoverage.js';

export const STATUS_SWEEP = 'certificate-status-sweep';

export const statusSweepData = z.object({
  /** One tenant (the on-demand trigger), or every tenant (the daily run). */
  accountId: z.string().startsWith('acct_').optional(),
  livemode: z.boolean().optional(),
});

/**
 * Moves certificates into expiring soon / expired as days pass and re-syncs the customers
 * whose coverage may have changed with them. Status queries are right without it (they
 * refresh what they read); this is what makes Stripe's tax_exempt follow the calendar.
 */
export async function sweepStatuses(context: ServiceContext, tenants: readonly Tenant[]): Promise<number> {
  let changed = 0;
  for (const tenant of tenants) {
    const basis = statusBasisFor(await context.settings.get(tenant), context.clock);
    const changes = await context.certificates.refreshStatuses(tenant, basis);
    changed += changes.length;
    for (const customerId of new Set(changes.map((c) => c.customerId))) {
      await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { ...tenant, customerId });
    }
  }
  return changed;
}

export function statusSweepJob(context: ServiceContext) {
  return defineJob({
    name: STATUS_SWEEP,
    data: statusSweepData,
    concurrency: 1,
    logFields: ({ accountId, livemode }) => ({ accountId, livemode }),
    handler: async ({ accountId, livemode }, _job, log) => {
      const tenants = accountId !== undefined && livemode !== undefined ? [{ accountId, livemode }] : await context.certificates.tenants();
      const changed = await sweepStatuses({ ...context, logger: log }, tenants);
      log.info({ tenants: tenants.length, changed }, 'certificate status sweep done');
    },
  });
}
