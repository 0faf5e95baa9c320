import { MongoClient } from 'mongodb';
import type { Clock } from '../../worker/src/clock.js';
import { createLogger } from '../../worker/src/logger.js';
import { createServiceContext } from '../../worker/src/service.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { StripeEventBatches } from '../../worker/src/webhooks/eventBatches.js';
import { openTestDatabase, testConfig, type TestDatabase } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { finalizedInvoice, stripeEvent } from '../support/stripeEvents.js';

const clock: Clock = { now: () => new Date('2026-05-12T12:00:00Z') };
const shop: Tenant = { accountId: 'acct_1Batches00000001', livemode: false };
const other: Tenant = { accountId: 'acct_1Batches00000002', livemode: false };
const leaving: Tenant = { accountId: 'acct_1Batches00000003', livemode: false };
const MAY_3 = '2026-05-03T15:00:00Z';

function invoice(id: string, customer: string, { finalized = true }: { finalized?: boolean } = {}) {
  const sale = finalizedInvoice(id, customer, MAY_3, [{ rate: 'txr_TX', taxable: 10000, amount: 625 }], 10000);
  return finalized ? sale : { ...sale, status_transitions: { ...sale.status_transitions, finalized_at: null } };
}

describe('Stripe events processed in batches', () => {
  let database: TestDatabase;
  let client: MongoClient;
  const commands: Array<{ name: string; collection: string }> = [];
  const stripe = new FakeStripe();
  for (const tenant of [shop, other, leaving]) stripe.addTaxRate(tenant, { id: 'txr_TX', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 });

  beforeAll(async () => {
    database = await openTestDatabase();
    // The batches' own connection, watched, to count what a batch costs.
    client = await MongoClient.connect(database.uri, { monitorCommands: true });
    client.on('commandStarted', (event) => commands.push({ name: event.commandName, collection: String((event.command as Record<string, unknown>)[event.commandName]) }));
  });
  afterAll(async () => {
    await client.close();
    await database.close();
  });

  it('books many events with a few commands, each once, and fails only the event that fails', async () => {
    const db = client.db(database.name);
    const context = createServiceContext(db, testConfig(), { logger: createLogger('silent'), clock, stripe, queue: { enqueue: async () => undefined } });
    await context.settings.markDisabled(leaving, clock.now());
    const finalized = (id: string, customer: string, tenant: Tenant) => ({ event: stripeEvent('invoice.finalized', invoice(id, customer), tenant), tenant });
    const deliveries = [
      ...Array.from({ length: 12 }, (_, i) => finalized(`in_Shop${i}`, `cus_Shop${i % 3}`, shop)),
      ...Array.from({ length: 5 }, (_, i) => finalized(`in_Other${i}`, 'cus_Other', other)),
      // A second event for an invoice of the batch (Stripe sends one, a replay tool may not): booked once.
      finalized('in_Shop0', 'cus_Shop0', shop),
      { event: stripeEvent('customer.updated', { id: 'cus_Shop1', name: 'Shop One', email: 'one@example.com' }, shop), tenant: shop },
      finalized('in_Leaving', 'cus_Leaving', leaving),
      // An invoice that is not finalized cannot be booked: its event fails, alone.
      { event: stripeEvent('invoice.finalized', invoice('in_Broken', 'cus_Shop2', { finalized: false }), shop), tenant: shop },
    ];
    for (const { event, tenant } of deliveries) {
      const { type, created } = JSON.parse(event.body) as { type: string; created: number };
      await context.events.record({ id: event.id, type, created }, tenant, event.body, clock.now());
    }
    const events = deliveries.slice(0, -1).map(({ event }) => event);
    const broken = deliveries.at(-1)?.event ?? events[0];

    const batches = new StripeEventBatches(context);
    const log = createLogger('silent');
    commands.length = 0;
    // Asked all at once, as the jobs running at once in a process ask; one event is asked twice.
    const asked = [...events.map((event) => event.id), broken?.id ?? '', events[0]?.id ?? ''];
    const answers = await Promise.allSettled(asked.map((eventId) => batches.process(eventId, log)));

    const outcomes = answers.map((answer) => (answer.status === 'fulfilled' ? answer.value?.outcome : 'failed'));
    expect(outcomes).toEqual([...Array.from({ length: 19 }, () => 'processed'), 'skipped_disabled_account', 'failed', 'processed']);
    const failure = answers[events.length];
    expect(failure?.status === 'rejected' ? String(failure.reason) : '').toMatch(/in_Broken has not been finalized/);

    // What the batch cost: one read of the events and one write per outcome (processed, skipped),
    // and per account a constant number of commands, where one by one each event cost all of them.
    expect(commands.filter((command) => command.collection === 'stripe_events').map((command) => command.name)).toEqual(['find', 'update', 'update']);
    // The settings: once per account, and once more by the customer update's coverage sync.
    expect(commands.filter((command) => command.collection === 'account_settings')).toHaveLength(4);
    expect(commands.filter((command) => command.collection === 'ledger_entries' && command.name === 'insert')).toHaveLength(2);

    const entries = await db.collection<{ _id: string; accountId: string }>('ledger_entries').find({}, { projection: { _id: 1, accountId: 1 } }).toArray();
    expect(entries.map((entry) => entry._id).sort()).toEqual([...Array.from({ length: 12 }, (_, i) => `in_Shop${i}:US-TX`), ...Array.from({ length: 5 }, (_, i) => `in_Other${i}:US-TX`)].sort());
    expect(entries.filter((entry) => entry._id.startsWith('in_Other')).every((entry) => entry.accountId === other.accountId)).toBe(true);
    const stored = await db.collection<{ _id: string; processedAt: Date | null; outcome: string | null }>('stripe_events').find({}).toArray();
    expect(stored.filter((event) => event.processedAt === null).map((event) => event._id)).toEqual([broken?.id]);

    // Asked again (a job run twice): nothing more is done; the broken event fails again.
    const again = await Promise.allSettled([...events.map((event) => batches.process(event.id, log)), batches.process(broken?.id ?? '', log)]);
    expect(again.slice(0, -1).map((answer) => (answer.status === "fulfilled" ? answer.value : answer.reason))).toEqual(events.map(() => null));
    expect(again.at(-1)?.status).toBe('rejected');
    expect(await db.collection('ledger_entries').countDocuments({})).toBe(17);
  });
});
