import * as z from 'zod';
import type { JurisdictionCode } from '../jurisdictions.js';
import { addAmounts, zeroAmounts } from './amounts.js';
import { copiedFields } from './adjustment.js';
import { creditShare } from './creditShare.js';
import { activeCreditNotes, currentRevision, familyOf } from './currentEntries.js';
import { creditEntryId, revisionEntryId } from './entryIds.js';
import { InvalidLedgerInputError, NoCurrentEntryError } from './errors.js';
import { ledgerAddressSources, ledgerAddressSchema } from './invoiceFacts.js';
import type { LedgerContext } from './ledgerContext.js';
import { placeInPeriod } from './ledgerContext.js';
import type { CreditNoteRef, LedgerAmounts, LedgerEntry } from './ledgerEntry.js';
import { certificateSnapshotSchema, entryFlagsSchema, treatments } from './ledgerEntry.js';
import { negationOf } from './voidNegations.js';
import { causeIdSchema, issuesOf } from './validation.js';

/** The invoice's new treatment in the jurisdiction: full invoice amounts, as an original would carry them. */
export const revisedTreatmentSchema = z.strictObject({
  treatment: z.enum(treatments),
  taxable: z.int(),
  exempt: z.int(),
  tax: z.int(),
  certificate: certificateSnapshotSchema.nullable(),
  flags: entryFlagsSchema,
  address: ledgerAddressSchema.nullable(),
  addressSource: z.enum(ledgerAddressSources).nullable(),
});

export type RevisedTreatment = z.infer<typeof revisedTreatmentSchema>;

export interface Revision {
  /** The invoice's entries in the jurisdiction (others are ignored). */
  readonly entries: readonly LedgerEntry[];
  readonly invoiceId: string;
  readonly jurisdiction: JurisdictionCode | null;
  readonly next: RevisedTreatment;
  /** The reprocess run id. */
  readonly runId: string;
}

/**
 * The ledger as it stood before a reprocess run wrote anything: its own
 * entries set aside. A run that selects what to revise must select on this
 * view too, or after a crash it would take a half-written invoice (negated,
 * revision missing) for a voided one and skip it.
 */
export function entriesBeforeRun(entries: readonly LedgerEntry[], runId: string): LedgerEntry[] {
  return entries.filter((entry) => !(entry.cause === 'reprocess' && entry.causeId === runId));
}

/**
 * Replaces the current entry of an invoice in a jurisdiction with a new
 * treatment, as one batch, all in the same period: the current entry's period
 * when it is open (the brief's "replacement in the same period"), else the
 * current open period (its "negation and new entry in the current open
 * period"). The batch is
 *
 *   1. a negation of what the current revision still stands for,
 *   2. the next revision (`…:s<r>`, superseding the current one),
 *   3. the credit notes in force on the current revision, re-applied to the
 *      new amounts in the order they were issued (`<revision id>:cn:<id>`).
 *
 * So the invoice's entries still sum to its current treatment less its
 * credits, and nothing is written into a filed period.
 *
 * Entries this run already wrote (same `runId`) are set aside first
 * (`entriesBeforeRun`), so a retried step recomputes the identical batch and
 * inserting it with unique ids completes whatever a crash cut short. Deciding whether the treatment
 * changes at all (so a second run changes nothing) is the caller's.
 */
export function revisionEntries(request: Revision, context: LedgerContext): LedgerEntry[] {
  const runId = causeIdSchema.safeParse(request.runId);
  if (!runId.success) throw new InvalidLedgerInputError('cause', issuesOf(runId.error));
  const next = revisedTreatmentSchema.safeParse(request.next);
  if (!next.success) throw new InvalidLedgerInputError('treatment', issuesOf(next.error));
  const line = entriesBeforeRun(request.entries, runId.data).filter(
    (entry) => entry.invoiceId === request.invoiceId && entry.jurisdiction === request.jurisdiction,
  );
  const current = currentRevision(line);
  if (current === null) throw new NoCurrentEntryError(request.invoiceId, request.jurisdiction);
  const family = familyOf(current, line);
  const negation = negationOf(current, family, 'reprocess', runId.data, context);
  const periodKey = placeInPeriod(context, current.jurisdiction, current.periodKey);
  const revisionNumber = current.revision + 1;
  const { treatment, certificate, flags, address, addressSource, taxable, exempt, tax } = next.data;
  const revision: LedgerEntry = {
    ...copiedFields(current),
    id: revisionEntryId(current.invoiceId, current.jurisdiction, revisionNumber),
    revision: revisionNumber,
    taxable,
    exempt,
    tax,
    treatment,
    certificate,
    flags,
    address,
    addressSource,
    transactionDate: current.transactionDate,
    periodKey,
    kind: 'revision',
    negates: null,
    supersedes: current.id,
    creditNote: null,
    cause: 'reprocess',
    causeId: runId.data,
  };
  const credits: LedgerEntry[] = [];
  const applied: CreditNoteRef[] = [];
  let adjusted: LedgerAmounts = zeroAmounts;
  for (const note of activeCreditNotes(current, family)) {
    applied.push(note);
    const share = creditShare(revision, adjusted, applied, revision.invoiceAmounts);
    adjusted = addAmounts(adjusted, share, revision.currency);
    const original = family.find((entry) => entry.kind === 'credit' && entry.creditNote?.id === note.id);
    credits.push({
      ...copiedFields(revision),
      id: creditEntryId(revision.id, note.id),
      ...share,
      transactionDate: original?.transactionDate ?? revision.transactionDate,
      periodKey,
      kind: 'credit',
      negates: revision.id,
      supersedes: null,
      creditNote: note,
      cause: 'reprocess',
      causeId: runId.data,
    });
  }
  return [negation, revision, ...credits];
}
