/**
 * The demo's merchant, customers, certificates and invoices. Dates are relative to today in the
 * account's time zone, so every run shows the same story: one certificate active, one expiring
 * soon, one expired, one not yet effective, one archived, and a customer with none yet.
 */
import { addDays, type CalendarDate } from '@exemptions/shared';
import { DateTime } from 'luxon';
import type { DemoCustomer, DemoTaxRate, TaxExempt } from './fakeStripeApi.js';

export const DEMO_TIME_ZONE = 'America/Chicago';

export const TEXAS_RATE: DemoTaxRate = { id: 'txr_demoTexas', country: 'US', state: 'TX', percentage: 6.25 };

export interface DemoDates {
  readonly today: CalendarDate;
  /** The first day of last month, and its 15th (when last month's invoice went out). */
  readonly lastMonthStart: CalendarDate;
  readonly lastMonthInvoiceDay: CalendarDate;
  readonly lastMonthKey: string;
}

export function demoDates(now: Date): DemoDates {
  const today = DateTime.fromJSDate(now, { zone: DEMO_TIME_ZONE }).startOf('day');
  const lastMonth = today.startOf('month').minus({ months: 1 });
  return {
    today: today.toISODate() ?? '',
    lastMonthStart: lastMonth.toISODate() ?? '',
    lastMonthInvoiceDay: lastMonth.plus({ days: 14 }).toISODate() ?? '',
    lastMonthKey: lastMonth.toFormat('yyyy-MM'),
  };
}

/** Unix seconds at noon of `day` in the account's zone: a finalization time on that day. */
export function noonOn(day: CalendarDate): number {
  return Math.floor(DateTime.fromISO(`${day}T12:00`, { zone: DEMO_TIME_ZONE }).toSeconds());
}

const texas = (city: string, line1: string, postal: string) => ({ country: 'US', state: 'TX', city, line1, postal_code: postal });

export const customers = {
  acme: { id: 'cus_demoAcme', name: 'Acme Resale Supply', email: 'tax@acme.example', taxExempt: 'none', address: texas('Austin', '1 Congress Ave', '78701') },
  bolt: { id: 'cus_demoBolt', name: 'Bolt Builders', email: 'ap@bolt.example', taxExempt: 'none', address: texas('Dallas', '200 Main St', '75201') },
  // Marked exempt by hand in Stripe long ago: the worker leaves that alone and reports it.
  cedar: { id: 'cus_demoCedar', name: 'Cedar Clinic', email: 'office@cedar.example', taxExempt: 'exempt', address: texas('Houston', '5 Fannin St', '77002') },
  delta: {
    id: 'cus_demoDelta',
    name: 'Delta Labs',
    email: 'finance@delta.example',
    taxExempt: 'none',
    address: { country: 'US', state: 'CA', city: 'San Jose', line1: '9 First St', postal_code: '95113' },
  },
  echo: { id: 'cus_demoEcho', name: 'Echo Foundation', email: 'grants@echo.example', taxExempt: 'none', address: texas('El Paso', '3 Mesa St', '79901') },
  north: { id: 'cus_demoNorth', name: 'Northwind Traders', email: 'purchasing@northwind.example', taxExempt: 'none', address: texas('San Antonio', '7 Alamo Plaza', '78205') },
} as const satisfies Record<string, DemoCustomer>;

export interface SeedCertificate {
  readonly customer: DemoCustomer;
  /** What this certificate shows in the demo. */
  readonly shows: string;
  readonly body: Record<string, unknown>;
  readonly file: string | null;
  readonly archiveReason: string | null;
}

function certificate(customerId: string, reason: string, number: string, code: string, effectiveDate: CalendarDate, expirationDate: CalendarDate | null) {
  return {
    customerId,
    reason,
    form: 'single_state',
    number,
    purchase: { type: 'blanket' },
    jurisdictions: [{ code, registrationId: `${code.slice(3)}-${number.replace(/\D/g, '')}`, effectiveDate, expirationDate }],
    notes: 'Seeded by npm run demo.',
  };
}

