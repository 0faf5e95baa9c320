/**
 * The webhook benchmark's data: signed `invoice.finalized` events for a handful of test-mode
 * accounts (the shape the ledger flow tests send), the tax rates they reference, and the two
 * raw-baseline documents, built the way the worker builds what it stores for the same input.
 */
import { entriesForInvoice, ledgerContext } from '@exemptions/shared';
import type { Document } from 'mongodb';
import type { StoredEvent } from '../worker/src/webhooks/eventStore.js';
import { invoiceFacts, stripeInvoiceSchema } from '../worker/src/ledger/stripeFacts.js';
import { TaxRateCache } from '../worker/src/ledger/taxRateCache.js';
import { tenantFilter, type Tenant } from '../worker/src/tenancy.js';
import { FakeStripe } from '../test/support/fakeStripe.js';
import { stripeEvent, type EventFixture } from '../test/support/stripeEvents.js';

/** Customers per account; invoices go round them. */
const CUSTOMERS_PER_ACCOUNT = 50;

export interface BenchEvent extends EventFixture {
  readonly tenant: Tenant;
  readonly invoiceId: string;
}

export interface WebhookData {
  readonly tenants: readonly Tenant[];
  /** Serves the tax rates the invoices reference (Stripe cannot be reached). */
  readonly stripe: FakeStripe;
  /** Untimed requests first, so connections, JIT and caches are warm on both sides. */
  readonly warmup: readonly BenchEvent[];
  readonly events: readonly BenchEvent[];
}

function tenantOf(index: number): Tenant {
  return { accountId: `acct_1Bench${String(index).padStart(10, '0')}`, livemode: false };
}

const finalizedAt = (): number => Math.floor(Date.now() / 1000) - 3600;

/**
 * A finalized invoice shaped as Stripe's API (2026-10-28) sends it: Texas invoices carry a state
 * and a city rate, Californian ones a state rate; either way the ledger books one entry (one
 * jurisdiction), so events and ledger entries can be compared one to one.
 */
function invoiceObject(id: string, customer: string, index: number) {
  const texas = index % 2 === 0;
  const amount = 1_000 + ((index * 7_919) % 90_000);
  const rows = texas
    ? [
        { rate: 'txr_BenchTXstate', amount: Math.round(amount * 0.0625) },
        { rate: 'txr_BenchTXcity', amount: Math.round(amount * 0.02) },
      ]
    : [{ rate: 'txr_BenchCAstate', amount: Math.round(amount * 0.0725) }];
  const address = texas
    ? { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: '1 Congress Ave', line2: null }
    : { country: 'US', state: 'CA', postal_code: '94103', city: 'San Francisco', line1: '1 Market St', line2: null };
  return {
    id,
    number: `BENCH-${index}`,
    customer,
    currency: 'usd',
    status: 'open' as const,
    subtotal: amount,
    total_excluding_tax: amount,
    customer_tax_exempt: 'none' as const,
    customer_address: address,
    customer_shipping: null,
    status_transitions: { finalized_at: finalizedAt(), paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: rows.map((row) => ({
      amount: row.amount,
      taxable_amount: amount,
      taxability_reason: 'standard_rated' as const,
      tax_behavior: 'exclusive' as const,
      type: 'tax_rate_details' as const,
      tax_rate_details: { tax_rate: row.rate },
    })),
  };
}

function event(run: string, tenants: readonly Tenant[], index: number): BenchEvent {
  const tenant = tenants[index % tenants.length] as Tenant;
  const invoiceId = `in_bench${run}${index}`;
  const customer = `cus_bench${Math.floor(index / tenants.length) % CUSTOMERS_PER_ACCOUNT}`;
  const fixture = stripeEvent('invoice.finalized', invoiceObject(invoiceId, customer, index), tenant, `evt_bench${run}${String(index).padStart(8, '0')}`);
  return { ...fixture, tenant, invoiceId };
}

/** `run` keeps the ids of two runs on one database apart. */
export function buildWebhookData(options: { events: number; warmup: number; accounts: number; run: string }): WebhookData {
  const tenants = Array.from({ length: options.accounts }, (_, index) => tenantOf(index));
  const stripe = new FakeStripe();
  for (const tenant of tenants) {
    stripe
      .addTaxRate(tenant, { id: 'txr_BenchTXstate', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
      .addTaxRate(tenant, { id: 'txr_BenchTXcity', country: 'US', state: 'TX', jurisdictionLevel: 'city', percentage: 2 })
      .addTaxRate(tenant, { id: 'txr_BenchCAstate', country: 'US', state: 'CA', jurisdictionLevel: 'state', percentage: 7.25 });
  }
  const total = options.warmup + options.events;
  const all = Array.from({ length: total }, (_, index) => event(options.run, tenants, index));
  return { tenants, stripe, warmup: all.slice(0, options.warmup), events: all.slice(options.warmup) };
}

/** What `StripeEventStore.record` inserts for this event, under another id (the raw baseline's document). */
export function storedEventDocument(fixture: BenchEvent, id: string): StoredEvent {
  const parsed = JSON.parse(fixture.body) as { type: string; created: number };
  return {
    _id: id,
    ...tenantFilter(fixture.tenant),
    type: parsed.type,
    created: parsed.created,
    receivedAt: new Date(),
    payload: fixture.body,
    processedAt: null,
    outcome: null,
  };
}

/**
 * The ledger entry the worker books for this event, as `LedgerRepository.append` stores it,
 * computed with the worker's own functions (facts from the invoice, entries from the domain).
 */
export async function ledgerEntryDocument(fixture: BenchEvent, stripe: FakeStripe): Promise<Document> {
  const parsed = JSON.parse(fixture.body) as { id: string; data: { object: unknown } };
  const invoice = stripeInvoiceSchema.parse(parsed.data.object);
  const facts = await invoiceFacts(invoice, fixture.tenant, new TaxRateCache(stripe));
  const today = new Date().toISOString().slice(0, 10);
  const entries = entriesForInvoice({ invoice: facts, certificates: [], eventId: parsed.id }, ledgerContext({ timeZone: 'UTC', today, filed: [] }));
  if (entries.length !== 1) throw new Error(`expected one ledger entry per benchmark invoice, got ${entries.length}`);
  const { id, ...entry } = entries[0] as (typeof entries)[number];
  return { _id: id, ...tenantFilter(fixture.tenant), ...entry, recordedAt: new Date() };
}
