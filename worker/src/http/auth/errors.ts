import { HttpError } from '../errors.js';

/** Why a signed UI call was refused; each has its own message, and callers branch on this rather than on text. */
export type SignatureFailure = 'missing_header' | 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch';

/**
 * A UI call whose Stripe App signature does not prove who sent it or what they sent: 401.
 * Raised before any route runs, so a refused call changes nothing.
 */
export class SignatureError extends HttpError {
  override name = 'SignatureError';
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(401, message);
  }
}

/**
 * No app signing secret is configured, so no UI call can be verified: 503 rather than 401,
 * because the fault is the operator's and retrying after they fix it will succeed.
 */
export class AppSecretNotConfiguredError extends HttpError {
  override name = 'AppSecretNotConfiguredError';
  constructor() {
    super(503, 'The Stripe App signing secret is not configured on this worker, so calls from the app cannot be verified');
  }
}