export function seedCertificates({ today }: DemoDates): SeedCertificate[] {
  return [
    { customer: customers.acme, shows: 'active for two more years', body: certificate(customers.acme.id, 'resale', 'TX-RS-10442', 'US-TX', addDays(today, -365), addDays(today, 730)), file: 'acme-resale-certificate.pdf', archiveReason: null },
    { customer: customers.bolt, shows: 'expires in 20 days', body: certificate(customers.bolt.id, 'resale', 'TX-RS-20981', 'US-TX', addDays(today, -345), addDays(today, 20)), file: 'bolt-resale-certificate.pdf', archiveReason: null },
    { customer: customers.cedar, shows: 'expired 15 days ago', body: certificate(customers.cedar.id, 'charitable', 'TX-CH-3310', 'US-TX', addDays(today, -380), addDays(today, -15)), file: null, archiveReason: null },
    { customer: customers.delta, shows: 'takes effect in 10 days', body: certificate(customers.delta.id, 'industrial_production', 'CA-IP-7740', 'US-CA', addDays(today, 10), null), file: null, archiveReason: null },
    { customer: customers.echo, shows: 'archived by the merchant', body: certificate(customers.echo.id, 'charitable', 'TX-CH-5521', 'US-TX', addDays(today, -200), null), file: null, archiveReason: 'The foundation closed its Texas office' },
  ];
}

export interface DemoInvoice {
  readonly id: string;
  readonly customer: DemoCustomer;
  readonly day: 'last_month' | 'today';
  readonly amount: number;
  /** Sent as a draft first (invoice.created), which is when the worker brings tax_exempt up to date. */
  readonly draftFirst: boolean;
  /** The tax_exempt Stripe froze onto it, when it was finalized before the worker's update reached the customer. */
  readonly finalizedAs?: TaxExempt;
  readonly shows: string;
}

export const invoices: readonly DemoInvoice[] = [
  { id: 'in_demoAcme1', customer: customers.acme, day: 'today', amount: 250000, draftFirst: true, shows: 'exempt, covered by its certificate' },
  { id: 'in_demoAcme2', customer: customers.acme, day: 'today', amount: 40000, draftFirst: false, finalizedAs: 'none', shows: 'finalized before the exemption reached Stripe: over-collection' },
  { id: 'in_demoBolt1', customer: customers.bolt, day: 'today', amount: 120000, draftFirst: true, shows: 'exempt, certificate expiring soon' },
  { id: 'in_demoCedar1', customer: customers.cedar, day: 'today', amount: 80000, draftFirst: true, shows: 'exempt by hand, certificate expired: exposure' },
  { id: 'in_demoNorth1', customer: customers.north, day: 'last_month', amount: 300000, draftFirst: true, shows: 'taxed (no certificate yet), in a period about to be filed' },
  { id: 'in_demoNorth2', customer: customers.north, day: 'today', amount: 150000, draftFirst: true, shows: 'taxed (no certificate yet)' },
];

/** The invoice as Stripe's API (2026-10-28) shows it; `taxExempt` is the customer's, frozen at finalization. */
export function stripeInvoice(invoice: DemoInvoice, status: 'draft' | 'open', taxExempt: TaxExempt, finalizedAt: number | null): Record<string, unknown> & { id: string } {
  const exempt = taxExempt === 'exempt';
  const tax = exempt ? 0 : Math.round((invoice.amount * TEXAS_RATE.percentage) / 100);
  return {
    id: invoice.id,
    number: status === 'draft' ? null : invoice.id.replace('in_demo', 'DEMO-'),
    customer: invoice.customer.id,
    currency: 'usd',
    status,
    subtotal: invoice.amount,
    total_excluding_tax: invoice.amount,
    total: invoice.amount + tax,
    customer_tax_exempt: taxExempt,
    customer_address: { ...invoice.customer.address, line2: null },
    customer_shipping: null,
    status_transitions: { finalized_at: finalizedAt, paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: [
      {
        amount: tax,
        taxable_amount: exempt ? 0 : invoice.amount,
        taxability_reason: exempt ? 'customer_exempt' : 'standard_rated',
        tax_behavior: 'exclusive',
        type: 'tax_rate_details',
        tax_rate_details: { tax_rate: TEXAS_RATE.id },
      },
    ],
  };
}
