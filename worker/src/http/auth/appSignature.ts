/**
 * Authentication of calls from the Stripe App UI extension to `/api/v1`.
 *
 * The scheme (also in docs/api-authentication.md):
 *
 * - The UI sends four headers: `Stripe-Signature` (`t=<unix seconds>,v1=<hex>`, from
 *   `fetchStripeSignature`), `X-Stripe-User-Id` (`usr_…`), `X-Stripe-Account-Id`
 *   (`acct_…`) and `X-Stripe-Livemode` (`true` or `false`).
 * - It obtained the signature with `fetchStripeSignature({ method, path, query,
 *   body_sha256, livemode })`, so Stripe signed, with the app's secret (`absec_…`),
 *   exactly `JSON.stringify({ method, path, query, body_sha256, livemode, user_id,
 *   account_id })` — keys in that order. `method` is upper case; `path` is the request
 *   path without the query, as sent; `query` is `canonicalQuery` of the query string
 *   (shared/src/requestSigning.ts); `body_sha256` is the lower-case hex SHA-256 of the
 *   raw body bytes (of zero bytes when there is no body); `livemode` is a boolean.
 * - The worker rebuilds that string from the request it received and the three
 *   identity headers, and verifies it with `stripe.webhooks.signature.verifyHeader`
 *   under each configured secret (two during a rotation), with a 300 s tolerance
 *   applied in both directions (the SDK itself only rejects old timestamps).
 *
 * So a captured header is refused on another route, with another method, other
 * parameters, another body, the other mode, or another user's or account's headers,
 * and after five minutes. The tenant is what was verified, never another header.
 *
 * The middleware needs the raw body: mount `express.raw` for every content type, with a
 * size limit, before it (and CORS before that, since a preflight carries no signature),
 * and parse JSON after it (`parseJsonBody`).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import Stripe from 'stripe';
import { z } from 'zod';
import {
  appSignatureHeaderNames,
  appSignaturePayload,
  MalformedQueryError,
  signedRequestFields,
  UnsignableRequestError,
} from '../../../../shared/src/requestSigning.js';
import { HttpError } from '../errors.js';
import { AppSecretNotConfiguredError, SignatureError } from './errors.js';
import { attachVerifiedTenant } from './tenant.js';

export interface AppSignatureAuthOptions {
  /**
   * The app's signing secrets (`absec_…`). Two while a secret is being rotated, so calls
   * signed with either pass; none makes every call a 503 until the operator sets one.
   */
  readonly secrets: readonly string[];
  /** How far the signature's timestamp may be from the worker's clock, either way. Default 300. */
  readonly toleranceSeconds?: number;
  /** The current time in milliseconds since the epoch, like `Date.now` (the default); tests pass a fixed clock. */
  readonly now?: () => number;
}

/** At most two: the current secret and the one being rotated out. */
export const MAX_APP_SECRETS = 2;

const signatureHeaderPattern = /^t=(\d{1,12})((?:,[a-z][a-z0-9]*=[0-9A-Za-z]+)+)$/;

/** The `t=` timestamp of a well-formed `Stripe-Signature` value with at least one `v1` HMAC-SHA256, else undefined. */
function signatureTimestamp(header: string): number | undefined {
  const match = signatureHeaderPattern.exec(header);
  if (match === null) return undefined;
  const [, timestamp = '', schemes = ''] = match;
  const hasV1 = schemes
    .slice(1)
    .split(',')
    .some((entry) => /^v1=[0-9a-f]{64}$/.test(entry));
  return hasV1 ? Number(timestamp) : undefined;
}

const signedHeadersSchema = z.object({
  signature: z
    .string()
    .max(1024, `Malformed ${appSignatureHeaderNames.signature} header: too long`)
    .refine((value) => signatureTimestamp(value) !== undefined, {
      error: `Malformed ${appSignatureHeaderNames.signature} header: expected t=<unix seconds>,v1=<64 hex digits>`,
    }),
  userId: z
    .string()
    .regex(/^usr_[A-Za-z0-9]{1,64}$/, `Malformed ${appSignatureHeaderNames.userId} header: expected a Stripe user id (usr_…)`),
  accountId: z
    .string()
    .regex(/^acct_[A-Za-z0-9]{1,64}$/, `Malformed ${appSignatureHeaderNames.accountId} header: expected a Stripe account id (acct_…)`),
  livemode: z.enum(['true', 'false'], { error: `Malformed ${appSignatureHeaderNames.livemode} header: expected true or false` }),
});

interface SignedHeaders {
  readonly signature: string;
  readonly timestamp: number;
  readonly userId: string;
  readonly accountId: string;
  readonly livemode: boolean;
}

