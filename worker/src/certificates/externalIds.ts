import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

/**
 * Which certificate an import row's external id was claimed for, per tenant. The key is the `_id`
 * (`<account>:<mode>:<external id>`; the account id holds no colon), so of two imports
 * creating the same row at once exactly one claims it, and the other updates the
 * certificate the first created. A claim is written before its certificate: an import cut
 * short between the two finds the claim on the next run and creates the certificate under
 * the claimed id.
 */
interface ExternalIdDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  externalId: string;
  certificateId: string;
  claimedAt: string;
}

export const CERTIFICATE_EXTERNAL_IDS = 'certificate_external_ids';

function keyOf(tenant: Tenant, externalId: string): string {
  return `${tenant.accountId}:${tenant.livemode}:${externalId}`;
}

export class CertificateExternalIds {
  private readonly documents: Collection<ExternalIdDocument>;

  constructor(db: Db) {
    this.documents = db.collection<ExternalIdDocument>(CERTIFICATE_EXTERNAL_IDS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.documents, [{ key: { accountId: 1, livemode: 1, externalId: 1 }, name: 'by_external_id' }]);
  }

  /** Claims `externalId` for `certificateId`; answers the id that holds the claim, which is another when someone claimed first. */
  async claim(tenant: Tenant, externalId: string, certificateId: string, at: string): Promise<string> {
    try {
      await this.documents.insertOne({ _id: keyOf(tenant, externalId), ...tenantFilter(tenant), externalId, certificateId, claimedAt: at });
      return certificateId;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.documents.findOne({ _id: keyOf(tenant, externalId), ...tenantFilter(tenant) });
      if (winner === null) throw error;
      return winner.certificateId;
    }
  }

  /** The tenant's claims, by external id: one read for a whole import or export. */
  async claims(tenant: Tenant): Promise<Array<{ externalId: string; certificateId: string }>> {
    const documents = await this.documents.find(tenantFilter(tenant), { projection: { _id: 0, externalId: 1, certificateId: 1 } }).sort({ externalId: 1 }).toArray();
    return documents.map(({ externalId, certificateId }) => ({ externalId, certificateId }));
  }
}
