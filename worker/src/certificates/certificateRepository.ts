import {
  certificateChanges,
  certificateStatuses,
  VersionConflictError,
  type Actor,
  type Certificate,
  type CertificateStatus,
  type FieldChange,
  type HistoryAction,
} from '@exemptions/shared';
import type { Collection, Db, Filter, Sort } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { withConditions } from '../db/filters.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';
import {
  coverageFieldsFromDocument,
  coverageProjection,
  fromDocument,
  storedStatus,
  toDocument,
  type CertificateDocument,
  type CoverageFields,
  type CustomerSummary,
  type StatusBasis,
} from './certificateDocument.js';
import { staleStatusFilter, statusFilter } from './statusFilter.js';

/**
 * One version of a certificate, written before the certificate itself. Its `_id`
 * (`<certificate id>:v<version>`) is unique, so of two writers starting from the same version
 * exactly one can record the next: the history is the optimistic-concurrency check.
 * It keeps the whole snapshot, so a write interrupted between the two steps is rolled forward.
 */
export interface HistoryDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  certificateId: string;
  version: number;
  action: HistoryAction;
  actor: Actor;
  at: string;
  changes: FieldChange[];
  snapshot: CertificateDocument;
}

export interface HistoryEntry {
  readonly version: number;
  readonly action: HistoryAction;
  readonly actor: Actor;
  readonly at: string;
  readonly changes: readonly FieldChange[];
}

export type { CustomerSummary, StatusBasis };

export interface StatusChange {
  readonly certificateId: string;
  readonly customerId: string;
  readonly from: CertificateStatus;
  readonly to: CertificateStatus;
}

export interface StoredCertificate {
  readonly certificate: Certificate;
  readonly customer: CustomerSummary;
}

export interface CertificateSearch {
  /** Prefix of the customer's name, email or id; case-insensitive. */
  readonly q?: string;
  readonly status?: CertificateStatus;
  readonly jurisdiction?: string;
  readonly reason?: string;
  readonly customerId?: string;
  readonly sort: 'expiration' | 'updated';
  readonly limit: number;
  readonly cursor?: SearchCursor;
}

/** Where the previous page ended: the sort key and id of its last certificate. */
export interface SearchCursor {
  readonly key: string;
  readonly id: string;
}

export interface SearchPage {
  readonly items: StoredCertificate[];
  readonly next: SearchCursor | null;
}

export const CERTIFICATES = 'certificates';
export const CERTIFICATE_HISTORY = 'certificate_history';

function escapeRegex(text: string): string {
  // BSON stores a regex pattern as a C string, so a NUL in it cannot even be sent (the driver
  // throws, a 500); `\x00` matches the same character.
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('\0', '\\x00');
}

const tenantKey = (tenant: Tenant): string => `${tenant.accountId}:${String(tenant.livemode)}`;
const basisKey = (basis: StatusBasis): string => `${basis.today}:${basis.windowDays}`;

export class CertificateRepository {
  private readonly certificates: Collection<CertificateDocument>;
  private readonly history: Collection<HistoryDocument>;
  /**
   * Tenants whose every stored status this process brought up to date, with the basis it used.
   * Statuses only go stale when the day turns or the window changes (both part of the basis), and
   * every write stores a fresh status, so a search or count needs one refresh per tenant and day,
   * not one per call: that refresh reads all of the tenant's certificates.
   */
  private readonly refreshedFor = new Map<string, string>();

  constructor(db: Db) {
    this.certificates = db.collection<CertificateDocument>(CERTIFICATES);
    this.history = db.collection<HistoryDocument>(CERTIFICATE_HISTORY);
  }

