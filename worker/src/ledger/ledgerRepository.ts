import { ledgerEntrySchema, type LedgerEntry } from '@exemptions/shared';
import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

/** A ledger entry as stored: its deterministic id is the `_id`, so writing it twice stores it once. */
export interface LedgerEntryDocument extends Omit<LedgerEntry, 'id'> {
  _id: string;
  accountId: string;
  livemode: boolean;
  recordedAt: Date;
}


export interface LedgerQuery {
  readonly invoiceId?: string;
  readonly customerId?: string;
  readonly periodKey?: string;
  readonly jurisdiction?: string;
}

export class LedgerRepository {
  private readonly entries: Collection<LedgerEntryDocument>;

  constructor(db: Db) {
    this.entries = db.collection<LedgerEntryDocument>('ledger_entries');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.entries, [
      { key: { accountId: 1, livemode: 1, invoiceId: 1 }, name: 'by_invoice' },
      { key: { accountId: 1, livemode: 1, customerId: 1, transactionDate: 1 }, name: 'by_customer' },
      { key: { accountId: 1, livemode: 1, periodKey: 1, jurisdiction: 1 }, name: 'by_period' },
    ]);
  }

  /** Adds entries; one already there (a retry, a redelivery) is left as it is. */
  async append(tenant: Tenant, entries: readonly LedgerEntry[], at: Date): Promise<number> {
    let added = 0;
    // One by one: a batch with a duplicate behaves differently on FerretDB and MongoDB.
    for (const { id, ...entry } of entries) {
      try {
        await this.entries.insertOne({ _id: id, ...tenantFilter(tenant), ...entry, recordedAt: at });
        added += 1;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    return added;
  }

  async find(tenant: Tenant, query: LedgerQuery): Promise<LedgerEntry[]> {
    const filter: Filter<LedgerEntryDocument> = { ...tenantFilter(tenant) };
    if (query.invoiceId !== undefined) filter.invoiceId = query.invoiceId;
    if (query.customerId !== undefined) filter.customerId = query.customerId;
    if (query.periodKey !== undefined) filter.periodKey = query.periodKey;
    if (query.jurisdiction !== undefined) filter.jurisdiction = query.jurisdiction as LedgerEntry['jurisdiction'];
    const documents = await this.entries.find(filter).sort({ transactionDate: 1, _id: 1 }).toArray();
    return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
  }

  /**
   * Entries carrying an exposure or over-collection flag. Adjusting entries copy their target's
   * flags, so these alone tell which flagged revisions still stand (see `flaggedInvoices`).
   */
  async findFlagged(tenant: Tenant): Promise<LedgerEntry[]> {
    const documents = await this.entries
      .find({ ...tenantFilter(tenant), $or: [{ 'flags.exposure': true }, { 'flags.overCollection': true }] })
      .sort({ transactionDate: 1, _id: 1 })
      .toArray();
    return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
  }

}
