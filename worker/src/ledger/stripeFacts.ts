import { jurisdictionCode, type CreditNoteFacts, type InvoiceFactsInput, type LedgerAddressSource } from '@exemptions/shared';
import { z } from 'zod';
import type { Tenant } from '../tenancy.js';
import type { TaxRateCache } from './taxRateCache.js';

const expandableId = z.union([z.string(), z.object({ id: z.string() })]).transform((value) => (typeof value === 'string' ? value : value.id));

const addressSchema = z
  .object({
    country: z.string().nullish(),
    state: z.string().nullish(),
    postal_code: z.string().nullish(),
    line1: z.string().nullish(),
    city: z.string().nullish(),
  })
  .nullish();

/** The parts of a Stripe invoice (API 2026-10-28) the ledger reads; checked, the rest ignored. */
export const stripeInvoiceSchema = z.object({
  id: z.string().startsWith('in_'),
  number: z.string().nullish(),
  customer: expandableId,
  currency: z.string(),
  status: z.string().nullish(),
  total_excluding_tax: z.int().nullish(),
  subtotal: z.int(),
  customer_tax_exempt: z.enum(['none', 'exempt', 'reverse']).nullish(),
  customer_address: addressSchema,
  customer_shipping: z.object({ address: addressSchema }).nullish(),
  status_transitions: z.object({ finalized_at: z.int().nullish() }),
  metadata: z.record(z.string(), z.string()).nullish(),
  total_taxes: z
    .array(
      z.object({
        amount: z.int(),
        taxable_amount: z.int().nullish(),
        taxability_reason: z.string().nullish(),
        tax_rate_details: z.object({ tax_rate: expandableId }).nullish(),
      }),
    )
    .nullish(),
});

export type StripeInvoice = z.infer<typeof stripeInvoiceSchema>;

export const stripeCreditNoteSchema = z.object({
  id: z.string().startsWith('cn_'),
  invoice: expandableId,
  currency: z.string(),
  created: z.int(),
  effective_at: z.int().nullish(),
  subtotal: z.int(),
  total_excluding_tax: z.int().nullish(),
  total_taxes: z.array(z.object({ amount: z.int() })).nullish(),
});

export type StripeCreditNote = z.infer<typeof stripeCreditNoteSchema>;

/** The invoice has no finalization time: it is not a transaction yet. */
export class InvoiceNotFinalizedError extends Error {
  override name = 'InvoiceNotFinalizedError';
}

const instant = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * A finalized invoice as ledger facts. The invoice's own frozen copies of the customer's
 * address and tax_exempt are used, never the customer's current ones: that is what was taxed.
 */
export async function invoiceFacts(invoice: StripeInvoice, tenant: Tenant, rates: TaxRateCache): Promise<InvoiceFactsInput> {
  const finalizedAt = invoice.status_transitions.finalized_at;
  if (finalizedAt == null) throw new InvoiceNotFinalizedError(`invoice ${invoice.id} has not been finalized`);
  const taxes = await Promise.all(
    (invoice.total_taxes ?? []).map(async (row) => {
      const rate = row.tax_rate_details == null ? null : await rates.get(tenant, row.tax_rate_details.tax_rate);
      return {
        jurisdiction: rate?.country ? jurisdictionCode(rate.country, rate.state ?? '') : null,
        level: rate?.jurisdictionLevel ?? 'unknown',
        taxableAmount: row.taxable_amount ?? null,
        amount: row.amount,
        taxabilityReason: row.taxability_reason ?? null,
      };
    }),
  );
  const [raw, source]: [z.infer<typeof addressSchema>, LedgerAddressSource | null] = invoice.customer_shipping?.address?.country
    ? [invoice.customer_shipping.address, 'customer_shipping']
    : invoice.customer_address?.country
      ? [invoice.customer_address, 'customer_address']
      : [null, null];
  const address =
    raw?.country == null
      ? null
      : { country: raw.country, state: raw.state ?? null, postalCode: raw.postal_code ?? null, line1: raw.line1 ?? null, city: raw.city ?? null };
  return {
    invoiceId: invoice.id,
    invoiceNumber: invoice.number ?? null,
    customerId: invoice.customer,
    currency: invoice.currency,
    finalizedAt: instant(finalizedAt),
    totalExcludingTax: invoice.total_excluding_tax ?? invoice.subtotal,
    customerTaxExempt: invoice.customer_tax_exempt ?? 'none',
    taxes,
    address,
    addressSource: source,
    addressJurisdiction: address === null ? null : jurisdictionCode(address.country, address.state ?? ''),
    purchaseOrder: invoice.metadata?.purchase_order ?? invoice.metadata?.po_number ?? null,
  };
}

export function creditNoteFacts(note: StripeCreditNote): CreditNoteFacts {
  const taxes = note.total_taxes;
  return {
    creditNoteId: note.id,
    invoiceId: note.invoice,
    currency: note.currency,
    issuedAt: instant(note.effective_at ?? note.created),
    totalExcludingTax: note.total_excluding_tax ?? note.subtotal,
    tax: taxes == null ? null : taxes.reduce((sum, row) => sum + row.amount, 0),
  };
}
