/**
 * What the fault tests (test/faults, `npm run test:faults`) share: their figures and seed, Stripe's
 * way of delivering webhooks (retrying until a 2xx), and the Message-ID the worker gives an email,
 * by which the SMTP side tells one email key from another.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../worker/src/paths.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signatureFor, type EventFixture } from './stripeEvents.js';

/** Where each fault test leaves its figures (git-ignored), for SECURITY.md. */
export const FAULT_FIGURES_FOLDER = path.join(repoRoot, 'test', 'artifacts', 'faults');

/** Writes `<name>.json` and prints one compact line of its scalar figures. */
export async function recordFaultFigures(name: string, figures: Record<string, unknown>): Promise<void> {
  await mkdir(FAULT_FIGURES_FOLDER, { recursive: true });
  await writeFile(path.join(FAULT_FIGURES_FOLDER, `${name}.json`), `${JSON.stringify({ test: name, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
  const scalar = (value: unknown): boolean => typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 40);
  const parts = Object.entries(figures).flatMap(([key, value]) => {
    if (scalar(value)) return [`${key}=${String(value)}`];
    if (Array.isArray(value) && value.length > 0 && value.every(scalar)) return [`${key}=${value.join(',')}`];
    return [];
  });
  process.stdout.write(`[faults] ${name}: ${parts.join(' ')}\n`);
}

/** The seed of this run: FAULTS_SEED when set, else the clock (printed with the figures either way). */
export function faultSeed(): number {
  const given = Number(process.env.FAULTS_SEED);
  return Number.isSafeInteger(given) && given > 0 ? given : Date.now() % 2_147_483_647;
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Message-ID the worker's mailer derives from an email's key (worker/src/mail/mailer.ts). */
export function messageIdOf(tenant: Tenant, key: string): string {
  return `${createHash('sha256').update(`${tenant.accountId}:${tenant.livemode}:${key}`).digest('hex').slice(0, 32)}@exemptions.invalid`;
}

/** A Message-ID header without its angle brackets. */
export function bareMessageId(value: string): string {
  return value.trim().replace(/^</, '').replace(/>$/, '');
}

/** One delivery of an event as Stripe makes it: attempts until a 2xx, each answer recorded. */
export interface Delivery {
  readonly eventId: string;
  /** Status of each attempt; 0 when the request failed without an answer (refused, reset, timed out). */
  readonly statuses: number[];
  /** The body of the 2xx that ended it. */
  acknowledged: { readonly duplicate: boolean } | null;
  /** When the 2xx arrived (ms since the epoch). */
  acknowledgedAt: number | null;
}

export interface SenderOptions {
  /** First retry after this long; doubled each time up to `maxDelayMs` (Stripe's schedule, shortened). */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Give up (leaving `acknowledged` null) after this long. */
  readonly giveUpAfterMs?: number;
  /** Each attempt's own timeout. */
  readonly attemptTimeoutMs?: number;
  /** Called on each 2xx, before the sender goes on (the test checks the event is stored). */
  readonly onAcknowledged?: (eventId: string) => void;
}

/**
 * Stripe's side of a webhook: POST the signed event (a fresh signature each attempt), and retry
 * on anything but a 2xx — a 5xx, a refused or dropped connection, a timeout — with backoff.
 */
export async function deliverUntilAcknowledged(baseUrl: string, event: EventFixture, options: SenderOptions = {}): Promise<Delivery> {
  const { firstDelayMs = 250, maxDelayMs = 2_000, giveUpAfterMs = 120_000, attemptTimeoutMs = 30_000 } = options;
  const delivery: Delivery = { eventId: event.id, statuses: [], acknowledged: null, acknowledgedAt: null };
  const deadline = Date.now() + giveUpAfterMs;
  let delay = firstDelayMs;
  for (;;) {
    let status = 0;
    let body = '';
    try {
      const response = await fetch(`${baseUrl}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signatureFor(event.body) },
        body: event.body,
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      status = response.status;
      body = await response.text();
    } catch {
      status = 0;
    }
    delivery.statuses.push(status);
    if (status >= 200 && status < 300) {
      const parsed = JSON.parse(body) as { duplicate?: unknown };
      delivery.acknowledged = { duplicate: parsed.duplicate === true };
      delivery.acknowledgedAt = Date.now();
      options.onAcknowledged?.(event.id);
      return delivery;
    }
    if (Date.now() > deadline) return delivery;
    await sleep(delay * (0.75 + Math.random() / 2));
    delay = Math.min(maxDelayMs, delay * 2);
  }
}

/** Runs `work(0..count-1)` with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) await work(index);
    }),
  );
}

/** A Texas sales-tax rate as the fake Stripe API serves it; `finalizedInvoice` taxes at it. */
export const TEXAS_RATE = { id: 'txr_FaultTXstate', country: 'US', state: 'TX', percentage: 6.25 } as const;

/**
 * A finalized invoice as Stripe's API (2026-10-28) sends it in `invoice.finalized`, taxed in Texas
 * at TEXAS_RATE: the ledger books one entry for it, `<invoice id>:US-TX`.
 */
export function finalizedInvoice(id: string, customer: string, amount: number, finalizedAt = Math.floor(Date.now() / 1000) - 3600) {
  return {
    id,
    number: `F-${id}`,
    customer,
    currency: 'usd',
    status: 'open' as const,
    subtotal: amount,
    total_excluding_tax: amount,
    customer_tax_exempt: 'none' as const,
    customer_address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: '1 Congress Ave', line2: null },
    customer_shipping: null,
    status_transitions: { finalized_at: finalizedAt, paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: [
      {
        amount: Math.round(amount * 0.0625),
        taxable_amount: amount,
        taxability_reason: 'standard_rated' as const,
        tax_behavior: 'exclusive' as const,
        type: 'tax_rate_details' as const,
        tax_rate_details: { tax_rate: TEXAS_RATE.id },
      },
    ],
  };
}

/** What a worker process must offer for `waitFor` to explain a timeout. */
interface Watched {
  readonly role: string;
  readonly pid: number;
  running(): boolean;
  output(): string;
}

/**
 * Polls until `accept` holds. Fails at once if a watched worker process has died, and on timeout
 * fails naming what it waited for, with the last value read and the tail of each process's output.
 */
export async function waitFor<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number, watched: readonly Watched[] = [], intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const tails = (): string => watched.map((worker) => `--- ${worker.role} ${worker.pid} (${worker.running() ? 'running' : 'exited'}):\n${worker.output().split('\n').slice(-30).join('\n')}`).join('\n');
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    const dead = watched.find((worker) => !worker.running());
    if (dead !== undefined) throw new Error(`while waiting for ${what}, the ${dead.role} process ${dead.pid} exited; last value ${JSON.stringify(value)}\n${tails()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(value)}\n${tails()}`);
    await sleep(intervalMs);
  }
}
