/**
 * The few Stripe API endpoints the worker calls, answered locally: Stripe itself cannot be
 * reached from here, so the demo's worker is pointed at this (STRIPE_API_BASE) and its real
 * Stripe client (stripe-node) sends its real requests. Objects live per connected account
 * (the `Stripe-Account` header), as in Stripe; every call is recorded so the demo can show
 * what the worker asked of Stripe. Only what the worker uses is answered; anything else is a
 * loud 400, never a silent success. Writes honour `Idempotency-Key` as Stripe does: a key seen
 * before (per account) replays the first answer without applying anything, and a key reused with
 * other parameters is refused; `writesByKey` counts them (the fault tests read it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TaxExempt = 'none' | 'exempt' | 'reverse';

export interface StripeAddress {
  readonly country: string;
  readonly state: string;
  readonly postal_code: string;
  readonly city: string;
  readonly line1: string;
}

export interface DemoCustomer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly taxExempt: TaxExempt;
  readonly address: StripeAddress;
}

export interface DemoTaxRate {
  readonly id: string;
  readonly country: string;
  readonly state: string;
  readonly percentage: number;
}

/** One request the worker made, as the demo prints it. */
export interface StripeCall {
  readonly method: string;
  readonly path: string;
  readonly account: string;
  readonly params: Readonly<Record<string, string>>;
  /** The `Idempotency-Key` header, when the call sent one. */
  readonly idempotencyKey?: string;
}

/** One idempotency key's write: what it applied, and how many requests carried it. */
export interface KeyedWrite {
  readonly account: string;
  readonly key: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** Requests with this key: the first applied the write, the rest were replayed. */
  requests: number;
  /** Requests that reused the key with other parameters (refused with 400, as Stripe does). */
  mismatches: number;
}

interface StoredAnswer {
  readonly status: number;
  readonly body: string;
}

type StripeObject = Record<string, unknown>;

function stripeError(res: ServerResponse, status: number, message: string, code?: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: { type: 'invalid_request_error', message, ...(code === undefined ? {} : { code }) } }));
}

async function formParams(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** `metadata[key]=value` form fields as the metadata object Stripe keeps (an empty value deletes the key, as in Stripe). */
function mergeMetadata(current: unknown, params: Readonly<Record<string, string>>): Record<string, string> {
  const metadata: Record<string, string> = { ...(current as Record<string, string> | undefined) };
  for (const [name, value] of Object.entries(params)) {
    const key = /^metadata\[(.+)\]$/.exec(name)?.[1];
    if (key === undefined) continue;
    if (value === '') delete metadata[key];
    else metadata[key] = value;
  }
  return metadata;
}

export class FakeStripeApi {
  readonly calls: StripeCall[] = [];
  private readonly objects = new Map<string, StripeObject>();
  private readonly keyed = new Map<string, KeyedWrite & { answer: StoredAnswer }>();
  private server: Server | null = null;

  private static key(account: string, id: string): string {
    return `${account}:${id}`;
  }

  addCustomer(account: string, customer: DemoCustomer): void {
    this.objects.set(FakeStripeApi.key(account, customer.id), {
      id: customer.id,
      object: 'customer',
      livemode: false,
      name: customer.name,
      email: customer.email,
      tax_exempt: customer.taxExempt,
      address: { ...customer.address, line2: null },
      shipping: null,
      metadata: {},
    });
  }

  addTaxRate(account: string, rate: DemoTaxRate): void {
    this.objects.set(FakeStripeApi.key(account, rate.id), {
      id: rate.id,
      object: 'tax_rate',
      livemode: false,
      country: rate.country,
      state: rate.state,
      jurisdiction_level: 'state',
      percentage: rate.percentage,
      display_name: 'Sales Tax',
      inclusive: false,
    });
  }

  /** An invoice as Stripe keeps it; the demo adds each before sending its events. */
  addInvoice(account: string, invoice: StripeObject & { id: string }): void {
    this.objects.set(FakeStripeApi.key(account, invoice.id), { metadata: {}, ...invoice });
  }

  /** A customer's `tax_exempt` now: what Stripe copies onto an invoice when it is finalized. */
  taxExemptOf(account: string, customerId: string): TaxExempt {
    return (this.objects.get(FakeStripeApi.key(account, customerId))?.tax_exempt as TaxExempt | undefined) ?? 'none';
  }

  /** The worker's writes to this account, oldest first. */
  writes(account: string): StripeCall[] {
    return this.calls.filter((call) => call.account === account && call.method === 'POST');
  }

  /** Every idempotency key the worker wrote with (all accounts unless one is named), in first-use order. */
  writesByKey(account?: string): KeyedWrite[] {
    return [...this.keyed.values()]
      .filter((write) => account === undefined || write.account === account)
      .map(({ answer: _answer, ...write }) => ({ ...write }));
  }

  async listen(port: number): Promise<string> {
    const server = createServer((req, res) => {
      this.answer(req, res).catch((error: unknown) => stripeError(res, 500, error instanceof Error ? error.message : String(error)));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://stripe.invalid').pathname;
    const account = String(req.headers['stripe-account'] ?? '');
    const params = method === 'POST' ? await formParams(req) : {};
    const header = req.headers['idempotency-key'];
    const idempotencyKey = typeof header === 'string' && header !== '' ? header : undefined;
    this.calls.push({ method, path, account, params, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });

    // Stripe keeps a key's first answer (per account) and replays it: the write is applied once.
    const keyedAs = method === 'POST' && idempotencyKey !== undefined ? `${account}:${idempotencyKey}` : undefined;
    const seen = keyedAs === undefined ? undefined : this.keyed.get(keyedAs);
    if (seen !== undefined) {
      seen.requests += 1;
      if (seen.path !== path || JSON.stringify(seen.params) !== JSON.stringify(params)) {
        seen.mismatches += 1;
        stripeError(res, 400, `Keys for idempotent requests can only be used with the same parameters they were first used with (${idempotencyKey ?? ''})`, 'idempotency_error');
        return;
      }
      res.writeHead(seen.answer.status, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' });
      res.end(seen.answer.body);
      return;
    }

    const match = /^\/v1\/(customers|tax_rates|invoices)\/([A-Za-z0-9_]+)$/.exec(path);
    if (match === null || (method !== 'GET' && method !== 'POST') || (method === 'POST' && match[1] === 'tax_rates')) {
      stripeError(res, 400, `The demo's fake Stripe does not answer ${method} ${path}`);
      return;
    }
    const key = FakeStripeApi.key(account, match[2] ?? '');
    const current = this.objects.get(key);
    if (current === undefined) {
      stripeError(res, 404, `No such object: '${match[2] ?? ''}'`, 'resource_missing');
      return;
    }
    let answer = current;
    if (method === 'POST') {
      answer = { ...current, metadata: mergeMetadata(current.metadata, params) };
      if (params.tax_exempt !== undefined) answer.tax_exempt = params.tax_exempt;
      this.objects.set(key, answer);
    }
    const body = JSON.stringify(answer);
    if (keyedAs !== undefined && idempotencyKey !== undefined) {
      this.keyed.set(keyedAs, { account, key: idempotencyKey, path, params, requests: 1, mismatches: 0, answer: { status: 200, body } });
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Request-Id': `req_demo${this.calls.length}` });
    res.end(body);
  }
}
