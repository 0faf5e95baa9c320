import { PROCESS_STRIPE_EVENT } from '../../worker/src/jobs/processStripeEvent.js';
import { REQUEUE_STRANDED_EVENTS } from '../../worker/src/jobs/requeueStrandedEvents.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { requeueStrandedEvents, STRANDED_EVENT_GRACE_MS } from '../../worker/src/webhooks/strandedEvents.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { deliver, processedEvent, stripeEvent, type EventFixture } from '../support/stripeEvents.js';

const merchant: Tenant = { accountId: 'acct_1Stranded0000001', livemode: false };

describe('events stored but never queued (a crash between the two writes of a webhook)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ role: 'all' });
    // The sweep also runs when a jobs process starts: let that run finish before these tests store anything.
    await eventually(() => service.db.collection('jobs').findOne({ name: REQUEUE_STRANDED_EVENTS }), (job) => job?.lastFinishedAt != null);
  });
  afterAll(() => service.dispose());

  const jobsFor = (eventId: string) => service.db.collection('jobs').countDocuments({ name: PROCESS_STRIPE_EVENT, 'data.eventId': eventId });
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  /** What the webhook writes before it queues the job, as a process that died right after would leave it. */
  async function storedOnly(event: EventFixture, receivedAt: Date): Promise<void> {
    const { id, type, created } = JSON.parse(event.body) as { id: string; type: string; created: number };
    expect(await service.context.events.record({ id, type, created }, merchant, event.body, receivedAt)).toBe('new');
  }

  it('queues, by the recovery sweep, exactly the stranded events, and books them', async () => {
    const stranded = stripeEvent('product.created', { id: 'prod_Stranded' }, merchant);
    const arriving = stripeEvent('product.created', { id: 'prod_Arriving' }, merchant);
    const waiting = stripeEvent('product.created', { id: 'prod_Waiting' }, merchant);
    await storedOnly(stranded, minutesAgo(3));
    // Stored a moment ago: its webhook request may still be about to queue it.
    await storedOnly(arriving, new Date(Date.now() - STRANDED_EVENT_GRACE_MS / 2));
    // Queued, but not due yet (a backlog, a retry waiting out its backoff).
    await storedOnly(waiting, minutesAgo(3));
    await service.scheduler.schedule(new Date(Date.now() + 3_600_000), PROCESS_STRIPE_EVENT, { eventId: waiting.id });

    expect(await requeueStrandedEvents(service.context)).toBe(1);
    expect(await processedEvent(service.db, stranded.id)).toMatchObject({ outcome: 'ignored' });
    expect(await jobsFor(waiting.id)).toBe(1);
    expect(await jobsFor(arriving.id)).toBe(0);
    // Its job is gone once it succeeded; the event's processedAt is what keeps it from running again.
    expect(await eventually(() => jobsFor(stranded.id), (count) => count === 0)).toBe(0);
    expect(await requeueStrandedEvents(service.context)).toBe(0);
  });

  it("queues a stranded event when Stripe redelivers it, and adds no job to an event that has one", async () => {
    const stranded = stripeEvent('product.created', { id: 'prod_Redelivered' }, merchant);
    await storedOnly(stranded, minutesAgo(1));
    const redelivery = await deliver(service.url ?? '', stranded);
    expect(redelivery.status).toBe(200);
    expect(await redelivery.json()).toEqual({ received: true, duplicate: true });
    expect(await processedEvent(service.db, stranded.id)).toMatchObject({ outcome: 'ignored' });

    const waiting = stripeEvent('product.created', { id: 'prod_StillWaiting' }, merchant);
    await storedOnly(waiting, minutesAgo(1));
    await service.scheduler.schedule(new Date(Date.now() + 3_600_000), PROCESS_STRIPE_EVENT, { eventId: waiting.id });
    expect((await deliver(service.url ?? '', waiting)).status).toBe(200);
    expect(await jobsFor(waiting.id)).toBe(1);
  });
});
