import type { AccountSettings } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { GroupCommit, GroupCommitItemError } from '../db/groupCommit.js';
import { bookFinalizedInvoices } from '../ledger/applyLedgerEvent.js';
import type { Logger } from '../logger.js';
import type { Tenant } from '../tenancy.js';
import type { EventOutcome, StoredEvent } from './eventStore.js';
import { handleStripeEvent, stripeEventSchema, type StripeEventPayload } from './handleEvent.js';

/** What processing one event came to; null when it was processed already (or is not stored). */
export type ProcessedEvent = { readonly type: string; readonly accountId: string; readonly outcome: EventOutcome } | null;

interface Submitted {
  readonly eventId: string;
  /** The job's logger, so what the handler logs names the job that asked. */
  readonly log: Logger;
}

/** Events processed together at most. */
const MAX_BATCH = 50;

/**
 * Processes stored Stripe events, batching those asked for at the same time. Each event keeps its
 * own job (its retries, its failure kept for inspection); the jobs running at once in a process
 * hand their event here, and while one batch is being processed the next gathers (`GroupCommit`).
 * A batch costs a constant number of database commands for what its events share: one read of the
 * events, one of each account's settings, the `invoice.finalized` events of an account booked
 * together (`bookFinalizedInvoices`), one write of the outcomes. Handled one by one, each event cost
 * all of these itself (docs/performance.md, "Webhooks").
 *
 * An event that fails fails only its own job; the others of its batch are processed and recorded.
 * Every effect is idempotent, as for one event: a batch that dies half way is done again by the
 * jobs' retries, and finds what it did.
 */
export class StripeEventBatches {
  private readonly batches: GroupCommit<Submitted, ProcessedEvent>;

  constructor(private readonly context: ServiceContext) {
    this.batches = new GroupCommit((items) => this.processBatch(items), { maxBatch: MAX_BATCH, maxInFlight: 1 });
  }

  process(eventId: string, log: Logger): Promise<ProcessedEvent> {
    return this.batches.submit({ eventId, log });
  }

  private async processBatch(items: readonly Submitted[]): Promise<ReadonlyArray<ProcessedEvent | GroupCommitItemError>> {
    const { context } = this;
    const stored = await context.events.findMany(items.map((item) => item.eventId));
    const results = new Map<string, ProcessedEvent | GroupCommitItemError>();
    const byTenant = new Map<string, { tenant: Tenant; events: Array<{ stored: StoredEvent; log: Logger }> }>();
    const seen = new Set<string>();
    for (const { eventId, log } of items) {
      // Asked twice in one batch (a job queued twice): processed once, both get the outcome.
      if (seen.has(eventId)) continue;
      seen.add(eventId);
      const event = stored.get(eventId);
      if (event === undefined || event.processedAt !== null) {
        results.set(eventId, null);
        continue;
      }
      const tenant = { accountId: event.accountId, livemode: event.livemode };
      const key = `${tenant.accountId}:${tenant.livemode}`;
      const group = byTenant.get(key) ?? { tenant, events: [] };
      group.events.push({ stored: event, log });
      byTenant.set(key, group);
    }
    await Promise.all([...byTenant.values()].map(({ tenant, events }) => this.processAccountEvents(tenant, events, results)));

    const outcomes = new Map<string, EventOutcome>();
    for (const [eventId, result] of results) if (result !== null && !(result instanceof GroupCommitItemError)) outcomes.set(eventId, result.outcome);
    if (outcomes.size > 0) await context.events.markProcessed(outcomes, context.clock.now());
    return items.map(({ eventId }) => {
      const result = results.get(eventId);
      return result === undefined ? new GroupCommitItemError(new Error(`event ${eventId} was not processed`)) : result;
    });
  }

  /** One account's events of a batch: its settings read once, its `invoice.finalized` events booked together. */
  private async processAccountEvents(tenant: Tenant, events: ReadonlyArray<{ stored: StoredEvent; log: Logger }>, results: Map<string, ProcessedEvent | GroupCommitItemError>): Promise<void> {
    const { context } = this;
    const done = (stored: StoredEvent, outcome: EventOutcome): void => void results.set(stored._id, { type: stored.type, accountId: tenant.accountId, outcome });
    let account: { settings: AccountSettings; disabled: boolean };
    try {
      account = await context.settings.read(tenant);
    } catch (error) {
      for (const { stored } of events) results.set(stored._id, new GroupCommitItemError(error));
      return;
    }
    const parsed: Array<{ stored: StoredEvent; log: Logger; event: StripeEventPayload }> = [];
    for (const { stored, log } of events) {
      try {
        parsed.push({ stored, log, event: stripeEventSchema.parse(JSON.parse(stored.payload)) });
      } catch (error) {
        results.set(stored._id, new GroupCommitItemError(error));
      }
    }
    const one = async ({ stored, log, event }: (typeof parsed)[number]): Promise<void> => {
      try {
        done(stored, await handleStripeEvent({ ...context, logger: log }, tenant, event, account.settings));
      } catch (error) {
        results.set(stored._id, new GroupCommitItemError(error));
      }
    };
    const skipped = parsed.filter(({ event }) => account.disabled && event.type !== 'account.application.deauthorized');
    for (const { stored } of skipped) done(stored, 'skipped_disabled_account');
    const handled = parsed.filter((item) => !skipped.includes(item));
    const finalized = handled.filter(({ event }) => event.type === 'invoice.finalized');
    const rest = handled.filter(({ event }) => event.type !== 'invoice.finalized');
    const bookTogether = async (): Promise<void> => {
      if (finalized.length < 2) return void (await Promise.all(finalized.map(one)));
      const byEventId = new Map(finalized.map((item) => [item.stored._id, item]));
      let unbooked: typeof finalized;
      try {
        const left = await bookFinalizedInvoices(context, tenant, finalized.map(({ stored, event }) => ({ eventId: stored._id, object: event.data.object })), account.settings);
        const leftIds = new Set(left.map((event) => event.eventId));
        for (const item of finalized) if (!leftIds.has(item.stored._id)) done(item.stored, 'processed');
        unbooked = left.flatMap((event) => byEventId.get(event.eventId) ?? []);
      } catch (error) {
        context.logger.info({ err: error, accountId: tenant.accountId, events: finalized.length }, 'booking finalized invoices together failed; booking them one by one');
        unbooked = finalized;
      }
      // One by one, so a failure lands on the event that causes it (and what was booked is found).
      await Promise.all(unbooked.map(one));
    };
    await Promise.all([bookTogether(), ...rest.map(one)]);
  }
}
