import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import { appSignatureHeaderNames, appSignaturePayload, signedRequestFields } from '@exemptions/shared';

/** Who a signed call claims to be; the signature proves it to the worker. */
export interface CallerIdentity {
  readonly secret: string;
  readonly accountId: string;
  readonly userId: string;
  readonly livemode: boolean;
}

export interface SignedCall {
  readonly method: string;
  /** Path with optional query: `/api/v1/certificates?status=active`. */
  readonly target: string;
  readonly body?: Buffer | string;
  readonly contentType?: string;
  /** Unix seconds; defaults to now. */
  readonly timestamp?: number;
}

/** The headers the Stripe App UI sends for this call, signed with the app secret as Stripe would. */
export function signCall(call: SignedCall, identity: CallerIdentity): Record<string, string> {
  const question = call.target.indexOf('?');
  const path = question === -1 ? call.target : call.target.slice(0, question);
  const rawQuery = question === -1 ? '' : call.target.slice(question + 1);
  const body = call.body === undefined ? Buffer.alloc(0) : Buffer.from(call.body);
  const fields = signedRequestFields({
    method: call.method,
    path,
    rawQuery,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    livemode: identity.livemode,
  });
  const payload = appSignaturePayload(fields, identity);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: identity.secret,
    timestamp: call.timestamp ?? Math.floor(Date.now() / 1000),
  });
  return {
    [appSignatureHeaderNames.signature]: signature,
    [appSignatureHeaderNames.userId]: identity.userId,
    [appSignatureHeaderNames.accountId]: identity.accountId,
    [appSignatureHeaderNames.livemode]: String(identity.livemode),
    ...(call.contentType === undefined ? {} : { 'Content-Type': call.contentType }),
  };
}

/**
 * Calls the worker's API exactly as the Stripe App would: the operator tool (scripts/api.ts)
 * and the tests both go through here.
 */
export function signedFetch(baseUrl: string, call: SignedCall, identity: CallerIdentity): Promise<Response> {
  const init: RequestInit = { method: call.method, headers: signCall(call, identity) };
  if (call.body !== undefined) init.body = typeof call.body === 'string' ? call.body : new Uint8Array(call.body);
  return fetch(new URL(call.target, baseUrl), init);
}
