import type { CreditNoteFacts, InvoiceFactsInput, InvoiceTax, LedgerContext, LedgerContextInput, LedgerEntry } from '../../shared/src/index.js';
import { entriesForInvoice, ledgerContext } from '../../shared/src/index.js';

/** Shared fixtures for the ledger specs: a Texas customer in Dallas, an account in Chicago. */

export const customerId = 'cus_test';

export const dallas = { country: 'US', state: 'TX', postalCode: '75201', line1: '1 Main St', city: 'Dallas' };

export function taxRow(overrides: Partial<InvoiceTax> & Pick<InvoiceTax, 'jurisdiction' | 'amount'>): InvoiceTax {
  return { level: 'state', taxableAmount: 10_000, taxabilityReason: 'standard_rated', ...overrides };
}

/** A $100.00 Texas invoice with 6.25% state and 2% city tax, finalized 2026-05-02 in Chicago. */
export function invoice(overrides: Partial<InvoiceFactsInput> = {}): InvoiceFactsInput {
  return {
    invoiceId: 'in_A',
    invoiceNumber: 'INV-0001',
    customerId,
    currency: 'usd',
    finalizedAt: '2026-05-02T15:00:00.000Z',
    totalExcludingTax: 10_000,
    customerTaxExempt: 'none',
    taxes: [
      taxRow({ jurisdiction: 'US-TX', level: 'state', amount: 625 }),
      taxRow({ jurisdiction: 'US-TX', level: 'city', amount: 200 }),
    ],
    address: dallas,
    addressSource: 'shipping',
    addressJurisdiction: 'US-TX',
    purchaseOrder: null,
    ...overrides,
  };
}

export function creditNote(overrides: Partial<CreditNoteFacts> = {}): CreditNoteFacts {
  return {
    creditNoteId: 'cn_1',
    invoiceId: 'in_A',
    currency: 'usd',
    issuedAt: '2026-05-20T15:00:00.000Z',
    totalExcludingTax: 5_000,
    tax: null,
    ...overrides,
  };
}

/** Monthly periods, Chicago time, today 2026-05-12, nothing filed unless said. */
export function context(overrides: Partial<LedgerContextInput> = {}): LedgerContext {
  return ledgerContext({ timeZone: 'America/Chicago', today: '2026-05-12', ...overrides });
}

/** Filed periods for every jurisdiction in `codes` (and for sales with none). */
export function filedEverywhere(keys: readonly string[], codes: readonly (LedgerEntry['jurisdiction'])[] = ['US-TX', 'US-CA', null]) {
  return codes.flatMap((jurisdiction) => keys.map((periodKey) => ({ jurisdiction, periodKey })));
}

/**
 * An append-only store keyed by entry id, as the worker's unique index
 * behaves: inserting an existing id changes nothing.
 */
export class EntryStore {
  private readonly byId = new Map<string, LedgerEntry>();

  insert(entries: readonly LedgerEntry[]): number {
    let added = 0;
    for (const entry of entries) {
      if (this.byId.has(entry.id)) continue;
      this.byId.set(entry.id, structuredClone(entry));
      added += 1;
    }
    return added;
  }

  all(): LedgerEntry[] {
    return [...this.byId.values()];
  }

  get(id: string): LedgerEntry | undefined {
    return this.byId.get(id);
  }

  clone(): EntryStore {
    const copy = new EntryStore();
    copy.insert(this.all());
    return copy;
  }
}

/** Sum of an amount over entries, for readable expectations. */
export function sum(entries: readonly LedgerEntry[], field: 'taxable' | 'exempt' | 'tax'): number {
  return entries.reduce((total, entry) => total + entry[field], 0);
}

/**
 * The brief's worked example: a Texas customer paid $10.00 tax on each of INV-A (March 3),
 * INV-B (April 8) and INV-C (May 2), each booked on its day. Today is 2026-05-12; March is filed.
 */
export const workedExampleInvoices = [
  { id: 'in_A', number: 'INV-A', at: '2026-03-03T15:00:00.000Z', recordedOn: '2026-03-03' },
  { id: 'in_B', number: 'INV-B', at: '2026-04-08T15:00:00.000Z', recordedOn: '2026-04-08' },
  { id: 'in_C', number: 'INV-C', at: '2026-05-02T15:00:00.000Z', recordedOn: '2026-05-02' },
];

export function workedExampleHistory(): EntryStore {
  const store = new EntryStore();
  for (const inv of workedExampleInvoices) {
    const facts = invoice({
      invoiceId: inv.id,
      invoiceNumber: inv.number,
      finalizedAt: inv.at,
      totalExcludingTax: 16_000,
      taxes: [taxRow({ jurisdiction: 'US-TX', taxableAmount: 16_000, amount: 1_000 })],
    });
    store.insert(entriesForInvoice({ invoice: facts, certificates: [], eventId: `evt_${inv.id}` }, context({ today: inv.recordedOn })));
  }
  return store;
}
