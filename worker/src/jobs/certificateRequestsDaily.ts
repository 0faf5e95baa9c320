import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { runDailyRequestTasks } from '../requests/dailyTasks.js';
import type { Tenant } from '../tenancy.js';
import { defineJob } from './scheduler.js';

export const CERTIFICATE_REQUESTS_DAILY = 'certificate-requests-daily';

export const certificateRequestsDailyData = z.object({
  /** One tenant (tests, an operator), or every tenant (the hourly run). */
  accountId: z.string().startsWith('acct_').optional(),
  livemode: z.boolean().optional(),
});

/**
 * Reminders, automatic renewal requests, link expiry and the merchant digest. Scheduled every
 * hour so each account's day starts in its own time zone; what was done today is not redone
 * (see requests/dailyTasks.ts).
 */
export function certificateRequestsDailyJob(context: ServiceContext) {
  return defineJob({
    name: CERTIFICATE_REQUESTS_DAILY,
    data: certificateRequestsDailyData,
    concurrency: 1,
    logFields: ({ accountId, livemode }) => ({ accountId, livemode }),
    handler: async ({ accountId, livemode }, _job, log) => {
      let tenants: Tenant[];
      if (accountId !== undefined && livemode !== undefined) tenants = [{ accountId, livemode }];
      else {
        const all = [...(await context.certificates.tenants()), ...(await context.requests.tenants())];
        tenants = [...new Map(all.map((t) => [`${t.accountId}:${t.livemode}`, t])).values()];
      }
      for (const tenant of tenants) {
        const summary = await runDailyRequestTasks({ ...context, logger: log }, tenant);
        log.info({ accountId: tenant.accountId, livemode: tenant.livemode, ...summary }, 'certificate request daily tasks done');
      }
    },
  });
}
