import type { TaxExemptMemory, TaxExemptValue } from '@exemptions/shared';
import type { Collection, Db } from 'mongodb';
import { tenantFilter, type Tenant } from '../tenancy.js';

export interface Conflict {
  readonly current: TaxExemptValue;
  readonly wanted: TaxExemptValue;
  readonly at: Date;
}

interface MemoryDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  customerId: string;
  lastSet: TaxExemptValue | null;
  pending: TaxExemptValue | null;
  /** Numbers each decided write, so writing `exempt` again after a `none` gets a fresh idempotency key. */
  sequence: number;
  conflict: Conflict | null;
  /** What this service would set, under the record-only policy. */
  wanted: TaxExemptValue | null;
  coveredBy: string | null;
  updatedAt: Date;
}

export interface CustomerSyncState extends TaxExemptMemory {
  readonly sequence: number;
  readonly conflict: Conflict | null;
}

/** What this service wrote to each customer's tax_exempt, so a value set by hand is recognised as such. */
export class TaxExemptMemoryStore {
  private readonly memory: Collection<MemoryDocument>;

  constructor(db: Db) {
    this.memory = db.collection<MemoryDocument>('tax_exempt_sync');
  }

  private static id(tenant: Tenant, customerId: string): string {
    return `${tenant.accountId}:${tenant.livemode ? 'live' : 'test'}:${customerId}`;
  }

  async get(tenant: Tenant, customerId: string): Promise<CustomerSyncState> {
    const stored = await this.memory.findOne({ _id: TaxExemptMemoryStore.id(tenant, customerId), ...tenantFilter(tenant) });
    return { lastSet: stored?.lastSet ?? null, pending: stored?.pending ?? null, sequence: stored?.sequence ?? 0, conflict: stored?.conflict ?? null };
  }

  async update(
    tenant: Tenant,
    customerId: string,
    changes: Partial<Pick<MemoryDocument, 'lastSet' | 'pending' | 'sequence' | 'conflict' | 'wanted' | 'coveredBy'>>,
    at: Date,
  ): Promise<void> {
    await this.memory.updateOne(
      { _id: TaxExemptMemoryStore.id(tenant, customerId), ...tenantFilter(tenant), customerId },
      { $set: { ...changes, updatedAt: at } },
      { upsert: true },
    );
  }

  /** Customers whose tax_exempt was set by hand against what their certificates say. */
  conflicts(tenant: Tenant): Promise<Array<{ customerId: string; conflict: Conflict }>> {
    return this.memory
      .find({ ...tenantFilter(tenant), conflict: { $ne: null } })
      .toArray()
      .then((docs) => docs.flatMap((d) => (d.conflict === null ? [] : [{ customerId: d.customerId, conflict: d.conflict }])));
  }
}
