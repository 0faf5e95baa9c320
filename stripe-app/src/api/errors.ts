/**
 * Every way a call to the certificates service can fail, as classes a hook can branch on
 * (`error instanceof VersionConflictError`) and whose `message` a merchant can read as is.
 * The worker answers `{ error: { message, details } }`; these turn the status and that body
 * into one sentence that says what happened and what to do.
 */
import type { CertificateView } from './types';

/** A field the service named as wrong, with why: `details` of a 400 (`jurisdictions[0].expirationDate`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** 401: the service refused the Dashboard's signature for this call. */
export class SignatureRejectedError extends ApiError {
  override readonly name = 'SignatureRejectedError';
  constructor() {
    super(
      401,
      'The certificates service did not accept this Dashboard session. Reload the page; if it keeps happening, the service’s STRIPE_APP_SECRETS does not hold this app’s signing secret.',
    );
  }
}

/** 400 or 422: the request was understood but something in it is wrong; `problems` names the fields. */
export class InvalidRequestError extends ApiError {
  override readonly name = 'InvalidRequestError';
  constructor(
    status: number,
    message: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(status, message);
  }
}

/** 409 on a certificate: someone saved another version since this screen loaded it. */
export class VersionConflictError extends ApiError {
  override readonly name = 'VersionConflictError';
  constructor(readonly current: CertificateView | null) {
    super(
      409,
      current === null
        ? 'This certificate changed since you opened it. Reload it to see the current version.'
        : current.archivedAt !== null
          ? 'This certificate was archived since you opened it, so it can no longer be changed. Reload it to see the current version.'
          : `Someone else saved this certificate since you opened it (it is now at version ${current.version}). Reload it to see their changes, then make yours again.`,
    );
  }
}

/** 409 otherwise: what was asked contradicts the record's state (a request already open, a decided submission). */
export class StateConflictError extends ApiError {
  override readonly name = 'StateConflictError';
}

export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
}

/** 5xx: the service, its database or Stripe did not answer. Trying again later may work. */
export class ServiceUnavailableError extends ApiError {
  override readonly name = 'ServiceUnavailableError';
}

/** No answer at all: the service is down, or the manifest's connect-src does not allow its address. */
export class NetworkError extends ApiError {
  override readonly name = 'NetworkError';
  constructor(url: string) {
    super(0, `Could not reach the certificates service at ${url}. Check that it is running and that the app’s connect-src allows it.`);
  }
}

const FIELD_WORDS: Readonly<Record<string, string>> = {
  reason: 'reason',
  reasonOther: 'explanation of the reason',
  form: 'certificate form',
  number: 'certificate number',
  purchase: 'purchase',
  invoiceNumber: 'invoice number',
  poNumber: 'purchase-order number',
  jurisdictions: 'jurisdictions',
  code: 'jurisdiction',
  registrationId: 'registration id',
  effectiveDate: 'effective date',
  expirationDate: 'expiration date',
  notes: 'notes',
  email: 'email',
  startDate: 'start date',
  endDate: 'end date',
  acknowledgedWarnings: 'acknowledgement',
  stripeFileId: 'file',
  customerId: 'customer',
  merchantNotificationEmail: 'notification email',
  expiringWindowDays: 'expiring-soon window',
  reminderDays: 'reminder days',
  requestLinkDays: 'request link days',
  timeZone: 'time zone',
  syncPolicy: 'sync policy',
  businessName: 'business name',
  filingFrequencies: 'filing frequencies',
};

/**
 * `jurisdictions[0].expirationDate` → "Jurisdiction 1 expiration date"; `details.reasonOther` →
 * "Explanation of the reason". Unknown parts are kept as they are rather than dropped.
 */
export function readableField(field: string): string {
  const words: string[] = [];
  for (const part of field.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '' || part === 'details' || part === 'body') continue;
    if (/^\d+$/.test(part)) {
      const previous = words.pop();
      words.push(`${previous === 'jurisdictions' ? 'jurisdiction' : (previous ?? 'item')} ${Number(part) + 1}`);
      continue;
    }
    words.push(FIELD_WORDS[part] ?? part);
  }
  const text = words.join(' ');
  return text === '' ? '' : text.charAt(0).toUpperCase() + text.slice(1);
}

function isFieldProblemList(value: unknown): value is FieldProblem[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && typeof (item as FieldProblem).field === 'string' && typeof (item as FieldProblem).message === 'string');
}

/** The `current` certificate a version conflict carries, when the body has one. */
function conflictCurrent(details: unknown): CertificateView | null | undefined {
  if (typeof details !== 'object' || details === null || !('current' in details)) return undefined;
  return (details as { current: CertificateView | null }).current;
}

/** The error for a non-2xx answer, from its status and (parsed) body. */
export function errorFromResponse(status: number, body: unknown): ApiError {
  const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: { message?: unknown; details?: unknown } }).error : undefined;
  const serverMessage = typeof error?.message === 'string' ? error.message : undefined;
  const details = error?.details;
  if (status === 401) return new SignatureRejectedError();
  if (status === 409) {
    const current = conflictCurrent(details);
    if (current !== undefined) return new VersionConflictError(current);
    return new StateConflictError(status, sentence(serverMessage ?? 'This conflicts with the record’s current state.'));
  }
  if (status === 400 || status === 422 || status === 413 || status === 415) {
    const problems = isFieldProblemList(details) ? details : problemsFromMessage(serverMessage);
    const message =
      problems.length > 0
        ? `Please check: ${problems.map((problem) => (problem.field === '' ? problem.message : `${readableField(problem.field)}: ${problem.message}`)).join('; ')}.`
        : sentence(serverMessage ?? 'The service could not accept this.');
    return new InvalidRequestError(status, message, problems);
  }
  if (status === 404) return new NotFoundError(status, sentence(serverMessage ?? 'Not found.'));
  if (status >= 500) return new ServiceUnavailableError(status, 'The certificates service is unavailable right now. Try again in a moment.');
  return new ApiError(status, sentence(serverMessage ?? `The certificates service answered ${status}.`));
}

/**
 * A 422 names its field in the message (`customerId: no customer …`, `acknowledgedWarnings: …`)
 * rather than in `details`; split it off so it reads like the 400s.
 */
function problemsFromMessage(message: string | undefined): FieldProblem[] {
  const match = message === undefined ? null : /^([A-Za-z][A-Za-z0-9_.[\]]*): (.+)$/.exec(message);
  return match === null ? [] : [{ field: match[1] ?? '', message: match[2] ?? '' }];
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
