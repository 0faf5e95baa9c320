import type { Collection, Db } from 'mongodb';
import { GroupCommit, insertOutcomes } from '../db/groupCommit.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

export type EventOutcome = 'processed' | 'ignored' | 'skipped_disabled_account';

/**
 * A verified Stripe event, kept under its event id: the id is the idempotency key of the
 * whole pipeline (a second delivery finds it and does nothing more). The payload is kept as
 * the JSON text Stripe sent, because metadata keys may contain dots, which FerretDB refuses
 * as field names, and because it is the evidence of what Stripe said.
 */
export interface StoredEvent {
  _id: string;
  accountId: string;
  livemode: boolean;
  type: string;
  created: number;
  receivedAt: Date;
  payload: string;
  processedAt: Date | null;
  outcome: EventOutcome | null;
}

/** Events stored by one `insertMany` at most (about 1.3 kB each). */
const RECORD_BATCH = 100;

export class StripeEventStore {
  private readonly events: Collection<StoredEvent>;
  /** Deliveries arriving together are stored together: one `insertMany` per batch (see `GroupCommit`). */
  private readonly inserts: GroupCommit<StoredEvent, 'new' | 'duplicate'>;

  constructor(db: Db) {
    this.events = db.collection<StoredEvent>('stripe_events');
    this.inserts = new GroupCommit(async (documents) => {
      const error = await this.events.insertMany([...documents], { ordered: false }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      return insertOutcomes(documents.length, error).map((outcome) => (outcome === 'inserted' ? 'new' : outcome));
    }, { maxBatch: RECORD_BATCH, maxInFlight: 1 });
  }

  ensureIndexes(): Promise<void> {
    return ensureIndexes(
      this.events,
      [
        // The recovery sweep's query (webhooks/strandedEvents.ts). Events are otherwise read by id.
        { key: { processedAt: 1, receivedAt: 1 }, name: 'unprocessed' },
      ],
      // No query ever used it, and every event written updated it (on FerretDB, four GIN indexes).
      // On FerretDB dropping it keeps those (docs/ferretdb.md); a new database never has them.
      ['by_type'],
    );
  }

  /**
   * Stores the event; 'duplicate' when this event id was stored before (or by a delivery of the
   * same event in the same batch). Resolves once this event's write has been answered.
   */
  record(event: { id: string; type: string; created: number }, tenant: Tenant, payload: string, receivedAt: Date): Promise<'new' | 'duplicate'> {
    return this.inserts.submit({
      _id: event.id,
      ...tenantFilter(tenant),
      type: event.type,
      created: event.created,
      receivedAt,
      payload,
      processedAt: null,
      outcome: null,
    });
  }

  find(eventId: string): Promise<StoredEvent | null> {
    return this.events.findOne({ _id: eventId });
  }

  /**
   * Ids of the events received before `cutoff` and not processed yet, oldest first, in batches:
   * waiting for their job, failed, or stranded by a crash between storing and queueing.
   */
  async *unprocessedReceivedBefore(cutoff: Date, batchSize = 500): AsyncGenerator<string[]> {
    const cursor = this.events
      .find({ processedAt: null, receivedAt: { $lt: cutoff } }, { projection: { _id: 1 }, sort: { receivedAt: 1 } })
      .batchSize(batchSize);
    let batch: string[] = [];
    for await (const { _id } of cursor) {
      batch.push(_id);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** The stored events among `eventIds`, by id: one `$in` read for a batch (see `StripeEventBatches`). */
  async findMany(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    const found = await this.events.find({ _id: { $in: [...new Set(eventIds)] } }).toArray();
    return new Map(found.map((event) => [event._id, event]));
  }

  /** Records each event's outcome: one `updateMany` per outcome for a batch. */
  async markProcessed(outcomes: ReadonlyMap<string, EventOutcome>, at: Date): Promise<void> {
    const byOutcome = new Map<EventOutcome, string[]>();
    for (const [eventId, outcome] of outcomes) byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), eventId]);
    await Promise.all([...byOutcome].map(([outcome, eventIds]) => this.events.updateMany({ _id: { $in: eventIds } }, { $set: { processedAt: at, outcome } })));
  }
}
