import { ledgerEntrySchema, type LedgerEntry } from '@exemptions/shared';
import { MongoBulkWriteError, type Collection, type Db, type Filter } from 'mongodb';
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


/**
 * Invoices per `$in` query of `findByInvoices`: our FerretDB patch pushes down an `$in` of at most
 * 1,000 values, and a reprocess batch has at most 100 invoices.
 */
const INVOICES_PER_QUERY = 200;

export interface LedgerQuery {
  readonly invoiceId?: string;
  readonly customerId?: string;
  readonly periodKey?: string;
  readonly jurisdiction?: string;
  readonly transactionDate?: string;
  readonly kind?: LedgerEntry['kind'];
}

function queryFilter(tenant: Tenant, query: LedgerQuery): Filter<LedgerEntryDocument> {
  // Equalities only: FerretDB on PostgreSQL serves each top-level one from an index (docs/ferretdb.md).
  const filter: Filter<LedgerEntryDocument> = { ...tenantFilter(tenant) };
  if (query.invoiceId !== undefined) filter.invoiceId = query.invoiceId;
  if (query.customerId !== undefined) filter.customerId = query.customerId;
  if (query.periodKey !== undefined) filter.periodKey = query.periodKey;
  if (query.jurisdiction !== undefined) filter.jurisdiction = query.jurisdiction as LedgerEntry['jurisdiction'];
  if (query.transactionDate !== undefined) filter.transactionDate = query.transactionDate;
  if (query.kind !== undefined) filter.kind = query.kind;
  return filter;
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
    // One by one, for the few entries an event books; `appendMany` writes a run's batch at once.
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

  /**
   * Adds entries with one `insertMany`; those already there (a redone batch) are left as they
   * are. Unordered, so a duplicate stops nothing: MongoDB and FerretDB (PostgreSQL and SQLite)
   * alike insert every other document and report each duplicate as a write error 11000.
   */
  async appendMany(tenant: Tenant, entries: readonly LedgerEntry[], at: Date): Promise<number> {
    if (entries.length === 0) return 0;
    const documents = entries.map(({ id, ...entry }) => ({ _id: id, ...tenantFilter(tenant), ...entry, recordedAt: at }));
    try {
      return (await this.entries.insertMany(documents, { ordered: false })).insertedCount;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== 11000)) throw error;
      return documents.length - writeErrors.length;
    }
  }

  async find(tenant: Tenant, query: LedgerQuery): Promise<LedgerEntry[]> {
    const documents = await this.entries.find(queryFilter(tenant, query)).sort({ transactionDate: 1, _id: 1 }).toArray();
    return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
  }

  /**
   * The entries of each of the invoices, in `find`'s order, keyed by invoice (an invoice with no
   * entries maps to `[]`). One `$in` query per `INVOICES_PER_QUERY` invoices: MongoDB serves it from
   * the `by_invoice` index, FerretDB on PostgreSQL (our patch) from one scan of the invoice field's
   * GIN index, where reading them one query each cost a round trip per invoice.
   */
  async findByInvoices(tenant: Tenant, invoiceIds: readonly string[]): Promise<Map<string, LedgerEntry[]>> {
    const byInvoice = new Map<string, LedgerEntry[]>(invoiceIds.map((invoiceId) => [invoiceId, []]));
    const unique = [...byInvoice.keys()];
    const chunks = Array.from({ length: Math.ceil(unique.length / INVOICES_PER_QUERY) }, (_, index) =>
      unique.slice(index * INVOICES_PER_QUERY, (index + 1) * INVOICES_PER_QUERY),
    );
    const read = await Promise.all(
      chunks.map((chunk) => this.entries.find({ ...tenantFilter(tenant), invoiceId: { $in: chunk } }).sort({ transactionDate: 1, _id: 1 }).toArray()),
    );
    // Chunks hold different invoices, so each invoice's entries come from one sorted result, in order.
    for (const document of read.flat()) byInvoice.get(document.invoiceId)?.push(ledgerEntrySchema.parse({ ...document, id: document._id }));
    return byInvoice;
  }

  /**
   * At most `limit` entries matching the query, in no particular order: unsorted, so a server
   * that cannot sort from an index stops reading at the limit instead of reading every match.
   */
  async findUpTo(tenant: Tenant, query: LedgerQuery, limit: number): Promise<LedgerEntry[]> {
    const documents = await this.entries.find(queryFilter(tenant, query)).limit(limit).toArray();
    return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
  }

  /**
   * Entries carrying an exposure or over-collection flag. Adjusting entries copy their target's
   * flags, so these alone tell which flagged revisions still stand (see `flaggedInvoices`, `flaggedReport`).
   */
  async findFlagged(tenant: Tenant, query: Pick<LedgerQuery, 'jurisdiction'> = {}): Promise<LedgerEntry[]> {
    const filter: Filter<LedgerEntryDocument> = { ...tenantFilter(tenant), $or: [{ 'flags.exposure': true }, { 'flags.overCollection': true }] };
    // A whole invoice × jurisdiction line shares its jurisdiction, so filtering on it keeps lines whole.
    if (query.jurisdiction !== undefined) filter.jurisdiction = query.jurisdiction as LedgerEntry['jurisdiction'];
    const documents = await this.entries
      .find(filter)
      .sort({ transactionDate: 1, _id: 1 })
      .toArray();
    return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
  }

  /**
   * The entries whose certificate snapshot names the certificate, oldest first, recorded by
   * `query.recordedBy` (so two reads of one audit package agree), as a stream: a blanket
   * certificate can stand behind years of invoices. A snapshot is only ever taken from the
   * invoice customer's own certificates, so the customer equality loses nothing and lets the
   * `by_customer` index serve the query.
   */
  async *entriesOfCertificate(tenant: Tenant, query: CertificateEntriesQuery): AsyncGenerator<LedgerEntry> {
    const filter: Filter<LedgerEntryDocument> = {
      ...tenantFilter(tenant),
      customerId: query.customerId,
      'certificate.id': query.certificateId,
      recordedAt: { $lte: query.recordedBy },
    };
    if (query.from !== undefined && query.to !== undefined) filter.transactionDate = { $gte: query.from, $lte: query.to };
    for await (const document of this.entries.find(filter).sort({ transactionDate: 1, _id: 1 })) {
      yield ledgerEntrySchema.parse({ ...document, id: document._id });
    }
  }

  /** The certificates snapshotted on entries dated within the range (recorded by `recordedBy`): those that stood behind its transactions. */
  async certificateIdsBetween(tenant: Tenant, from: string, to: string, recordedBy: Date): Promise<string[]> {
    const ids = new Set<string>();
    const cursor = this.entries.find(
      { ...tenantFilter(tenant), transactionDate: { $gte: from, $lte: to }, certificate: { $ne: null }, recordedAt: { $lte: recordedBy } },
      { projection: { certificate: 1 } },
    );
    for await (const document of cursor) if (document.certificate !== null) ids.add(document.certificate.id);
    return [...ids].sort();
  }
}

export interface CertificateEntriesQuery {
  readonly customerId: string;
  readonly certificateId: string;
  /** Only entries dated within from..to, when both are given. */
  readonly from?: string;
  readonly to?: string;
  readonly recordedBy: Date;
}
