import type { JurisdictionCode } from '../jurisdictions.js';

/*
 * Entry ids are the idempotency keys: each is derived from what the entry is
 * about, never from a clock or a counter kept elsewhere, so re-running an
 * event or a job computes the same ids and a unique index turns the repeat
 * into a no-op.
 *
 *   original                 <invoiceId>:<jurisdiction>          in_1:US-TX
 *   revision r (r >= 2)      <invoiceId>:<jurisdiction>:s<r>     in_1:US-TX:s2
 *   negation of an entry     <entry id>:negation                 in_1:US-TX:negation
 *   credit note's share      <entry id>:cn:<creditNoteId>        in_1:US-TX:cn:cn_9
 *   reversal of that share   <credit id>:reversal                in_1:US-TX:cn:cn_9:reversal
 *
 * A sale outside every known jurisdiction uses `none` in place of the code.
 */

export const noJurisdictionKey = 'none';

function jurisdictionKey(jurisdiction: JurisdictionCode | null): string {
  return jurisdiction ?? noJurisdictionKey;
}

export function originalEntryId(invoiceId: string, jurisdiction: JurisdictionCode | null): string {
  return `${invoiceId}:${jurisdictionKey(jurisdiction)}`;
}

/** Revision 1 is the original, so its id has no suffix. */
export function revisionEntryId(invoiceId: string, jurisdiction: JurisdictionCode | null, revision: number): string {
  if (!Number.isSafeInteger(revision) || revision < 1) throw new RangeError(`revision must be a whole number from 1, got ${revision}`);
  const original = originalEntryId(invoiceId, jurisdiction);
  return revision === 1 ? original : `${original}:s${revision}`;
}

export function negationEntryId(entryId: string): string {
  return `${entryId}:negation`;
}

export function creditEntryId(entryId: string, creditNoteId: string): string {
  return `${entryId}:cn:${creditNoteId}`;
}

export function reversalEntryId(creditEntryId: string): string {
  return `${creditEntryId}:reversal`;
}
