import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { requeueStrandedEvents } from '../webhooks/strandedEvents.js';
import { defineJob } from './scheduler.js';

export const REQUEUE_STRANDED_EVENTS = 'requeue-stranded-events';

/** How often the sweep runs; it also runs when a jobs process starts (after a crash, when it matters most). */
export const REQUEUE_STRANDED_EVENTS_EVERY = '5 minutes';

/** The recovery path for an event stored but never queued (a crash between the two writes of the webhook). */
export function requeueStrandedEventsJob(context: ServiceContext) {
  return defineJob({
    name: REQUEUE_STRANDED_EVENTS,
    data: z.object({}),
    concurrency: 1,
    handler: async (_data, _job, log) => {
      const requeued = await requeueStrandedEvents({ ...context, logger: log });
      if (requeued > 0) log.warn({ requeued }, 'queued stored Stripe events that had no job');
    },
  });
}
