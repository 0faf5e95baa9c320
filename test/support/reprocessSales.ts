import { entriesForInvoice, ledgerContext, type InvoiceFactsInput, type LedgerEntry } from '@exemptions/shared';

/**
 * The reprocess crash tests' transactions: sale n is a 100.00 Texas sale, taxed 6.25, to one
 * customer, finalized in June, July or August 2026 (n mod 3), on day 1 + n mod 28.
 */
export function crashSale(n: number, customerId: string, prefix = 'in_Crash'): InvoiceFactsInput {
  const day = String(1 + (n % 28)).padStart(2, '0');
  return {
    invoiceId: `${prefix}${String(n).padStart(4, '0')}`,
    invoiceNumber: `INV-${n}`,
    customerId,
    currency: 'usd',
    finalizedAt: `2026-0${6 + (n % 3)}-${day}T15:00:00.000Z`,
    totalExcludingTax: 10_000,
    customerTaxExempt: 'none',
    taxes: [{ jurisdiction: 'US-TX', level: 'state', taxableAmount: 10_000, amount: 625, taxabilityReason: 'standard_rated' }],
    address: { country: 'US', state: 'TX', postalCode: null, line1: null, city: null },
    addressSource: 'customer_address',
    addressJurisdiction: 'US-TX',
    purchaseOrder: null,
  };
}

/** The ledger entries a sale was booked with, before any certificate (as `invoice.finalized` books them). */
export function crashSaleEntries(n: number, customerId: string, prefix = 'in_Crash'): LedgerEntry[] {
  const context = ledgerContext({ timeZone: 'UTC', today: '2026-09-30' });
  return entriesForInvoice({ invoice: crashSale(n, customerId, prefix), certificates: [], eventId: `evt_seed_${n}` }, context);
}
