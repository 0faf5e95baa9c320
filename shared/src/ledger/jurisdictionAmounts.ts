import type { JurisdictionCode } from '../jurisdictions.js';
import { addMinor } from './amounts.js';
import type { InvoiceFacts } from './invoiceFacts.js';

/** An invoice's figures in one jurisdiction, before exemption and certificates are considered. */
export interface JurisdictionAmounts {
  readonly jurisdiction: JurisdictionCode | null;
  /** The sale amount the jurisdiction's taxes apply to. */
  readonly base: number;
  /** State and local tax together. */
  readonly tax: number;
  /** Some row says `customer_exempt`: Stripe treated the customer as exempt here. */
  readonly customerExempt: boolean;
  readonly taxabilityReasons: readonly string[];
}

export const customerExemptReason = 'customer_exempt';

function compareJurisdictions(a: JurisdictionCode | null, b: JurisdictionCode | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * Rows grouped by jurisdiction, in code order (no jurisdiction last).
 *
 * - base: the largest `taxableAmount` among the jurisdiction's rows (by
 *   magnitude). State, county, city and district rows tax the same sale, so
 *   adding their bases would count it several times over.
 * - A customer-exempt jurisdiction whose rows give no base (Stripe may omit
 *   the taxable amount, or report 0, when nothing was taxed) falls back to
 *   the invoice's `totalExcludingTax`: the exempt sale is the whole sale.
 * - tax: the sum of the rows' amounts.
 * - An invoice with no rows at all (nothing taxed anywhere) gives one group for
 *   `addressJurisdiction` (which may be null) with base `totalExcludingTax`
 *   and tax 0.
 */
export function jurisdictionAmounts(facts: InvoiceFacts): JurisdictionAmounts[] {
  const customerExemptInvoice = facts.customerTaxExempt === 'exempt';
  if (facts.taxes.length === 0) {
    return [
      {
        jurisdiction: facts.addressJurisdiction,
        base: facts.totalExcludingTax,
        tax: 0,
        customerExempt: false,
        taxabilityReasons: [],
      },
    ];
  }
  const groups = new Map<JurisdictionCode | null, InvoiceFacts['taxes']>();
  for (const row of facts.taxes) {
    const rows = groups.get(row.jurisdiction) ?? [];
    rows.push(row);
    groups.set(row.jurisdiction, rows);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareJurisdictions(a, b))
    .map(([jurisdiction, rows]) => {
      let base = 0;
      let tax = 0;
      for (const row of rows) {
        if (row.taxableAmount !== null && Math.abs(row.taxableAmount) > Math.abs(base)) base = row.taxableAmount;
        tax = addMinor(tax, row.amount, facts.currency);
      }
      const reasons = [...new Set(rows.flatMap((row) => (row.taxabilityReason === null ? [] : [row.taxabilityReason])))].sort();
      const customerExempt = reasons.includes(customerExemptReason);
      if (base === 0 && (customerExempt || customerExemptInvoice)) base = facts.totalExcludingTax;
      return { jurisdiction, base, tax, customerExempt, taxabilityReasons: reasons };
    });
}
