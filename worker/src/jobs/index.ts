import type { ServiceContext } from '../context.js';
import { processStripeEventJob } from './processStripeEvent.js';
import type { JobDefinition } from './scheduler.js';
import { statusSweepJob } from './statusSweep.js';
import { syncCustomerCoverageJob } from './syncCustomerCoverage.js';

/** Every job this worker runs; each lives in its own file in this folder. */
export function workerJobs(context: ServiceContext): readonly JobDefinition[] {
  return [processStripeEventJob(context), syncCustomerCoverageJob(context), statusSweepJob(context)] as readonly JobDefinition[];
}