function readSignedHeaders(req: Request): SignedHeaders {
  const raw = {
    signature: req.get(appSignatureHeaderNames.signature),
    userId: req.get(appSignatureHeaderNames.userId),
    accountId: req.get(appSignatureHeaderNames.accountId),
    livemode: req.get(appSignatureHeaderNames.livemode),
  };
  const missing = (Object.keys(raw) as (keyof typeof raw)[]).filter((key) => raw[key] === undefined || raw[key] === '');
  if (missing.length > 0) {
    const names = missing.map((key) => appSignatureHeaderNames[key]);
    throw new SignatureError('missing_header', `Missing ${names.join(', ')} header${names.length > 1 ? 's' : ''}: calls to this API must be signed by the Stripe App`);
  }
  const parsed = signedHeadersSchema.safeParse(raw);
  if (!parsed.success) throw new SignatureError('malformed_header', parsed.error.issues.map((issue) => issue.message).join('; '));
  const { signature, userId, accountId, livemode } = parsed.data;
  return { signature, timestamp: signatureTimestamp(signature) ?? NaN, userId, accountId, livemode: livemode === 'true' };
}

/** The request path as it appeared in the request line, before any router stripped a mount prefix. */
function requestPath(req: Request): { path: string; rawQuery: string } {
  let target = req.originalUrl;
  // An absolute-form request target (`GET http://host/path`), as some proxies send.
  if (!target.startsWith('/')) {
    try {
      const url = new URL(target);
      target = url.pathname + url.search;
    } catch {
      throw new HttpError(400, 'Malformed request target');
    }
  }
  const question = target.indexOf('?');
  return question === -1 ? { path: target, rawQuery: '' } : { path: target.slice(0, question), rawQuery: target.slice(question + 1) };
}

function rawBodyOf(req: Request): Buffer {
  const body: unknown = req.body;
  if (Buffer.isBuffer(body)) return body;
  if (body !== undefined) {
    throw new Error('appSignatureAuth needs the raw request body: mount express.raw({ type: "*/*" }) before it and parse JSON after it');
  }
  // express.raw skips a body that has no Content-Type; it would go unsigned and unread.
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    throw new HttpError(415, 'A request with a body needs a Content-Type header');
  }
  return Buffer.alloc(0);
}

/**
 * Express middleware that admits only calls signed by the Stripe App UI for exactly this
 * request, and records the verified tenant (see `tenantOf`). Failures go to `next` as
 * {@link SignatureError} (401), {@link AppSecretNotConfiguredError} (503) or `HttpError`
 * (400/415 for a request that cannot be described in signed form); the route never runs.
 */
export function appSignatureAuth({ secrets, toleranceSeconds = 300, now = Date.now }: AppSignatureAuthOptions): RequestHandler {
  if (secrets.length > MAX_APP_SECRETS) throw new RangeError(`appSignatureAuth accepts at most ${MAX_APP_SECRETS} secrets (got ${secrets.length})`);
  if (secrets.some((secret) => secret.trim() === '' || /\s/.test(secret))) {
    throw new RangeError('appSignatureAuth: a signing secret is blank or contains whitespace');
  }
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new RangeError(`appSignatureAuth: toleranceSeconds must be a positive whole number (got ${toleranceSeconds})`);
  }
  const verifier = Stripe.webhooks.signature;
  if (verifier === null) throw new Error('stripe.webhooks.signature is unavailable in this build of the stripe package');
  const configured = [...secrets];

  const verifiesWith = (payload: string, header: string, secret: string, nowMs: number): boolean => {
    try {
      return verifier.verifyHeader(payload, header, secret, toleranceSeconds, undefined, nowMs);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) return false;
      throw error;
    }
  };

  return (req, res, next) => {
    try {
      if (configured.length === 0) throw new AppSecretNotConfiguredError();
      const headers = readSignedHeaders(req);
      const { path, rawQuery } = requestPath(req);
      let payload: string;
      try {
        const fields = signedRequestFields({
          method: req.method,
          path,
          rawQuery,
          bodySha256: createHash('sha256').update(rawBodyOf(req)).digest('hex'),
          livemode: headers.livemode,
        });
        payload = appSignaturePayload(fields, headers);
      } catch (error) {
        if (error instanceof MalformedQueryError) throw new HttpError(400, `Malformed query string: ${error.message}`);
        if (error instanceof UnsignableRequestError) throw new HttpError(400, `Request cannot be verified: ${error.message}`);
        throw error;
      }

      const nowMs = now();
      const skew = Math.floor(nowMs / 1000) - headers.timestamp;
      if (Math.abs(skew) > toleranceSeconds) {
        throw new SignatureError(
          'timestamp_outside_tolerance',
          `Signature timestamp outside the tolerance: signed ${Math.abs(skew)} s ${skew > 0 ? 'ago' : 'in the future'}, at most ${toleranceSeconds} s allowed`,
        );
      }
      if (!configured.some((secret) => verifiesWith(payload, headers.signature, secret, nowMs))) {
        throw new SignatureError(
          'signature_mismatch',
          'Signature mismatch: the Stripe-Signature header was not made with this app’s secret for this method, path, query, body, mode, user and account',
        );
      }
      attachVerifiedTenant(res, { accountId: headers.accountId, livemode: headers.livemode, userId: headers.userId });
      next();
    } catch (error) {
      next(error);
    }
  };
}
