/**
 * What the Stripe App UI signs for each call to the worker's `/api/v1`, and how the
 * worker rebuilds the exact same bytes to verify it. Both sides import this file by
 * relative path, so they cannot drift apart.
 *
 * The UI calls `fetchStripeSignature(fields)` with the fields below; Stripe signs
 * `JSON.stringify({ ...fields, user_id, account_id })` with the app's signing secret
 * (`absec_…`), attesting the user and account itself. The worker rebuilds that string
 * from the request it received and checks the `Stripe-Signature` value against it.
 * Because the route, the parameters, the body and the mode are inside the signed
 * bytes, a captured header is useless for any other request.
 *
 * This module is pure and has no imports: the UI's bundler loads it without the
 * `.js` → `.ts` mapping that NodeNext imports need, and SHA-256 is left to the caller
 * (Node's `crypto` on the worker, Web Crypto in the browser sandbox).
 */

/** Headers the UI sends with every signed call (also the CORS `Access-Control-Allow-Headers` list). */
export const appSignatureHeaderNames = {
  signature: 'Stripe-Signature',
  userId: 'X-Stripe-User-Id',
  accountId: 'X-Stripe-Account-Id',
  livemode: 'X-Stripe-Livemode',
} as const;

/** Hex SHA-256 of zero bytes: the `body_sha256` of every request without a body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The request as the UI signs it. The key order is part of the signature (Stripe signs
 * `JSON.stringify`'s output), so objects of this type are only ever built by
 * {@link signedRequestFields}, and the payload string only by {@link appSignaturePayload}.
 * A type alias rather than an interface, so it is assignable to the SDK's JSON payload type.
 */
export type SignedRequestFields = {
  /** Upper-case HTTP method: `GET`, `POST`, … */
  readonly method: string;
  /** The URL path exactly as it appears in the request line, without the query: `/api/v1/certificates/cert_123`. */
  readonly path: string;
  /** {@link canonicalQuery} of the query string; `''` when there is none. */
  readonly query: string;
  /** Lower-case hex SHA-256 of the exact request body bytes ({@link EMPTY_BODY_SHA256} without a body). */
  readonly body_sha256: string;
  /** The Dashboard mode the call is for; selects live or test data. */
  readonly livemode: boolean;
};

/** The user and account Stripe adds to the signed payload (and the UI repeats in headers). */
export interface SignerIdentity {
  readonly userId: string;
  readonly accountId: string;
}

/** A query string that cannot be canonicalised (a `%` not followed by valid UTF-8 percent-escapes). */
export class MalformedQueryError extends Error {
  override readonly name = 'MalformedQueryError';
}

/** A request that cannot be described in signed form (not an HTTP method token, a path not starting with `/`, …). */
export class UnsignableRequestError extends Error {
  override readonly name = 'UnsignableRequestError';
}

function decodeQueryComponent(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw new MalformedQueryError(`query component ${JSON.stringify(component)} is not valid percent-encoded UTF-8`);
  }
}

/** `encodeURIComponent`, plus `!'()*`, so only RFC 3986 unreserved characters stay literal. */
function encodeQueryComponent(component: string): string {
  return encodeURIComponent(component).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical form of a query string, so the UI, an operator's CLI and the worker
 * agree byte for byte on what was signed however the URL was spelled:
 *
 * 1. Drop one leading `?`. Split on `&`; drop empty parts.
 * 2. Split each part at its first `=` into name and value (no `=`: the value is `''`).
 * 3. Decode each as form data: `+` is a space, then percent-escapes as UTF-8
 *    (invalid escapes throw {@link MalformedQueryError}).
 * 4. Re-encode each with `encodeURIComponent`, also escaping `!'()*` (so only
 *    `A–Z a–z 0–9 - _ . ~` stay literal; escapes are upper-case, a space is `%20`).
 * 5. Sort the pairs by encoded name (plain string order, which for these ASCII strings
 *    is byte order). The sort is stable: repeated names keep their order, because
 *    `status=a&status=b` may mean something other than `status=b&status=a`.
 * 6. Join as `name=value` (the `=` always present) with `&`. No pairs: `''`.
 *
 * Example: `?b=2&a=x+y&a=%7E&c` → `a=x%20y&a=~&b=2&c=`. The function is idempotent,
 * so passing an already canonical string is harmless.
 */
export function canonicalQuery(rawQuery: string): string {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const pairs = query
    .split('&')
    .filter((part) => part !== '')
    .map((part): [string, string] => {
      const equals = part.indexOf('=');
      const name = equals === -1 ? part : part.slice(0, equals);
      const value = equals === -1 ? '' : part.slice(equals + 1);
      return [encodeQueryComponent(decodeQueryComponent(name)), encodeQueryComponent(decodeQueryComponent(value))];
    });
  pairs.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** What a caller knows about a request before signing or verifying it. */
export interface RequestToSign {
  readonly method: string;
  /** Path without query, as sent in the request line. */
  readonly path: string;
  /** The raw query string, with or without its `?`; `''` when there is none. */
  readonly rawQuery: string;
  /** Lower-case hex SHA-256 of the body bytes. */
  readonly bodySha256: string;
  readonly livemode: boolean;
}

/** Builds the fields to pass to `fetchStripeSignature`, in signed key order, canonicalising method and query. */
export function signedRequestFields(request: RequestToSign): SignedRequestFields {
  const method = request.method.toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) throw new UnsignableRequestError(`method ${JSON.stringify(request.method)} is not an HTTP method`);
  if (!request.path.startsWith('/') || /[\s?#]/.test(request.path)) {
    throw new UnsignableRequestError(`path ${JSON.stringify(request.path)} must start with / and hold no query, fragment or whitespace`);
  }
  if (!/^[0-9a-f]{64}$/.test(request.bodySha256)) throw new UnsignableRequestError('body_sha256 must be 64 lower-case hex digits');
  return {
    method,
    path: request.path,
    query: canonicalQuery(request.rawQuery),
    body_sha256: request.bodySha256,
    livemode: request.livemode,
  };
}

/**
 * The exact string Stripe signs: `JSON.stringify({ ...fields, user_id, account_id })`.
 * Keys are written out one by one rather than spread, so a fields object built in
 * another order (or carrying extra keys) cannot change the bytes the worker verifies.
 */
export function appSignaturePayload(fields: SignedRequestFields, identity: SignerIdentity): string {
  return JSON.stringify({
    method: fields.method,
    path: fields.path,
    query: fields.query,
    body_sha256: fields.body_sha256,
    livemode: fields.livemode,
    user_id: identity.userId,
    account_id: identity.accountId,
  });
}
