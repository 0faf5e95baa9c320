import * as z from 'zod';
import type { Certificate } from './certificate.js';
import { certificateJurisdictionsSchema, certificateLimits } from './certificate.js';
import { certificateFormSchema } from './certificateForms.js';
import type { CalendarDate, Instant } from './dates.js';
import { DomainError } from './errors.js';
import { exemptionReasonSchema } from './exemptionReasons.js';
import { jurisdictionCodeSchema, type JurisdictionCode } from './jurisdictions.js';
import { jurisdictionStatus, type JurisdictionStatus } from './status.js';

/*
 * A certificate request: the merchant asks a customer, by an emailed single-use link, to
 * send a certificate. Its life:
 *
 *   sent ──open──▶ opened ──submit──▶ submitted ──approve──▶ approved
 *    │  ◀─resend──┘  │                    └──────reject───▶ rejected
 *    ├──expire──▶ expired ──resend──▶ sent
 *    └──cancel──▶ cancelled   (from sent, opened or expired)
 *
 * approved, rejected and cancelled are final. A rejected customer gets a new request (a
 * new link), so a request never goes back to waiting after a decision: the review of one
 * submission stays on the record as it was made.
 */

export const requestStatuses = ['sent', 'opened', 'submitted', 'approved', 'rejected', 'expired', 'cancelled'] as const;

export type RequestStatus = (typeof requestStatuses)[number];

export const requestEvents = ['open', 'submit', 'approve', 'reject', 'expire', 'cancel', 'resend'] as const;

export type RequestEvent = (typeof requestEvents)[number];

const transitions: Readonly<Record<RequestStatus, Readonly<Partial<Record<RequestEvent, RequestStatus>>>>> = {
  sent: { open: 'opened', submit: 'submitted', expire: 'expired', cancel: 'cancelled', resend: 'sent' },
  opened: { open: 'opened', submit: 'submitted', expire: 'expired', cancel: 'cancelled', resend: 'sent' },
  submitted: { approve: 'approved', reject: 'rejected' },
  expired: { resend: 'sent', cancel: 'cancelled' },
  approved: {},
  rejected: {},
  cancelled: {},
};

/** Statuses nothing leaves. */
export const finalRequestStatuses = ['approved', 'rejected', 'cancelled'] as const satisfies readonly RequestStatus[];

/** Statuses in which a request still waits on someone (the customer, or the reviewer). */
export const openRequestStatuses = ['sent', 'opened', 'submitted'] as const satisfies readonly RequestStatus[];

export class RequestTransitionError extends DomainError {
  override readonly name = 'RequestTransitionError';
  constructor(
    readonly status: RequestStatus,
    readonly event: RequestEvent,
  ) {
    super(`a ${status} request cannot be ${pastTense[event]}`);
  }
}

const pastTense: Readonly<Record<RequestEvent, string>> = {
  open: 'opened',
  submit: 'submitted',
  approve: 'approved',
  reject: 'rejected',
  expire: 'expired',
  cancel: 'cancelled',
  resend: 're-sent',
};

export function canTransition(status: RequestStatus, event: RequestEvent): boolean {
  return transitions[status][event] !== undefined;
}

/** The status after `event`; throws RequestTransitionError when the event is not allowed in `status`. */
export function nextRequestStatus(status: RequestStatus, event: RequestEvent): RequestStatus {
  const next = transitions[status][event];
  if (next === undefined) throw new RequestTransitionError(status, event);
  return next;
}

// ---------------------------------------------------------------------------------------
// The link.

/** 32 random bytes, base64url without padding: what a link carries. Only its SHA-256 is stored. */
export const requestTokenBytes = 32;

export const requestTokenPattern = /^[A-Za-z0-9_-]{43}$/;

export function isRequestTokenShape(value: string): boolean {
  return requestTokenPattern.test(value);
}

export const defaultRequestLinkDays = 30;

/** When a link sent at `sentAt` stops working: `days` whole days later, to the millisecond. */
export function linkExpiresAt(sentAt: Instant, days: number): Instant {
  if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`link lifetime must be a whole number of days from 1 up, got ${days}`);
  return new Date(Date.parse(sentAt) + days * 86_400_000).toISOString();
}

/**
 * Whether a link may be used now: its request still waits for the customer and the link has
 * not expired. Whoever holds a link that fails this learns nothing else about it.
 */
export function isLinkUsable(request: { readonly status: RequestStatus; readonly expiresAt: Instant }, now: Instant): boolean {
  return (request.status === 'sent' || request.status === 'opened') && Date.parse(now) < Date.parse(request.expiresAt);
}

// ---------------------------------------------------------------------------------------
// When a request may be made.

