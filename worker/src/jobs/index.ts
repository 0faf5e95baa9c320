import type { ServiceContext } from '../context.js';
import { certificateRequestsDailyJob } from './certificateRequestsDaily.js';
import { processStripeEventJob } from './processStripeEvent.js';
import type { JobDefinition } from './scheduler.js';
import { reprocessRunJob } from './reprocessRun.js';
import { requeueStrandedEventsJob } from './requeueStrandedEvents.js';
import { sendEmailJob } from './sendEmail.js';
import { statusSweepJob } from './statusSweep.js';
import { syncCustomerCoverageJob } from './syncCustomerCoverage.js';

/** Every job this worker runs; each lives in its own file in this folder. */
export function workerJobs(context: ServiceContext): readonly JobDefinition[] {
  return [processStripeEventJob(context), syncCustomerCoverageJob(context), statusSweepJob(context), reprocessRunJob(context), sendEmailJob(context), certificateRequestsDailyJob(context), requeueStrandedEventsJob(context)] as readonly JobDefinition[];
}
