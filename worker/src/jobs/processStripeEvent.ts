import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { StripeEventBatches } from '../webhooks/eventBatches.js';
import { defineJob } from './scheduler.js';

export const PROCESS_STRIPE_EVENT = 'process-stripe-event';

export const processStripeEventData = z.object({ eventId: z.string().startsWith('evt_') });

/**
 * Jobs of this name one process runs at once. The events of the jobs running together are
 * processed in batches (`StripeEventBatches`), so more at once means fewer database commands per
 * event; each job only waits for its batch.
 */
export const PROCESS_STRIPE_EVENT_CONCURRENCY = 50;

/** Processes one stored Stripe event; the event id keeps a redelivered or retried event from acting twice. */
export function processStripeEventJob(context: ServiceContext) {
  const batches = new StripeEventBatches(context);
  return defineJob({
    name: PROCESS_STRIPE_EVENT,
    data: processStripeEventData,
    concurrency: PROCESS_STRIPE_EVENT_CONCURRENCY,
    saveStateAtStart: false,
    lockAhead: true,
    logFields: ({ eventId }) => ({ eventId }),
    handler: async ({ eventId }, _job, log) => {
      const processed = await batches.process(eventId, log);
      if (processed !== null) log.info(processed, 'stripe event processed');
    },
  });
}
