/**
 * What the ledger says about one invoice, per jurisdiction: how it stands now (the current
 * revision, after voids and reprocessing), which certificate covered it, and its flags.
 */
import { currentEntries } from '@exemptions/shared';
import type { LedgerEntry } from '@exemptions/shared';

export type InvoiceLedgerState =
  /** Not finalized yet, or finalized before the app was installed: nothing is booked. */
  | { readonly kind: 'not_recorded' }
  /** Booked, then voided: every jurisdiction's current revision is negated. */
  | { readonly kind: 'voided' }
  | { readonly kind: 'recorded'; readonly lines: readonly LedgerEntry[] };

export function invoiceLedgerState(entries: readonly LedgerEntry[]): InvoiceLedgerState {
  if (entries.length === 0) return { kind: 'not_recorded' };
  const lines = currentEntries(entries);
  return lines.length === 0 ? { kind: 'voided' } : { kind: 'recorded', lines };
}
