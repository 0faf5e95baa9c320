import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { syncCustomerCoverage } from '../coverage/syncCustomerCoverage.js';
import { defineJob } from './scheduler.js';

export const SYNC_CUSTOMER_COVERAGE = 'sync-customer-coverage';

export const syncCustomerCoverageData = z.object({
  accountId: z.string().startsWith('acct_'),
  livemode: z.boolean(),
  customerId: z.string().startsWith('cus_'),
});

/** Re-syncs one customer's tax_exempt after anything that can change coverage: a certificate edit, an expiry. */
export function syncCustomerCoverageJob(context: ServiceContext) {
  return defineJob({
    name: SYNC_CUSTOMER_COVERAGE,
    data: syncCustomerCoverageData,
    logFields: ({ accountId, livemode, customerId }) => ({ accountId, livemode, customerId }),
    handler: async ({ accountId, livemode, customerId }, _job, log) => {
      await syncCustomerCoverage({ ...context, logger: log }, { accountId, livemode }, customerId);
    },
  });
}
