/**
 * Every change the app makes, in one place, each with what it makes stale. A hook calls these
 * rather than the API, so no screen is left showing what a save just changed.
 */
import type { CertificateInput, CertificatePatch, CertificateRequestInput } from '@exemptions/shared';
import type { ApprovalCorrections, CertificatesApi, ReprocessRange } from '../api/certificatesApi';
import type { AccountSettings, ReprocessWarning } from '../api/types';
import type { QueryCache } from './queryCache';
import { queryKeys } from './queryKeys';

export type Mutations = ReturnType<typeof mutationsFor>;

export function mutationsFor(api: CertificatesApi, cache: QueryCache) {
  /** A certificate changed: every list, detail and count that shows certificates. */
  const certificatesChanged = () => cache.invalidate(queryKeys.certificates, queryKeys.compliance);

  return {
    async createCertificate(input: CertificateInput) {
      const created = await api.createCertificate(input);
      certificatesChanged();
      return created;
    },
    async updateCertificate(certificateId: string, patch: CertificatePatch) {
      const saved = await api.updateCertificate(certificateId, patch);
      certificatesChanged();
      return saved;
    },
    async archiveCertificate(certificateId: string, body: { reason?: string; expectedVersion: number }) {
      const archived = await api.archiveCertificate(certificateId, body);
      certificatesChanged();
      return archived;
    },
    async attachStripeFile(certificateId: string, stripeFileId: string) {
      const attached = await api.attachStripeFile(certificateId, stripeFileId);
      certificatesChanged();
      return attached;
    },
    async requestCertificate(input: CertificateRequestInput) {
      const request = await api.requestCertificate(input);
      cache.invalidate(queryKeys.requests);
      return request;
    },
    async approveRequest(requestId: string, corrections: ApprovalCorrections) {
      const approved = await api.approveRequest(requestId, corrections);
      cache.invalidate(queryKeys.requests);
      certificatesChanged();
      return approved;
    },
    async rejectRequest(requestId: string, reason: string) {
      const rejected = await api.rejectRequest(requestId, reason);
      cache.invalidate(queryKeys.requests);
      return rejected;
    },
    // A run changes the ledger, not certificates; the invoice view reads the ledger when opened.
    startReprocess(certificateId: string, range: ReprocessRange, acknowledged: readonly ReprocessWarning[]) {
      return api.startReprocess(certificateId, range, acknowledged);
    },
    cancelReprocess(runId: string) {
      return api.cancelReprocessRun(runId);
    },
    /** Statuses depend on the window and time zone, so certificate screens reload too. */
    async saveSettings(changes: Partial<AccountSettings>) {
      const saved = await api.updateSettings(changes);
      cache.invalidate(queryKeys.settings, queryKeys.certificates, queryKeys.compliance);
      return saved;
    },
  };
}
