import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, Response } from 'express';
import Stripe from 'stripe';
import {
  appSignatureHeaderNames,
  appSignaturePayload,
  canonicalQuery,
  EMPTY_BODY_SHA256,
  MalformedQueryError,
  signedRequestFields,
} from '../../shared/src/requestSigning.js';
import { appSignatureAuth } from '../../worker/src/http/auth/appSignature.js';
import { AppSecretNotConfiguredError, SignatureError } from '../../worker/src/http/auth/errors.js';
import type { SignatureFailure } from '../../worker/src/http/auth/errors.js';
import { parseJsonBody } from '../../worker/src/http/auth/jsonBody.js';
import { MissingTenantError, tenantOf } from '../../worker/src/http/auth/tenant.js';
import type { VerifiedTenant } from '../../worker/src/http/auth/tenant.js';
import { errorHandler } from '../../worker/src/http/errors.js';

// ---- Shared fixtures -------------------------------------------------------------------

const CURRENT_SECRET = 'absec_test_current0000000000000000';
const ROTATED_OUT_SECRET = 'absec_test_previous000000000000000';
const UNKNOWN_SECRET = 'absec_test_someone_else00000000000';
const ACCOUNT = 'acct_1TenantAaaaaaaaa';
const OTHER_ACCOUNT = 'acct_1TenantBbbbbbbbb';
const USER = 'usr_1Merchant000000';
/** The worker's clock in every test: 2026-11-15T12:00:00Z. */
const NOW_MS = Date.UTC(2026, 10, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

/** One HTTP call as the UI would make it. */
interface Call {
  readonly method: 'GET' | 'POST';
  /** Path plus optional query, e.g. `/api/v1/certificates?status=active`. */
  readonly target: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly livemode?: boolean;
  readonly accountId?: string;
  readonly userId?: string;
}

interface Signing {
  readonly secret?: string;
  /** Unix seconds. */
  readonly timestamp?: number;
}

const listCertificates: Call = { method: 'GET', target: '/api/v1/certificates?status=active&q=acme' };
const createCertificate: Call = {
  method: 'POST',
  target: '/api/v1/certificates',
  body: JSON.stringify({ customer: 'cus_123', jurisdictions: ['US-TX'], reason: 'resale' }),
  contentType: 'application/json',
};

/** The headers the UI would send for `call`: what `fetchStripeSignature` returns, signed here with the test helper. */
function signedHeaders(call: Call, { secret = CURRENT_SECRET, timestamp = NOW_S }: Signing = {}): Record<string, string> {
  const url = new URL(call.target, 'http://worker.invalid');
  const livemode = call.livemode ?? false;
  const accountId = call.accountId ?? ACCOUNT;
  const userId = call.userId ?? USER;
  const fields = signedRequestFields({
    method: call.method,
    path: url.pathname,
    rawQuery: url.search,
    bodySha256: call.body === undefined ? EMPTY_BODY_SHA256 : createHash('sha256').update(call.body).digest('hex'),
    livemode,
  });
  const payload = appSignaturePayload(fields, { userId, accountId });
  return {
    [appSignatureHeaderNames.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
    [appSignatureHeaderNames.userId]: userId,
    [appSignatureHeaderNames.accountId]: accountId,
    [appSignatureHeaderNames.livemode]: String(livemode),
  };
}

interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: unknown;
  readonly body: unknown;
  readonly tenant: VerifiedTenant;
}

interface Worker {
  readonly baseUrl: string;
  /** Every call that reached a route handler. */
  readonly calls: RecordedCall[];
  /** Every error the middleware passed to `next`. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

/** A tiny worker: the API router as the lead mounts it (raw body → signature → JSON), with routes that only record. */
async function startWorker(secrets: readonly string[]): Promise<Worker> {
  const calls: RecordedCall[] = [];
  const errors: unknown[] = [];
  const api = express.Router();
  const record: express.RequestHandler = (req, res) => {
    const tenant = tenantOf(res);
    calls.push({ method: req.method, path: req.originalUrl.split('?')[0] ?? '', query: { ...req.query }, body: req.body as unknown, tenant });
    res.json({ tenant });
  };
  api.get('/certificates', record);
  api.post('/certificates', record);
  api.get('/customers/:customerId/certificates', record);

  const recordError: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    errors.push(error);
    next(error);
  };
  const app = express();
  app.use('/api/v1', express.raw({ type: '*/*', limit: '1mb' }), appSignatureAuth({ secrets, toleranceSeconds: 300, now: () => NOW_MS }), parseJsonBody, api);
  app.use(recordError, errorHandler);

  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    errors,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function send(worker: Worker, call: Call, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  const response = await fetch(worker.baseUrl + call.target, {
    method: call.method,
    headers: { ...headers, ...(call.contentType === undefined ? {} : { 'Content-Type': call.contentType }) },
    ...(call.body === undefined ? {} : { body: call.body }),
  });
  return { status: response.status, json: await response.json() };
}

let worker: Worker;
let unconfiguredWorker: Worker;

beforeAll(async () => {
  worker = await startWorker([CURRENT_SECRET, ROTATED_OUT_SECRET]);
  unconfiguredWorker = await startWorker([]);
});

afterAll(async () => {
  await worker.close();
  await unconfiguredWorker.close();
});

beforeEach(() => {
  worker.calls.length = 0;
  worker.errors.length = 0;
  unconfiguredWorker.calls.length = 0;
  unconfiguredWorker.errors.length = 0;
});

/** Asserts a 401 with the given reason, and that no route ran. */
async function expectRefused(call: Call, headers: Record<string, string>, reason: SignatureFailure, message: RegExp): Promise<void> {
  const { status, json } = await send(worker, call, headers);
  expect({ status, json }).toEqual({ status: 401, json: { error: { message: expect.stringMatching(message) } } });
  expect(worker.calls).toEqual([]);
  expect(worker.errors).toHaveLength(1);
  expect(worker.errors[0]).toBeInstanceOf(SignatureError);
  expect((worker.errors[0] as SignatureError).reason).toBe(reason);
}

// ---- Accepted calls ---------------------------------------------------------------------

describe('appSignatureAuth accepts', () => {
  test('a correctly signed GET with query parameters, and exposes the verified tenant to the route', async () => {
    const { status, json } = await send(worker, listCertificates, signedHeaders(listCertificates));

    const tenant = { accountId: ACCOUNT, livemode: false, userId: USER };
    expect({ status, json }).toEqual({ status: 200, json: { tenant } });
    expect(worker.calls).toEqual([{ method: 'GET', path: '/api/v1/certificates', query: { status: 'active', q: 'acme' }, body: undefined, tenant }]);
  });

  test('a correctly signed POST with a JSON body, which the route receives parsed', async () => {
    const call = { ...createCertificate, livemode: true };
    const { status } = await send(worker, call, signedHeaders(call));

    expect(status).toBe(200);
    expect(worker.calls).toEqual([
      {
        method: 'POST',
        path: '/api/v1/certificates',
        query: {},
        body: { customer: 'cus_123', jurisdictions: ['US-TX'], reason: 'resale' },
        tenant: { accountId: ACCOUNT, livemode: true, userId: USER },
      },
    ]);
  });

  test('a call signed with the second (rotated-out) secret while both are configured', async () => {
    const { status } = await send(worker, listCertificates, signedHeaders(listCertificates, { secret: ROTATED_OUT_SECRET }));

    expect(status).toBe(200);
    expect(worker.calls).toHaveLength(1);
  });

  test('a signature made exactly 300 s ago, the edge of the tolerance', async () => {
    const { status } = await send(worker, listCertificates, signedHeaders(listCertificates, { timestamp: NOW_S - 300 }));

    expect(status).toBe(200);
  });

  test('the same query parameters spelled in another order or encoding than the UI signed them', async () => {
    const signed = signedHeaders({ method: 'GET', target: '/api/v1/certificates?status=active&q=acme%20co' });
    const { status } = await send(worker, { method: 'GET', target: '/api/v1/certificates?q=acme+co&status=active' }, signed);

    expect(status).toBe(200);
    expect(worker.calls[0]?.query).toEqual({ q: 'acme co', status: 'active' });
  });
});

// ---- Refused calls: 401, and the route never runs -------------------------------------

describe('appSignatureAuth refuses with 401', () => {
  test('a tampered body', async () => {
    const headers = signedHeaders(createCertificate);
    const tampered = { ...createCertificate, body: createCertificate.body?.replace('cus_123', 'cus_999') };

    await expectRefused(tampered, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a signature made with a secret this worker does not have', async () => {
    await expectRefused(listCertificates, signedHeaders(listCertificates, { secret: UNKNOWN_SECRET }), 'signature_mismatch', /^Signature mismatch/);
  });

  test('a timestamp older than 300 s', async () => {
    const headers = signedHeaders(listCertificates, { timestamp: NOW_S - 301 });

    await expectRefused(listCertificates, headers, 'timestamp_outside_tolerance', /tolerance: signed 301 s ago/);
  });

  test('a timestamp more than 300 s in the future', async () => {
    const headers = signedHeaders(listCertificates, { timestamp: NOW_S + 301 });

    await expectRefused(listCertificates, headers, 'timestamp_outside_tolerance', /tolerance: signed 301 s in the future/);
  });

  test('a captured header replayed to another route', async () => {
    const headers = signedHeaders({ method: 'GET', target: '/api/v1/certificates' });

    await expectRefused({ method: 'GET', target: '/api/v1/customers/cus_123/certificates' }, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a captured header replayed with other query parameters', async () => {
    const headers = signedHeaders(listCertificates);

    await expectRefused({ method: 'GET', target: '/api/v1/certificates?status=expired&q=acme' }, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a captured header replayed with an extra query parameter', async () => {
    const headers = signedHeaders(listCertificates);

    await expectRefused({ method: 'GET', target: `${listCertificates.target}&limit=100` }, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a captured header replayed with another method', async () => {
    const headers = signedHeaders({ method: 'GET', target: '/api/v1/certificates' });

    await expectRefused({ method: 'POST', target: '/api/v1/certificates' }, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a captured test-mode header replayed with livemode flipped to true', async () => {
    const headers = { ...signedHeaders({ ...listCertificates, livemode: false }), [appSignatureHeaderNames.livemode]: 'true' };

    await expectRefused(listCertificates, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a signed call whose account header is swapped for another account', async () => {
    const headers = { ...signedHeaders(listCertificates), [appSignatureHeaderNames.accountId]: OTHER_ACCOUNT };

    await expectRefused(listCertificates, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a signed call whose user header is swapped for another user', async () => {
    const headers = { ...signedHeaders(listCertificates), [appSignatureHeaderNames.userId]: 'usr_1SomeoneElse0000' };

    await expectRefused(listCertificates, headers, 'signature_mismatch', /^Signature mismatch/);
  });

  test('a call without a Stripe-Signature header', async () => {
    const { [appSignatureHeaderNames.signature]: _signature, ...headers } = signedHeaders(listCertificates);

    await expectRefused(listCertificates, headers, 'missing_header', /^Missing Stripe-Signature header/);
  });

  test('a call with no signing headers at all, naming each missing header', async () => {
    await expectRefused(listCertificates, {}, 'missing_header', /^Missing Stripe-Signature, X-Stripe-User-Id, X-Stripe-Account-Id, X-Stripe-Livemode headers/);
  });

  test.each([
    ['Stripe-Signature', 'garbage', /^Malformed Stripe-Signature header: expected t=<unix seconds>,v1=<64 hex digits>$/],
    ['Stripe-Signature', `t=${NOW_S},v0=${'a'.repeat(64)}`, /^Malformed Stripe-Signature header/],
    ['Stripe-Signature', `t=${NOW_S},v1=not-hex`, /^Malformed Stripe-Signature header/],
    ['X-Stripe-Account-Id', 'cus_123', /^Malformed X-Stripe-Account-Id header: expected a Stripe account id/],
    ['X-Stripe-User-Id', 'acct_123', /^Malformed X-Stripe-User-Id header: expected a Stripe user id/],
    ['X-Stripe-Livemode', 'TRUE', /^Malformed X-Stripe-Livemode header: expected true or false$/],
  ])('a malformed %s header (%s)', async (name, value, message) => {
    const headers = { ...signedHeaders(listCertificates), [name]: value };

    await expectRefused(listCertificates, headers, 'malformed_header', message);
  });
});

// ---- Misconfiguration and bodies --------------------------------------------------------

describe('appSignatureAuth', () => {
  test('answers 503 to every call, even a correctly signed one, when no secret is configured', async () => {
    const { status, json } = await send(unconfiguredWorker, listCertificates, signedHeaders(listCertificates));

    expect({ status, json }).toEqual({ status: 503, json: { error: { message: expect.stringMatching(/signing secret is not configured/) } } });
    expect(unconfiguredWorker.calls).toEqual([]);
    expect(unconfiguredWorker.errors[0]).toBeInstanceOf(AppSecretNotConfiguredError);
  });

  test('is the only source of a tenant: tenantOf refuses one that a route or client put on the response itself', () => {
    const forged = { locals: { tenant: { accountId: OTHER_ACCOUNT, livemode: true, userId: USER } } } as unknown as Response;

    expect(() => tenantOf(forged)).toThrow(MissingTenantError);
  });

  test('refuses to be built with more than two secrets', () => {
    expect(() => appSignatureAuth({ secrets: [CURRENT_SECRET, ROTATED_OUT_SECRET, UNKNOWN_SECRET] })).toThrow(/at most 2 secrets/);
  });

  test('answers 400 to a query string whose percent-escapes are not UTF-8', async () => {
    const call: Call = { method: 'GET', target: '/api/v1/certificates?q=%E9' };
    const { status, json } = await send(worker, call, signedHeaders({ method: 'GET', target: '/api/v1/certificates' }));

    expect({ status, json }).toEqual({ status: 400, json: { error: { message: expect.stringMatching(/^Malformed query string/) } } });
    expect(worker.calls).toEqual([]);
  });

  test('answers 400 to a correctly signed body that is not valid JSON, before any route runs', async () => {
    const call: Call = { ...createCertificate, body: '{"customer":' };
    const { status, json } = await send(worker, call, signedHeaders(call));

    expect({ status, json }).toEqual({ status: 400, json: { error: { message: expect.stringMatching(/^Malformed JSON body/) } } });
    expect(worker.calls).toEqual([]);
  });

  test('answers 400 to a correctly signed JSON body that is not an object', async () => {
    const call: Call = { ...createCertificate, body: '["cus_123"]' };
    const { status, json } = await send(worker, call, signedHeaders(call));

    expect({ status, json }).toEqual({ status: 400, json: { error: { message: 'The JSON body must be an object (got an array)' } } });
  });

  test('answers 415 to a correctly signed body that is not application/json', async () => {
    const call: Call = { ...createCertificate, contentType: 'text/plain' };
    const { status, json } = await send(worker, call, signedHeaders(call));

    expect({ status, json }).toEqual({ status: 415, json: { error: { message: expect.stringMatching(/application\/json/) } } });
    expect(worker.calls).toEqual([]);
  });
});

// ---- The canonical query string both sides sign -----------------------------------------

describe('canonicalQuery', () => {
  test('sorts by name, keeps repeated names in their order, and re-encodes every value the same way', () => {
    expect(canonicalQuery('?b=2&a=x+y&a=%7E&c')).toBe('a=x%20y&a=~&b=2&c=');
    expect(canonicalQuery('status=b&status=a')).toBe('status=b&status=a');
    expect(canonicalQuery("q=it's (fine)*!")).toBe('q=it%27s%20%28fine%29%2A%21');
    expect(canonicalQuery('q=%C3%A9t%C3%A9&q2=été')).toBe('q=%C3%A9t%C3%A9&q2=%C3%A9t%C3%A9');
  });

  test('is empty without parameters and idempotent with them', () => {
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('?&&')).toBe('');
    const once = canonicalQuery('z=1&a=%2B+&m');
    expect(canonicalQuery(once)).toBe(once);
  });

  test('rejects percent-escapes that are not UTF-8', () => {
    expect(() => canonicalQuery('q=%E9')).toThrow(MalformedQueryError);
    expect(() => canonicalQuery('q=%zz')).toThrow(MalformedQueryError);
  });
});
