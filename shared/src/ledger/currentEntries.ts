import type { JurisdictionCode } from '../jurisdictions.js';
import { sumAmounts } from './amounts.js';
import type { CreditNoteRef, LedgerAmounts, LedgerEntry } from './ledgerEntry.js';
import { isRevisionKind } from './ledgerEntry.js';

/*
 * An invoice in a jurisdiction is a chain of revisions (1 = the original),
 * each with its family: the entries whose `revision` is its number (its
 * credits, their reversals, and at most one negation). The current revision
 * is the highest one, unless it is negated: then the invoice has no current
 * entry there (it was voided). A revision step negates the old revision and
 * adds the next, so the highest revision stays current.
 */

function lineKey(invoiceId: string, jurisdiction: JurisdictionCode | null): string {
  return `${invoiceId}|${jurisdiction ?? ''}`;
}

/** Entries grouped per invoice × jurisdiction, in first-seen order. */
export function groupByInvoiceJurisdiction(entries: readonly LedgerEntry[]): LedgerEntry[][] {
  const groups = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    const key = lineKey(entry.invoiceId, entry.jurisdiction);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [entry]);
    else group.push(entry);
  }
  return [...groups.values()];
}

/** The current revision among one invoice × jurisdiction's entries, or null if there is none or it was negated. */
export function currentRevision(line: readonly LedgerEntry[]): LedgerEntry | null {
  let highest: LedgerEntry | null = null;
  for (const entry of line) {
    if (isRevisionKind(entry.kind) && (highest === null || entry.revision > highest.revision)) highest = entry;
  }
  if (highest === null) return null;
  const top = highest;
  return line.some((entry) => entry.kind === 'negation' && entry.revision === top.revision) ? null : top;
}

/** For each invoice × jurisdiction, its current entry, ordered by invoice id then jurisdiction. */
export function currentEntries(entries: readonly LedgerEntry[]): LedgerEntry[] {
  return groupByInvoiceJurisdiction(entries)
    .flatMap((line) => {
      const current = currentRevision(line);
      return current === null ? [] : [current];
    })
    .sort((a, b) => (lineKey(a.invoiceId, a.jurisdiction) < lineKey(b.invoiceId, b.jurisdiction) ? -1 : 1));
}

/** A revision and the entries that adjust it. */
export function familyOf(revision: LedgerEntry, entries: readonly LedgerEntry[]): LedgerEntry[] {
  return entries.filter(
    (entry) =>
      entry.invoiceId === revision.invoiceId &&
      entry.jurisdiction === revision.jurisdiction &&
      entry.revision === revision.revision,
  );
}

/** What a revision still stands for: itself plus its credits and their reversals (and negation, if any). */
export function standingAmounts(revision: LedgerEntry, entries: readonly LedgerEntry[]): LedgerAmounts {
  return sumAmounts(familyOf(revision, entries));
}

/** The credit notes whose share is on this revision and not reversed, earliest first (then by id). */
export function activeCreditNotes(revision: LedgerEntry, entries: readonly LedgerEntry[]): CreditNoteRef[] {
  const family = familyOf(revision, entries);
  const reversed = new Set(family.filter((e) => e.kind === 'credit_reversal').map((e) => e.negates));
  return family
    .filter((e): e is LedgerEntry & { creditNote: CreditNoteRef } => e.kind === 'credit' && e.creditNote !== null && !reversed.has(e.id))
    .map((e) => e.creditNote)
    .sort(compareCreditNotes);
}

// Instants may differ in fractional precision, so they are compared as times, not strings.
function compareCreditNotes(a: CreditNoteRef, b: CreditNoteRef): number {
  const byTime = Date.parse(a.issuedAt) - Date.parse(b.issuedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
