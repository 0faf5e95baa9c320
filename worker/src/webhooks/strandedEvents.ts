import type { ServiceContext } from '../context.js';
import { PROCESS_STRIPE_EVENT } from '../jobs/processStripeEvent.js';
import { JOBS_COLLECTION } from '../jobs/scheduler.js';

/**
 * How long an unprocessed event may sit without a job before the sweep takes it as stranded.
 * The webhook queues the job right after storing the event, so this only has to cover that
 * moment; a job queued twice is harmless anyway (the handler skips a processed event).
 */
export const STRANDED_EVENT_GRACE_MS = 60_000;

interface EventJob {
  data?: { eventId?: unknown };
}

/**
 * The ids among `eventIds` that have a `process-stripe-event` job stored: waiting, running, or
 * failed for good and kept for inspection (which is not re-queued behind the operator's back).
 * Finished jobs are removed, so this reads only pending and failed work.
 */
async function idsWithJob(context: ServiceContext, eventIds: readonly string[]): Promise<Set<string>> {
  const jobs = context.db.collection<EventJob>(JOBS_COLLECTION);
  const found = await jobs.find({ name: PROCESS_STRIPE_EVENT, 'data.eventId': { $in: [...eventIds] } }, { projection: { 'data.eventId': 1 } }).toArray();
  return new Set(found.map((job) => job.data?.eventId).filter((id): id is string => typeof id === 'string'));
}

/** Queues a job for each of these stored events that has none; answers how many it queued. */
export async function queueEventsWithoutJob(context: ServiceContext, eventIds: readonly string[]): Promise<number> {
  if (eventIds.length === 0) return 0;
  const queued = await idsWithJob(context, eventIds);
  const missing = eventIds.filter((id) => !queued.has(id));
  for (const eventId of missing) await context.queue.enqueue(PROCESS_STRIPE_EVENT, { eventId });
  return missing.length;
}

/**
 * Queues the stored events that were never processed and have no job: what a process that died
 * between storing an event and queueing it leaves behind. Stripe got no 2xx and redelivers (and
 * the redelivery queues it, see routes.ts), but its retries back off to hours; this recurring
 * sweep gets the event processed within minutes, and even if no redelivery ever comes.
 */
export async function requeueStrandedEvents(context: ServiceContext): Promise<number> {
  const cutoff = new Date(context.clock.now().getTime() - STRANDED_EVENT_GRACE_MS);
  // The jobs are read once, when the first event old enough to be stranded turns up, rather than
  // once per batch of events: on FerretDB each `$in` read of jobs scans every job of the name, so
  // with a backlog of n events the sweep cost n²/500 documents (a 50,000-event backlog: 100 scans
  // of 50,000). Nor before the events: usually no event is that old, and a jobs process starting
  // on a fresh backlog of 50,000 spent its first seconds reading all their jobs
  // (docs/performance.md, "Webhooks"). An event whose job finished between the two reads is
  // queued again, which is harmless: its job finds it processed.
  let withJob: Set<string> | null = null;
  let requeued = 0;
  for await (const batch of context.events.unprocessedReceivedBefore(cutoff)) {
    withJob ??= await eventIdsWithJob(context);
    for (const eventId of batch.filter((id) => !(withJob?.has(id) ?? false))) {
      await context.queue.enqueue(PROCESS_STRIPE_EVENT, { eventId });
      requeued += 1;
    }
  }
  return requeued;
}

/** Every event id a `process-stripe-event` job is stored for: waiting, running, or failed for good. */
async function eventIdsWithJob(context: ServiceContext): Promise<Set<string>> {
  const ids = new Set<string>();
  const cursor = context.db.collection<EventJob>(JOBS_COLLECTION).find({ name: PROCESS_STRIPE_EVENT }, { projection: { 'data.eventId': 1 } });
  for await (const job of cursor) if (typeof job.data?.eventId === 'string') ids.add(job.data.eventId);
  return ids;
}
