/**
 * One method per route of the certificates service that the app uses, named for what the
 * merchant does. Paths, parameters and bodies are those of docs/openapi.json.
 */
import type { CertificateInput, CertificatePatch, CertificateRequestInput, CertificateDetails, CertificateJurisdiction } from '@exemptions/shared';
import type { RequestSender } from './client';
import type {
  AccountSettings,
  CertificateDetail,
  CertificatePage,
  CertificateRequestPage,
  CertificateStatus,
  CertificateView,
  ComplianceSummary,
  CustomerCertificates,
  FileAttached,
  FileLink,
  CertificateRequestView,
  LedgerEntryList,
  ReprocessPreview,
  ReprocessRun,
  ReprocessWarning,
  RequestApproved,
  RequestRejected,
} from './types';

export interface CertificateSearch {
  readonly q?: string;
  readonly status?: CertificateStatus;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface ReprocessRange {
  readonly startDate: string;
  readonly endDate: string;
  readonly prioritizeCustomerAddress: boolean;
}

/** The reviewer's corrections on approval: each group given replaces what the customer submitted. */
export interface ApprovalCorrections {
  readonly details?: CertificateDetails;
  readonly jurisdictions?: readonly CertificateJurisdiction[];
  readonly notes?: string;
}

const id = encodeURIComponent;

export class CertificatesApi {
  constructor(private readonly client: RequestSender) {}

  customerCertificates(customerId: string): Promise<CustomerCertificates> {
    return this.client.request('GET', `/customers/${id(customerId)}/certificates`);
  }

  searchCertificates(search: CertificateSearch): Promise<CertificatePage> {
    return this.client.request('GET', '/certificates', { query: { q: search.q, status: search.status, limit: search.limit, cursor: search.cursor } });
  }

  certificate(certificateId: string): Promise<CertificateDetail> {
    return this.client.request('GET', `/certificates/${id(certificateId)}`);
  }

  createCertificate(input: CertificateInput): Promise<CertificateView> {
    return this.client.request('POST', '/certificates', { body: input });
  }

  /** `patch.expectedVersion` is the version on screen; a stale one answers VersionConflictError. */
  updateCertificate(certificateId: string, patch: CertificatePatch): Promise<CertificateView> {
    return this.client.request('PATCH', `/certificates/${id(certificateId)}`, { body: patch });
  }

  archiveCertificate(certificateId: string, body: { reason?: string; expectedVersion: number }): Promise<CertificateView> {
    return this.client.request('POST', `/certificates/${id(certificateId)}/archive`, { body });
  }

  /** A file the merchant uploaded with StripeFileUploader; the service keeps its own copy. */
  attachStripeFile(certificateId: string, stripeFileId: string): Promise<FileAttached> {
    return this.client.request('POST', `/certificates/${id(certificateId)}/files`, { body: { stripeFileId } });
  }

  /** A short-lived link to a stored file: a Dashboard tab cannot send the signed headers a download needs. */
  fileLink(certificateId: string, fileId: string): Promise<FileLink> {
    return this.client.request('POST', `/certificates/${id(certificateId)}/files/${id(fileId)}/link`);
  }

  requestCertificate(input: CertificateRequestInput): Promise<CertificateRequestView> {
    return this.client.request('POST', '/certificate-requests', { body: input });
  }

  reviewQueue(cursor?: string): Promise<CertificateRequestPage> {
    return this.client.request('GET', '/review-queue', { query: { cursor } });
  }

  approveRequest(requestId: string, corrections: ApprovalCorrections): Promise<RequestApproved> {
    return this.client.request('POST', `/certificate-requests/${id(requestId)}/approve`, { body: corrections });
  }

  rejectRequest(requestId: string, reason: string): Promise<RequestRejected> {
    return this.client.request('POST', `/certificate-requests/${id(requestId)}/reject`, { body: { reason } });
  }

  previewReprocess(certificateId: string, range: ReprocessRange): Promise<ReprocessPreview> {
    return this.client.request('POST', `/certificates/${id(certificateId)}/reprocess/preview`, { body: range });
  }

  startReprocess(certificateId: string, range: ReprocessRange, acknowledgedWarnings: readonly ReprocessWarning[]): Promise<ReprocessRun> {
    return this.client.request('POST', `/certificates/${id(certificateId)}/reprocess`, { body: { ...range, acknowledgedWarnings } });
  }

  reprocessRun(runId: string): Promise<ReprocessRun> {
    return this.client.request('GET', `/reprocess/${id(runId)}`);
  }

  cancelReprocessRun(runId: string): Promise<ReprocessRun> {
    return this.client.request('POST', `/reprocess/${id(runId)}/cancel`);
  }

  settings(): Promise<AccountSettings> {
    return this.client.request('GET', '/settings');
  }

  updateSettings(changes: Partial<AccountSettings>): Promise<AccountSettings> {
    return this.client.request('PATCH', '/settings', { body: changes });
  }

  invoiceLedgerEntries(invoiceId: string): Promise<LedgerEntryList> {
    return this.client.request('GET', '/ledger/entries', { query: { invoiceId } });
  }

  complianceSummary(): Promise<ComplianceSummary> {
    return this.client.request('GET', '/compliance/summary');
  }
}