  /** One index per query path; every one starts with the tenant. */
  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.certificates, [
      { key: { accountId: 1, livemode: 1, customerId: 1 }, name: 'by_customer' },
      { key: { accountId: 1, livemode: 1, sortExpiry: 1, _id: 1 }, name: 'by_expiration' },
      { key: { accountId: 1, livemode: 1, updatedAt: -1, _id: -1 }, name: 'by_update' },
      { key: { accountId: 1, livemode: 1, 'search.name': 1 }, name: 'search_name' },
      { key: { accountId: 1, livemode: 1, 'search.email': 1 }, name: 'search_email' },
      { key: { accountId: 1, livemode: 1, 'search.customerId': 1 }, name: 'search_customer' },
      { key: { accountId: 1, livemode: 1, 'jurisdictions.code': 1 }, name: 'by_jurisdiction' },
      { key: { accountId: 1, livemode: 1, 'status.value': 1, sortExpiry: 1, _id: 1 }, name: 'by_status' },
      { key: { accountId: 1, livemode: 1, 'status.until': 1 }, name: 'status_until' },
      { key: { accountId: 1, livemode: 1, 'status.asOf': 1 }, name: 'status_as_of' },
    ]);
    await ensureIndexes(this.history, [{ key: { accountId: 1, livemode: 1, certificateId: 1, version: -1 }, name: 'by_certificate' }]);
  }

  async insert(certificate: Certificate, customer: CustomerSummary, basis: StatusBasis, actor: Actor, action: HistoryAction = 'created'): Promise<void> {
    await this.recordVersion(null, certificate, customer, basis, actor, action);
    await this.certificates.insertOne(toDocument(certificate, customer, basis)).catch((error: unknown) => {
      // A retried create after the history was written: the certificate is already there.
      if (!isDuplicateKeyError(error)) throw error;
    });
  }

  /** Stores `after` as the version following `before`; throws VersionConflictError if another writer got there first. */
  async saveNextVersion(
    before: StoredCertificate,
    after: Certificate,
    basis: StatusBasis,
    actor: Actor,
    action: HistoryAction,
    customer = before.customer,
  ): Promise<void> {
    await this.recordVersion(before.certificate, after, customer, basis, actor, action);
    await this.certificates.replaceOne(
      { _id: after.id, ...tenantFilter(after), version: before.certificate.version },
      toDocument(after, customer, basis),
    );
  }

  /**
   * Recomputes the stored status of the tenant's certificates whose status may have changed
   * by `basis.today` (all of them with `everything`, after the window changed). Idempotent;
   * a concurrent edit wins, since it wrote a fresh status of its own.
   */
  async refreshStatuses(tenant: Tenant, basis: StatusBasis, everything = false): Promise<StatusChange[]> {
    const changes = await this.refreshStale(tenant, basis, everything);
    this.refreshedFor.set(tenantKey(tenant), basisKey(basis));
    return changes;
  }

  /** `refreshStatuses`, unless this process already did it for the tenant on the same basis. */
  private async ensureStatusesCurrent(tenant: Tenant, basis: StatusBasis): Promise<void> {
    if (this.refreshedFor.get(tenantKey(tenant)) === basisKey(basis)) return;
    await this.refreshStatuses(tenant, basis);
  }

  private async refreshStale(tenant: Tenant, basis: StatusBasis, everything: boolean): Promise<StatusChange[]> {
    const stale = await this.certificates
      .find({ ...tenantFilter(tenant), ...(everything ? {} : staleStatusFilter(basis.today)) })
      .toArray();
    const changes: StatusChange[] = [];
    for (const document of stale) {
      const { certificate } = fromDocument(document);
      const status = storedStatus(certificate, basis);
      await this.certificates.updateOne({ _id: document._id, ...tenantFilter(tenant), version: document.version }, { $set: { status } });
      if (status.value !== document.status.value) {
        changes.push({ certificateId: document._id, customerId: document.customerId, from: document.status.value, to: status.value });
      }
    }
    return changes;
  }

  /** Every tenant that holds certificates: the daily sweep visits each. */
  async tenants(): Promise<Tenant[]> {
    const rows = await this.certificates.aggregate<{ _id: { accountId: string; livemode: boolean } }>([{ $group: { _id: { accountId: '$accountId', livemode: '$livemode' } } }]).toArray();
    return rows.map((row) => row._id);
  }

  /** Keeps the searchable customer name and email in step with Stripe; derived data, so no new version. */
  async updateCustomerSummary(tenant: Tenant, customerId: string, customer: CustomerSummary): Promise<void> {
    await this.certificates.updateMany(
      { ...tenantFilter(tenant), customerId },
      { $set: { customer, 'search.name': (customer.name ?? '').toLowerCase(), 'search.email': (customer.email ?? '').toLowerCase() } },
    );
  }

  async find(tenant: Tenant, id: string): Promise<StoredCertificate | null> {
    const [latest] = await this.history
      .find({ ...tenantFilter(tenant), certificateId: id })
      .sort({ version: -1 })
      .limit(1)
      .toArray();
    const document = await this.certificates.findOne({ _id: id, ...tenantFilter(tenant) });
    if (latest !== undefined && (document === null || document.version < latest.version)) {
      // The last write recorded its version but did not reach the certificate: finish it.
      await this.certificates.replaceOne({ _id: id, ...tenantFilter(tenant) }, latest.snapshot, { upsert: true }).catch((error: unknown) => {
        if (!isDuplicateKeyError(error)) throw error;
      });
      return fromDocument(latest.snapshot);
    }
    return document === null ? null : fromDocument(document);
  }

  async historyOf(tenant: Tenant, id: string): Promise<HistoryEntry[]> {
    const entries = await this.history
      .find({ ...tenantFilter(tenant), certificateId: id }, { projection: { snapshot: 0 } })
      .sort({ version: 1 })
      .toArray();
    return entries.map(({ version, action, actor, at, changes }) => ({ version, action, actor, at, changes }));
  }

  /** Every certificate of the tenant, oldest first: the CSV export. */
  async all(tenant: Tenant): Promise<StoredCertificate[]> {
    const documents = await this.certificates.find(tenantFilter(tenant)).sort({ createdAt: 1, _id: 1 }).toArray();
    return documents.map(fromDocument);
  }

  /** What status per jurisdiction is computed from, for every certificate of the tenant (the compliance summary). */
  async statusInputs(tenant: Tenant): Promise<Pick<Certificate, 'archivedAt' | 'jurisdictions'>[]> {
    return this.certificates.find(tenantFilter(tenant), { projection: { _id: 0, archivedAt: 1, jurisdictions: 1 } }).toArray();
  }

  /**
   * Certificates with a jurisdiction that took effect by `to` and one that runs to `from` or
   * later (or never expires), customer by customer: a superset of those in force during the
   * range (two different jurisdictions may meet the two conditions), which callers narrow in
   * code, since FerretDB has no $elemMatch on documents.
   */
  async inForceSuperset(tenant: Tenant, from: string, to: string): Promise<StoredCertificate[]> {
    const documents = await this.certificates
      .find({
        ...tenantFilter(tenant),
        'jurisdictions.effectiveDate': { $lte: to },
        $or: [{ 'jurisdictions.expirationDate': null }, { 'jurisdictions.expirationDate': { $gte: from } }],
      } as Filter<CertificateDocument>)
      .sort({ customerId: 1, createdAt: 1, _id: 1 })
      .toArray();
    return documents.map(fromDocument);
  }

  async ofCustomer(tenant: Tenant, customerId: string): Promise<StoredCertificate[]> {
    const documents = await this.certificates.find({ ...tenantFilter(tenant), customerId }).sort({ createdAt: 1, _id: 1 }).toArray();
    return documents.map(fromDocument);
  }

  /** `ofCustomer` for several customers in one `$in` read, keyed by customer (none: `[]`). */
  async ofCustomers(tenant: Tenant, customerIds: readonly string[]): Promise<Map<string, StoredCertificate[]>> {
    const byCustomer = new Map<string, StoredCertificate[]>(customerIds.map((customerId) => [customerId, []]));
    const documents = await this.certificates
      .find({ ...tenantFilter(tenant), customerId: { $in: [...byCustomer.keys()] } })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
    for (const document of documents) byCustomer.get(document.customerId)?.push(fromDocument(document));
    return byCustomer;
  }

  /**
   * What a coverage decision needs of each of the customer's certificates, in no particular
   * order (the decision does not depend on it): a projection, so the database sends, and we
   * parse, only those fields (the coverage sync, `bench/coverage.ts`).
   */
  async coverageInputsOf(tenant: Tenant, customerId: string): Promise<CoverageFields[]> {
    const documents = await this.certificates.find({ ...tenantFilter(tenant), customerId }, { projection: coverageProjection }).toArray();
    return documents.map(coverageFieldsFromDocument);
  }

  /**
   * How many of the tenant's certificates stand in each status today. One count per status
   * on the `by_status` index, after bringing stale stored statuses up to date, rather than an
   * aggregation: it reads the same on FerretDB and MongoDB.
   */
  async countByStatus(tenant: Tenant, basis: StatusBasis): Promise<Record<CertificateStatus, number>> {
    await this.ensureStatusesCurrent(tenant, basis);
    const counts = await Promise.all(
      certificateStatuses.map(async (status) => [status, await this.certificates.countDocuments({ ...tenantFilter(tenant), ...statusFilter(status) })] as const),
    );
    return Object.fromEntries(counts) as Record<CertificateStatus, number>;
  }

  /**
   * Unarchived certificates with a jurisdiction expiring between `from` and `to` (inclusive):
   * a superset (the range may be met by two different jurisdictions), which callers narrow
   * in code, since FerretDB has no $elemMatch on documents.
   */
  async expiringBetween(tenant: Tenant, from: string, to: string): Promise<StoredCertificate[]> {
    const documents = await this.certificates
      .find({ ...tenantFilter(tenant), archivedAt: null, 'jurisdictions.expirationDate': { $gte: from, $lte: to } } as Filter<CertificateDocument>)
      .sort({ sortExpiry: 1, _id: 1 })
      .toArray();
    return documents.map(fromDocument);
  }

  async search(tenant: Tenant, search: CertificateSearch, basis: StatusBasis): Promise<SearchPage> {
    const equalities: Filter<CertificateDocument> = {
      ...tenantFilter(tenant),
      ...(search.reason === undefined ? {} : { reason: search.reason }),
      ...(search.customerId === undefined ? {} : { customerId: search.customerId }),
    } as Filter<CertificateDocument>;
    const conditions: Filter<CertificateDocument>[] = [];
    if (search.q !== undefined && search.q !== '') {
      const prefix = new RegExp(`^${escapeRegex(search.q.toLowerCase())}`);
      conditions.push({ $or: [{ 'search.name': prefix }, { 'search.email': prefix }, { 'search.customerId': prefix }] });
    }
    if (search.status !== undefined) {
      await this.ensureStatusesCurrent(tenant, basis);
      conditions.push(statusFilter(search.status));
    }
    if (search.jurisdiction !== undefined) conditions.push({ 'jurisdictions.code': search.jurisdiction });

    const ascending = search.sort === 'expiration';
    const keyField = ascending ? 'sortExpiry' : 'updatedAt';
    if (search.cursor !== undefined) {
      const { key, id } = search.cursor;
      const after = ascending ? '$gt' : '$lt';
      conditions.push({ $or: [{ [keyField]: { [after]: key } }, { [keyField]: key, _id: { [after]: id } }] } as Filter<CertificateDocument>);
    }
    const sort: Sort = ascending ? { sortExpiry: 1, _id: 1 } : { updatedAt: -1, _id: -1 };
    const documents = await this.certificates
      .find(withConditions(equalities, conditions))
      .sort(sort)
      .limit(search.limit + 1)
      .toArray();
    const page = documents.slice(0, search.limit);
    const last = page.at(-1);
    const next = documents.length > search.limit && last !== undefined ? { key: String(last[keyField]), id: last._id } : null;
    return { items: page.map(fromDocument), next };
  }

  private async recordVersion(
    before: Certificate | null,
    after: Certificate,
    customer: CustomerSummary,
    basis: StatusBasis,
    actor: Actor,
    action: HistoryAction,
  ): Promise<void> {
    const entry: HistoryDocument = {
      _id: `${after.id}:v${after.version}`,
      accountId: after.accountId,
      livemode: after.livemode,
      certificateId: after.id,
      version: after.version,
      action,
      actor,
      at: after.updatedAt,
      changes: certificateChanges(before, after),
      snapshot: toDocument(after, customer, basis),
    };
    try {
      await this.history.insertOne(entry);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new VersionConflictError(after.id, after.version - 1, after.version);
      throw error;
    }
  }
}
