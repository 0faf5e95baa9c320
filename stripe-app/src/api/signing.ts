/**
 * Signs a call to the worker's `/api/v1` the way the worker verifies it
 * (docs/api-authentication.md): Stripe signs `{ method, path, query, body_sha256,
 * livemode }` plus the user and account it attests, and the call carries the
 * signature and those three values as headers.
 *
 * Runs in the UI extension's sandbox: Web Crypto for SHA-256, no Node APIs. The signed
 * form itself comes from shared/src/requestSigning.ts, the file the worker uses.
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import fetchStripeSignature from '@stripe/ui-extension-sdk/signature';
import type { FetchStripeSignature } from '@stripe/ui-extension-sdk/signature';
import { appSignatureHeaderNames, EMPTY_BODY_SHA256, signedRequestFields } from '../../../shared/src/requestSigning';

/** A call as the API client is about to send it. */
export interface SignableRequest {
  readonly method: string;
  /** The absolute URL that will be fetched, query included: the signature binds its path and parameters. */
  readonly url: string;
  /** The exact body string that will be sent (UTF-8), if any. */
  readonly body?: string;
}

/** Lower-case hex SHA-256 of the body's UTF-8 bytes, as the worker computes it over the raw body. */
export async function bodySha256(body: string | undefined): Promise<string> {
  if (body === undefined || body === '') return EMPTY_BODY_SHA256;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The headers that authenticate `request` as this user on this account and mode. The
 * request must then be sent exactly as described: same method, URL and body.
 * `sign` is the SDK's `fetchStripeSignature`, replaceable in tests.
 */
export async function signedRequestHeaders(
  request: SignableRequest,
  context: Pick<ExtensionContextValue, 'userContext' | 'environment'>,
  sign: FetchStripeSignature = fetchStripeSignature,
): Promise<Record<string, string>> {
  const userId = context.userContext.id;
  if (userId === undefined) throw new Error('The Dashboard did not provide a user id, so this call cannot be signed');
  const url = new URL(request.url);
  const livemode = context.environment.mode === 'live';
  const fields = signedRequestFields({
    method: request.method,
    path: url.pathname,
    rawQuery: url.search,
    bodySha256: await bodySha256(request.body),
    livemode,
  });
  return {
    [appSignatureHeaderNames.signature]: await sign(fields),
    [appSignatureHeaderNames.userId]: userId,
    [appSignatureHeaderNames.accountId]: context.userContext.account.id,
    [appSignatureHeaderNames.livemode]: String(livemode),
  };
}
