/**
 * How the demo reaches the worker: API calls signed with the app secret by the same signer the
 * operator tool uses (worker/src/tools/signedFetch.ts), webhook events signed with the webhook
 * secret by stripe-node's own test signer (what Stripe computes), and the customer portal and
 * development outbox as a browser would reach them. Every unexpected answer throws a DemoError
 * naming the call and what the worker said.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { FILE_FIELD } from '../../worker/src/portal/portalForm.js';
import { signedFetch, type CallerIdentity } from '../../worker/src/tools/signedFetch.js';

export class DemoError extends Error {
  override name = 'DemoError';
}

const API_PREFIX = '/api/v1';

async function describeFailure(what: string, response: Response): Promise<DemoError> {
  const body = await response.text();
  let message = body.slice(0, 500);
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    message = parsed.error?.message ?? message;
  } catch {
    // Not JSON (an HTML page, say): the text itself is the best description.
  }
  return new DemoError(`${what} answered HTTP ${response.status}: ${message}`);
}

function unreachable(baseUrl: string, error: unknown): DemoError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new DemoError(`could not reach the worker at ${baseUrl} (${cause}): is it running?`);
}

export class DemoApi {
  constructor(
    readonly baseUrl: string,
    readonly identity: CallerIdentity,
  ) {}

  private async send(method: string, path: string, body?: { bytes: Buffer | string; contentType: string }): Promise<Response> {
    const call = { method, target: `${API_PREFIX}${path}`, ...(body === undefined ? {} : { body: body.bytes, contentType: body.contentType }) };
    const response = await signedFetch(this.baseUrl, call, this.identity).catch((error: unknown) => {
      throw unreachable(this.baseUrl, error);
    });
    if (response.status < 200 || response.status >= 300) throw await describeFailure(`${method} ${path}`, response);
    return response;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.send('GET', path)).json()) as T;
  }

  async post<T>(path: string, json: unknown = {}): Promise<T> {
    return (await (await this.send('POST', path, { bytes: JSON.stringify(json), contentType: 'application/json' })).json()) as T;
  }

  async patch<T>(path: string, json: unknown): Promise<T> {
    return (await (await this.send('PATCH', path, { bytes: JSON.stringify(json), contentType: 'application/json' })).json()) as T;
  }

  /** A binary answer (a download), whole. */
  async download(path: string): Promise<Buffer> {
    return Buffer.from(await (await this.send('GET', path)).arrayBuffer());
  }

  /** Uploads a file as the operators' multipart route takes it, encoded once so the signed bytes are the sent bytes. */
  async upload<T>(path: string, bytes: Buffer, filename: string): Promise<T> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), filename);
    const encoded = new Response(form);
    const contentType = encoded.headers.get('content-type') ?? '';
    const body = Buffer.from(await encoded.arrayBuffer());
    return (await (await this.send('POST', path, { bytes: body, contentType })).json()) as T;
  }
}

/** Delivers an event to POST /webhooks/stripe exactly as Stripe would for a connected account; returns the event id. */
export async function sendStripeEvent(baseUrl: string, webhookSecret: string, accountId: string, type: string, object: Record<string, unknown>): Promise<string> {
  const id = `evt_demo${randomBytes(10).toString('hex')}`;
  const payload = JSON.stringify({
    id,
    object: 'event',
    type,
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    account: accountId,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { object: type.split('.')[0], livemode: false, ...object } },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
  const response = await fetch(new URL('/webhooks/stripe', baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature },
    body: payload,
  }).catch((error: unknown) => {
    throw unreachable(baseUrl, error);
  });
  if (response.status !== 200) throw await describeFailure(`webhook ${type}`, response);
  return id;
}

interface OutboxEmail {
  readonly template: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** The newest email of `template` to `to` in the development outbox (MAIL_OUTBOX_ROUTE=true), or null. */
export async function latestEmail(baseUrl: string, to: string, template: string): Promise<OutboxEmail | null> {
  const response = await fetch(new URL(`/dev/outbox?to=${encodeURIComponent(to)}`, baseUrl)).catch((error: unknown) => {
    throw unreachable(baseUrl, error);
  });
  if (response.status === 404) throw new DemoError('the worker does not serve /dev/outbox: start it with MAIL_OUTBOX_ROUTE=true (and no SMTP_URL)');
  if (!response.ok) throw await describeFailure('GET /dev/outbox', response);
  const { data } = (await response.json()) as { data: OutboxEmail[] };
  return data.find((email) => email.template === template) ?? null;
}

/** The portal path of an emailed link, on the worker we talk to (the link's host is the worker's PUBLIC_URL). */
export function portalPathIn(text: string): string {
  const path = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (path === undefined) throw new DemoError('the request email holds no portal link');
  return path;
}

/** Opens the portal page as the customer's browser would; returns its HTML. */
export async function openPortal(baseUrl: string, path: string): Promise<string> {
  const response = await fetch(new URL(path, baseUrl));
  if (response.status !== 200) throw await describeFailure(`GET ${path.replace(/[^/]+$/, '…')}`, response);
  return response.text();
}

/** Submits the portal form (multipart, as the page's form posts it); returns the confirmation page's HTML. */
export async function submitPortal(baseUrl: string, path: string, fields: Readonly<Record<string, string>>, file: { bytes: Buffer; filename: string; type: string }): Promise<string> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append(FILE_FIELD, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.filename);
  const response = await fetch(new URL(path, baseUrl), { method: 'POST', body: form });
  if (response.status !== 200) throw await describeFailure(`POST ${path.replace(/[^/]+$/, '…')}`, response);
  return response.text();
}

/** Polls `read` until it gives a value, or fails naming what it waited for. */
export async function waitFor<T>(what: string, read: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