export type RequestEligibility =
  | { readonly allowed: true; readonly needed: readonly JurisdictionCode[] }
  | { readonly allowed: false; readonly reason: string };

type EligibilityCertificate = Pick<Certificate, 'id' | 'archivedAt' | 'jurisdictions'>;

/**
 * A request is for jurisdictions where the customer has no certificate that will stay good:
 * none at all, only expired or archived ones, or one expiring soon. If every jurisdiction
 * asked for is covered by a certificate that is active (or not yet effective) and not
 * expiring soon, there is nothing to ask for.
 */
export function requestEligibility(
  certificates: readonly EligibilityCertificate[],
  jurisdictions: readonly JurisdictionCode[],
  today: CalendarDate,
  windowDays: number,
): RequestEligibility {
  const covered: string[] = [];
  const needed: JurisdictionCode[] = [];
  for (const code of jurisdictions) {
    const statuses: JurisdictionStatus[] = [];
    for (const certificate of certificates) {
      if (certificate.archivedAt !== null) continue;
      for (const j of certificate.jurisdictions) if (j.code === code) statuses.push(jurisdictionStatus(j, today, windowDays));
    }
    const good = statuses.find((s) => s === 'active' || s === 'not_yet_effective');
    if (good === undefined) needed.push(code);
    else covered.push(`${code} (${good === 'active' ? 'active' : 'not yet effective'})`);
  }
  if (needed.length > 0) return { allowed: true, needed };
  return {
    allowed: false,
    reason: `the customer already has a certificate that is not expiring soon for ${covered.join(', ')}; a request is for a certificate that is expiring soon, expired or missing`,
  };
}

// ---------------------------------------------------------------------------------------
// What the customer submits.

export const submissionLimits = {
  signerNameLength: 100,
  signerTitleLength: 100,
  messageLength: 2000,
  rejectionReasonLength: 1000,
} as const;

function text(maxLength: number, what: string) {
  return z
    .string({ error: `enter ${what}` })
    .trim()
    .min(1, { error: `enter ${what}` })
    .max(maxLength, { error: `${what} must be at most ${maxLength} characters` });
}

/**
 * The portal's form, as data. Purchase type is not asked: a customer answering a request
 * sends a blanket certificate, and the reviewer can correct that before approving.
 */
export const portalSubmissionSchema = z
  .strictObject({
    reason: exemptionReasonSchema,
    reasonOther: text(certificateLimits.reasonOtherLength, 'the reason').nullable().default(null),
    form: certificateFormSchema,
    number: z
      .string()
      .trim()
      .max(certificateLimits.numberLength, { error: `the number must be at most ${certificateLimits.numberLength} characters` })
      .transform((value) => (value === '' ? null : value))
      .nullable()
      .default(null),
    jurisdictions: certificateJurisdictionsSchema,
    signerName: text(submissionLimits.signerNameLength, 'the name of the person who signed'),
    signerTitle: text(submissionLimits.signerTitleLength, 'the signer’s title'),
  })
  .superRefine((submission, ctx) => {
    if (submission.reason === 'other' && submission.reasonOther === null) {
      ctx.addIssue({ code: 'custom', path: ['reasonOther'], input: null, message: 'explain the exemption when the reason is Other' });
    }
    if (submission.reason !== 'other' && submission.reasonOther !== null) {
      ctx.addIssue({ code: 'custom', path: ['reasonOther'], input: submission.reasonOther, message: 'leave this empty unless the reason is Other' });
    }
  });

export type PortalSubmission = z.infer<typeof portalSubmissionSchema>;

/** What the merchant asks for. */
export const certificateRequestInputSchema = z.strictObject({
  customerId: z.string().regex(/^cus_[A-Za-z0-9]{1,250}$/, { error: 'must be a Stripe customer id (cus_…)' }),
  /** Defaults to the Stripe customer's email. */
  email: z.email({ error: 'must be an email address' }).max(254).optional(),
  /** The certificate this one replaces; approval archives it. */
  renewsCertificateId: z
    .string()
    .regex(/^cert_[0-9a-f]{24}$/, { error: 'must be a certificate id (cert_…)' })
    .optional(),
  /** Defaults to the renewed certificate's jurisdictions. */
  jurisdictions: z
    .array(jurisdictionCodeSchema)
    .min(1, { error: 'ask for at least one jurisdiction' })
    .max(60)
    .refine((codes) => new Set(codes).size === codes.length, { error: 'a jurisdiction is listed more than once' })
    .optional(),
  message: z
    .string()
    .trim()
    .max(submissionLimits.messageLength, { error: `the message must be at most ${submissionLimits.messageLength} characters` })
    .optional(),
});

export type CertificateRequestInput = z.infer<typeof certificateRequestInputSchema>;
