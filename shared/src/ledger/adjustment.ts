import type { LedgerEntry } from './ledgerEntry.js';

/**
 * The descriptive fields an adjusting entry copies from the entry it adjusts
 * (invoice, customer, jurisdiction, treatment, certificate, address, flags),
 * so that a report filtered on any of them, the exposure report included,
 * nets the adjustment against its entry.
 */
export type CopiedFields = Pick<
  LedgerEntry,
  | 'invoiceId'
  | 'invoiceNumber'
  | 'purchaseOrder'
  | 'customerId'
  | 'jurisdiction'
  | 'currency'
  | 'revision'
  | 'treatment'
  | 'taxabilityReasons'
  | 'certificate'
  | 'address'
  | 'addressSource'
  | 'flags'
  | 'invoiceAmounts'
>;

export function copiedFields(entry: LedgerEntry): CopiedFields {
  return {
    invoiceId: entry.invoiceId,
    invoiceNumber: entry.invoiceNumber,
    purchaseOrder: entry.purchaseOrder,
    customerId: entry.customerId,
    jurisdiction: entry.jurisdiction,
    currency: entry.currency,
    revision: entry.revision,
    treatment: entry.treatment,
    taxabilityReasons: [...entry.taxabilityReasons],
    certificate: entry.certificate,
    address: entry.address,
    addressSource: entry.addressSource,
    flags: { ...entry.flags },
    invoiceAmounts: { ...entry.invoiceAmounts },
  };
}

/** New entries in id order, so the same input lists them in the same order. */
export function sortById(entries: LedgerEntry[]): LedgerEntry[] {
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
