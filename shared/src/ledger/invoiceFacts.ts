import * as z from 'zod';
import { customerIdSchema } from '../certificate.js';
import { instantSchema } from '../dates.js';
import { jurisdictionCodeSchema } from '../jurisdictions.js';
import { currencySchema } from '../money.js';

// Ids end up inside ledger entry ids, which use `:` as the separator and
// become MongoDB `_id`s, so only Stripe's own id alphabet is accepted.
export const invoiceIdSchema = z.string().regex(/^in_[A-Za-z0-9]{1,250}$/, { error: 'must be a Stripe invoice id (in_…)' });

const amountSchema = z.int({ error: 'must be a whole number of minor units (cents for usd)' });

const referenceSchema = z.string().trim().min(1).max(255).nullable();

/** Where Stripe took the tax address from: the invoice's own or the customer's, shipping before billing. */
export const ledgerAddressSources = ['shipping', 'billing', 'customer_shipping', 'customer_address'] as const;

export type LedgerAddressSource = (typeof ledgerAddressSources)[number];

export const ledgerAddressSchema = z.strictObject({
  country: z.string().trim().min(1).max(2),
  state: z.string().trim().max(100).nullable(),
  postalCode: z.string().trim().max(20).nullable(),
  line1: z.string().max(500).nullable(),
  city: z.string().max(200).nullable(),
});

/** The address a sale was taxed at, kept on the entry as it was: the customer may move later. */
export type LedgerAddress = z.infer<typeof ledgerAddressSchema>;

/**
 * One row of the invoice's `total_taxes`, with the jurisdiction and level read
 * from the TaxRate that `tax_rate_details.tax_rate` points at. A state row and
 * its county, city and district rows each tax the same base.
 */
export const invoiceTaxSchema = z.strictObject({
  /** Null for a tax outside every known jurisdiction (a VAT, say). */
  jurisdiction: jurisdictionCodeSchema.nullable(),
  /** The TaxRate's `jurisdiction_level`: state, county, city, district, multiple… */
  level: z.string().trim().min(1).max(50),
  /** Stripe's `taxable_amount`, which it may omit. */
  taxableAmount: amountSchema.nullable(),
  amount: amountSchema,
  taxabilityReason: z.string().trim().min(1).max(100).nullable(),
});

export type InvoiceTax = z.infer<typeof invoiceTaxSchema>;

/**
 * What the ledger needs from a finalized invoice. The worker maps a Stripe
 * invoice (and the TaxRates its taxes reference) into this at the edge, so
 * the rules never see Stripe's shapes or API version.
 */
export const invoiceFactsSchema = z.strictObject({
  invoiceId: invoiceIdSchema,
  /** The invoice number, which single-purchase certificates name. */
  invoiceNumber: referenceSchema,
  customerId: customerIdSchema,
  currency: currencySchema,
  /** `status_transitions.finalized_at`: the transaction date is this instant's day in the account's zone. */
  finalizedAt: instantSchema,
  /** Stripe's `total_excluding_tax` (after discounts): the base when no tax row gives one, and the denominator of credit notes. */
  totalExcludingTax: amountSchema,
  /** The invoice's frozen copy of `customer.tax_exempt`. */
  customerTaxExempt: z.enum(['none', 'exempt', 'reverse']),
  taxes: z.array(invoiceTaxSchema).max(1000),
  address: ledgerAddressSchema.nullable(),
  addressSource: z.enum(ledgerAddressSources).nullable(),
  /** The jurisdiction of `address`; it names the single entry of an invoice without tax rows. */
  addressJurisdiction: jurisdictionCodeSchema.nullable(),
  /** A purchase-order number, which single-purchase certificates may name instead of the invoice number. */
  purchaseOrder: referenceSchema.optional().default(null),
});

export type InvoiceFactsInput = z.input<typeof invoiceFactsSchema>;

export type InvoiceFacts = z.output<typeof invoiceFactsSchema>;

export const creditNoteIdSchema = z.string().regex(/^cn_[A-Za-z0-9]{1,250}$/, {
  error: 'must be a Stripe credit note id (cn_…)',
});

/**
 * What the ledger needs from a credit note. Its share of the invoice is
 * `totalExcludingTax / invoice totalExcludingTax` for the bases, and
 * `tax / invoice tax` for the tax when `tax` is known (else the base share).
 */
export const creditNoteFactsSchema = z.strictObject({
  creditNoteId: creditNoteIdSchema,
  invoiceId: invoiceIdSchema,
  currency: currencySchema,
  /** `effective_at ?? created`: the credit is reported in the period of this instant's day. */
  issuedAt: instantSchema,
  /** Stripe's `total_excluding_tax` of the credit note. */
  totalExcludingTax: z.int().nonnegative({ error: 'a credit note amount is never negative' }),
  /** The sum of the credit note's `total_taxes` amounts, or null to split tax like the base. */
  tax: z.int().nonnegative({ error: 'a credit note tax is never negative' }).nullable(),
});

export type CreditNoteFacts = z.infer<typeof creditNoteFactsSchema>;
