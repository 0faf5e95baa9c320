import type { Actor, CertificateInput, JurisdictionCode, PortalSubmission, RequestStatus } from '@exemptions/shared';
import type { CertificateFileContentType } from '@exemptions/shared';
import type { PdfActiveContent } from '../files/pdfActiveContent.js';

/** Who started a request: the merchant, the daily renewal job, or a rejection (the customer's second try). */
export type RequestOrigin = 'merchant' | 'auto_renewal' | 'resubmission';

export interface SubmittedFile {
  readonly id: string;
  readonly filename: string;
  readonly contentType: CertificateFileContentType;
  readonly size: number;
  readonly sha256: string;
}

/** What the customer sent through the portal, as they sent it. */
export interface SubmissionRecord {
  readonly data: PortalSubmission;
  readonly file: SubmittedFile;
  /** PDF features a reviewer should know of before opening the file (see files/pdfActiveContent.ts). */
  readonly activeContent: readonly PdfActiveContent[];
  readonly submittedAt: string;
}

export interface ReviewRecord {
  readonly decision: 'approved' | 'rejected';
  /** The rejection reason; null for an approval. */
  readonly reason: string | null;
  /** The certificate an approval created. */
  readonly certificateId: string | null;
  /** What the approval stored, corrections applied: kept so an interrupted approval can be finished. */
  readonly certificateInput: CertificateInput | null;
  /** The new request a rejection sent the customer. */
  readonly resubmissionRequestId: string | null;
  readonly actor: Actor;
  readonly at: string;
}

export interface RequestDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  customerId: string;
  customer: { name: string | null; email: string | null };
  /** Where the link goes (prefilled from Stripe, editable by the merchant). */
  email: string;
  jurisdictions: JurisdictionCode[];
  renewsCertificateId: string | null;
  message: string | null;
  origin: RequestOrigin;
  previousRequestId: string | null;
  status: RequestStatus;
  /** SHA-256 (hex) of the current link's token; the token itself is never stored. */
  tokenHash: string;
  /** 1 for the first email, one more per re-send: the step of the request email's idempotency key. */
  sendCount: number;
  expiresAt: string;
  sentAt: string;
  openedAt: string | null;
  submission: SubmissionRecord | null;
  review: ReviewRecord | null;
  cancelledAt: string | null;
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
}

/**
 * A link's token, by its hash (`_id`): how the public portal finds a request, and with it the
 * tenant. Never updated; a re-send inserts a new one.
 */
export interface TokenDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  requestId: string;
  createdAt: string;
}

/**
 * The one-time claims that decide a request, each under a unique `_id`, so that of two
 * concurrent callers exactly one wins (FerretDB has no atomic conditional update):
 * - `token:<hash>` — the link was used: for a submission (`submitted`), or made void by a
 *   cancellation or a re-send;
 * - `review:<request id>` — the reviewer's decision.
 * Each holds what the losing race or a crashed writer needs to roll the request forward.
 */
export type ClaimDocument =
  | {
      _id: string;
      accountId: string;
      livemode: boolean;
      requestId: string;
      kind: 'submitted';
      submission: SubmissionRecord;
      at: string;
    }
  | { _id: string; accountId: string; livemode: boolean; requestId: string; kind: 'cancelled' | 'superseded'; at: string }
  | { _id: string; accountId: string; livemode: boolean; requestId: string; kind: 'review'; review: ReviewRecord; at: string };

export const tokenClaimId = (tokenHash: string): string => `token:${tokenHash}`;
export const reviewClaimId = (requestId: string): string => `review:${requestId}`;
