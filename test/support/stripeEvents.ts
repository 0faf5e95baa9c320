import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { Db } from 'mongodb';
import type { Tenant } from '../../worker/src/tenancy.js';
import { eventually } from './service.js';

export const TEST_WEBHOOK_SECRET = 'whsec_test_000000000000000000000000';

/** Typed event objects: only the fields a fixture sets, checked against stripe-node's own types. */
type ObjectOf<T extends string> = T extends `customer.${string}`
  ? Partial<Stripe.Customer> & { id: string }
  : T extends `invoice.${string}`
    ? Partial<Omit<Stripe.Invoice, 'customer'>> & { id: string; customer: string }
    : T extends `credit_note.${string}`
      ? Partial<Omit<Stripe.CreditNote, 'invoice'>> & { id: string; invoice: string }
      : Record<string, unknown>;

export interface EventFixture {
  readonly id: string;
  readonly body: string;
}

/** An event as Stripe would send it for an installed app: `account` names the connected account. */
export function stripeEvent<T extends Stripe.Event.Type>(type: T, object: ObjectOf<T>, tenant: Tenant, id = `evt_${randomBytes(12).toString('hex')}`): EventFixture {
  const event = {
    id,
    object: 'event',
    type,
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: tenant.livemode,
    account: tenant.accountId,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { object: type.split('.')[0], livemode: tenant.livemode, ...object } },
  };
  return { id, body: JSON.stringify(event) };
}

export function signatureFor(body: string, secret = TEST_WEBHOOK_SECRET, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
}

/** Delivers an event to the worker's webhook endpoint as Stripe does. */
export function deliver(baseUrl: string, event: EventFixture, signature = signatureFor(event.body)): Promise<Response> {
  return fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature },
    body: event.body,
  });
}

/** Waits until the worker has processed a stored event; returns the stored event. */
export function processedEvent(db: Db, eventId: string, timeoutMs = 10_000) {
  return eventually(() => db.collection('stripe_events').findOne({ _id: eventId as never }), (e) => e?.processedAt != null, timeoutMs);
}

/** One row of an invoice's `total_taxes`: the tax rate, the taxed base, the tax, and why (standard rated unless given). */
export interface InvoiceTaxRow {
  readonly rate: string;
  readonly taxable: number;
  readonly amount: number;
  readonly reason?: Stripe.Invoice.TotalTax.TaxabilityReason;
}

/** A finalized invoice to a customer in Austin, Texas, shaped as Stripe's API (2026-10-28) sends it. */
export function finalizedInvoice(id: string, customer: string, finalizedAt: string, taxes: readonly InvoiceTaxRow[], totalExcludingTax: number, taxExempt: 'none' | 'exempt' = 'none') {
  return {
    id,
    number: `INV-${id.slice(3)}`,
    customer,
    currency: 'usd',
    status: 'open' as const,
    subtotal: totalExcludingTax,
    total_excluding_tax: totalExcludingTax,
    customer_tax_exempt: taxExempt,
    customer_address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: '1 Congress Ave', line2: null },
    customer_shipping: null,
    status_transitions: { finalized_at: Math.floor(Date.parse(finalizedAt) / 1000) as number | null, paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: taxes.map((row) => ({
      amount: row.amount,
      taxable_amount: row.taxable,
      taxability_reason: row.reason ?? ('standard_rated' as const),
      tax_behavior: 'exclusive' as const,
      type: 'tax_rate_details' as const,
      tax_rate_details: { tax_rate: row.rate },
    })),
  };
}
