/**
 * What the worker's `/api/v1` answers, as docs/openapi.json documents it. Where the domain
 * package already names a shape (a certificate, a status, a ledger entry) it is reused, so a
 * change there reaches the UI at compile time; the rest mirrors the worker's response schemas,
 * and test/app checks every fixture against the committed OpenAPI document.
 */
import type {
  CalendarDate,
  Certificate,
  CertificateFile,
  CertificateForm,
  CertificateJurisdiction,
  CertificateStatus,
  CustomerStatus,
  ExemptionReason,
  FieldChange,
  HistoryAction,
  Instant,
  JurisdictionCode,
  JurisdictionStatusEntry,
  LedgerEntry,
  PeriodFrequency,
  RequestStatus,
  ReprocessWarning,
  SkipReason,
  SyncPolicy,
} from '@exemptions/shared';

export type { CertificateStatus, CustomerStatus, LedgerEntry, ReprocessWarning, SkipReason };

export interface CustomerSummary {
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
}

/** `Certificate` in the OpenAPI document: the record plus what today makes of it. */
export interface CertificateView extends Certificate {
  readonly customer: CustomerSummary;
  readonly status: CertificateStatus;
  readonly jurisdictionStatuses: readonly JurisdictionStatusEntry[];
  readonly nextExpirationDate: CalendarDate | null;
}

export interface HistoryEntry {
  readonly version: number;
  readonly action: HistoryAction;
  readonly actor: { readonly type: 'user' | 'customer' | 'system'; readonly id: string };
  readonly at: Instant;
  readonly changes: readonly FieldChange[];
}

/** `CertificateDetail`: a certificate with its full history, oldest version first. */
export interface CertificateDetail extends CertificateView {
  readonly history: readonly HistoryEntry[];
}

export interface CertificatePage {
  readonly data: readonly CertificateView[];
  readonly nextCursor: string | null;
}

export interface CustomerCertificates {
  readonly customerId: string;
  readonly status: CustomerStatus;
  readonly data: readonly CertificateView[];
}

export interface FileAttached {
  readonly file: CertificateFile;
  readonly certificate: CertificateView;
}

/** `FileLink`: opens one stored file in a browser tab, without a signature, until `expiresAt`. */
export interface FileLink {
  readonly url: string;
  readonly expiresAt: Instant;
}

export interface CertificateSubmission {
  readonly reason: ExemptionReason;
  readonly reasonOther: string | null;
  readonly form: CertificateForm;
  readonly number: string | null;
  readonly jurisdictions: readonly CertificateJurisdiction[];
  readonly signerName: string;
  readonly signerTitle: string;
  readonly file: { readonly id: string; readonly filename: string; readonly contentType: string; readonly size: number; readonly sha256: string };
  readonly activeContent: readonly ('javascript' | 'launch_action' | 'embedded_file' | 'not_fully_inspected')[];
  readonly submittedAt: Instant;
}

/** `CertificateRequest`: a request to a customer, with what they submitted and how it was reviewed. */
export interface CertificateRequestView {
  readonly id: string;
  readonly customer: CustomerSummary;
  readonly email: string;
  readonly jurisdictions: readonly JurisdictionCode[];
  readonly renewsCertificateId: string | null;
  readonly message: string | null;
  readonly origin: 'merchant' | 'auto_renewal' | 'resubmission';
  readonly previousRequestId: string | null;
  readonly status: RequestStatus;
  readonly sendCount: number;
  readonly sentAt: Instant;
  readonly expiresAt: Instant;
  readonly openedAt: Instant | null;
  readonly cancelledAt: Instant | null;
  readonly submission: CertificateSubmission | null;
  readonly review: {
    readonly decision: 'approved' | 'rejected';
    readonly reason: string | null;
    readonly certificateId: string | null;
    readonly resubmissionRequestId: string | null;
    readonly at: Instant;
  } | null;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
}

export interface CertificateRequestPage {
  readonly data: readonly CertificateRequestView[];
  readonly nextCursor: string | null;
}

export interface RequestApproved {
  readonly request: CertificateRequestView;
  readonly certificate: CertificateView;
}

export interface RequestRejected {
  readonly request: CertificateRequestView;
  readonly resubmission: CertificateRequestView | null;
}

export interface ReprocessSummaryView {
  readonly transactions: number;
  readonly changes: number;
  readonly inOpenPeriods: number;
  readonly inFiledPeriods: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Minor units per currency. */
  readonly refundByCurrency: Readonly<Record<string, number>>;
  readonly pastRefundStatute: number;
  readonly pastRefundStatuteAssumed: number;
  readonly warnings: readonly ReprocessWarning[];
}

export interface ReprocessPreview {
  readonly summary: ReprocessSummaryView;
  readonly items: readonly {
    readonly invoiceId: string;
    readonly invoiceNumber: string | null;
    readonly jurisdiction: string | null;
    readonly transactionDate: CalendarDate;
    readonly currency: string;
    readonly periodKey: string;
    readonly action: 'change' | 'skip';
    readonly reason?: SkipReason;
    readonly inFiledPeriod?: boolean;
    readonly refund?: number;
    readonly pastRefundStatute?: boolean;
  }[];
}

export type ReprocessRunStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface ReprocessRun {
  readonly id: string;
  readonly certificateId: string;
  readonly customerId: string;
  readonly startDate: CalendarDate;
  readonly endDate: CalendarDate;
  readonly prioritizeCustomerAddress: boolean;
  readonly status: ReprocessRunStatus;
  readonly total: number;
  readonly processed: number;
  readonly changed: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly preview: ReprocessSummaryView;
  readonly acknowledged: readonly ReprocessWarning[];
  readonly createdAt: Instant;
  readonly startedAt: Instant | null;
  readonly finishedAt: Instant | null;
  readonly cancelRequestedAt: Instant | null;
  readonly error: string | null;
}

/** `AccountSettings`: per account and mode. */
export interface AccountSettings {
  readonly timeZone: string;
  readonly expiringWindowDays: number;
  readonly syncPolicy: SyncPolicy;
  readonly filingFrequencies: Readonly<Partial<Record<JurisdictionCode, PeriodFrequency>>>;
  readonly businessName: string | null;
  readonly merchantNotificationEmail: string | null;
  readonly requestLinkDays: number;
  readonly reminderDays: readonly number[];
  readonly autoRenewalRequests: boolean;
}

export interface LedgerEntryList {
  readonly data: readonly LedgerEntry[];
}

/** `ComplianceSummary`: counts as of today in the account's time zone. */
export interface ComplianceSummary {
  readonly today: CalendarDate;
  readonly windowDays: number;
  readonly byStatus: Readonly<Record<CertificateStatus, number>>;
  readonly total: number;
  /** Per jurisdiction some certificate covers, by code; a certificate counts under each of its jurisdictions. */
  readonly byJurisdiction: readonly { readonly jurisdiction: JurisdictionCode; readonly byStatus: Readonly<Record<CertificateStatus, number>>; readonly total: number }[];
  readonly expiring: readonly { readonly withinDays: number; readonly count: number }[];
  /** Customer submissions waiting for review. */
  readonly pendingSubmissions: number;
  /** Requests sent to customers whose link still works. */
  readonly outstandingRequests: number;
  readonly exposedInvoices: number;
  readonly overCollectedInvoices: number;
}
