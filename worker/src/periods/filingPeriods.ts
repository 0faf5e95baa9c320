import type { Actor, FiledPeriod, JurisdictionCode } from '@exemptions/shared';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

export interface FiledPeriodRecord {
  readonly jurisdiction: JurisdictionCode | null;
  readonly periodKey: string;
  readonly filedAt: Date;
  readonly filedBy: Actor;
}

interface FiledPeriodDocument extends FiledPeriodRecord {
  _id: string;
  accountId: string;
  livemode: boolean;
}

/**
 * Filed returns. Filing is an insert under a key of its own (account, mode, jurisdiction,
 * period), so it happens once, is kept with who did it and when, and has no undo here: a filed
 * period never receives another entry (the ledger places corrections in the current open period).
 */
export class FilingPeriodRepository {
  private readonly filed: Collection<FiledPeriodDocument>;

  constructor(db: Db) {
    this.filed = db.collection<FiledPeriodDocument>('filed_periods');
  }

  ensureIndexes(): Promise<void> {
    return ensureIndexes(this.filed, [{ key: { accountId: 1, livemode: 1, jurisdiction: 1, periodKey: 1 }, name: 'by_jurisdiction' }]);
  }

  private static id(tenant: Tenant, jurisdiction: JurisdictionCode | null, periodKey: string): string {
    return `${tenant.accountId}:${tenant.livemode ? 'live' : 'test'}:${jurisdiction ?? 'none'}:${periodKey}`;
  }

  /** Files the period; filing it again returns the first filing unchanged. */
  async file(tenant: Tenant, jurisdiction: JurisdictionCode | null, periodKey: string, filedBy: Actor, at: Date): Promise<FiledPeriodRecord> {
    const _id = FilingPeriodRepository.id(tenant, jurisdiction, periodKey);
    try {
      await this.filed.insertOne({ _id, ...tenantFilter(tenant), jurisdiction, periodKey, filedAt: at, filedBy });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const stored = await this.filed.findOne({ _id, ...tenantFilter(tenant) });
    if (stored === null) throw new Error(`filed period ${_id} vanished`);
    return { jurisdiction: stored.jurisdiction, periodKey: stored.periodKey, filedAt: stored.filedAt, filedBy: stored.filedBy };
  }

  async list(tenant: Tenant): Promise<FiledPeriodRecord[]> {
    const documents = await this.filed.find(tenantFilter(tenant)).sort({ jurisdiction: 1, periodKey: 1 }).toArray();
    return documents.map(({ jurisdiction, periodKey, filedAt, filedBy }) => ({ jurisdiction, periodKey, filedAt, filedBy }));
  }

  async filedPeriods(tenant: Tenant): Promise<FiledPeriod[]> {
    return (await this.list(tenant)).map(({ jurisdiction, periodKey }) => ({ jurisdiction, periodKey }));
  }
}
