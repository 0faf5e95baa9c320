import { negateAmounts } from './amounts.js';
import { copiedFields, sortById } from './adjustment.js';
import { currentRevision, groupByInvoiceJurisdiction, standingAmounts } from './currentEntries.js';
import { negationEntryId } from './entryIds.js';
import { InvalidLedgerInputError } from './errors.js';
import type { LedgerContext } from './ledgerContext.js';
import { placeInPeriod } from './ledgerContext.js';
import type { LedgerCause, LedgerEntry } from './ledgerEntry.js';
import { causeIdSchema, issuesOf } from './validation.js';

/**
 * The entry that cancels what a revision still stands for (itself, less its
 * credits, plus their reversals), so the revision's family sums to zero.
 * Reported in the revision's own period if that is still open, else in the
 * current open period.
 */
export function negationOf(
  revision: LedgerEntry,
  family: readonly LedgerEntry[],
  cause: LedgerCause,
  causeId: string,
  context: LedgerContext,
): LedgerEntry {
  return {
    ...copiedFields(revision),
    id: negationEntryId(revision.id),
    ...negateAmounts(standingAmounts(revision, family)),
    transactionDate: revision.transactionDate,
    periodKey: placeInPeriod(context, revision.jurisdiction, revision.periodKey),
    kind: 'negation',
    negates: revision.id,
    supersedes: null,
    creditNote: null,
    cause,
    causeId,
  };
}

export interface InvoiceVoided {
  /** The invoice's entries (others are ignored). */
  readonly entries: readonly LedgerEntry[];
  readonly invoiceId: string;
  /** The `invoice.voided` event id. */
  readonly eventId: string;
}

/**
 * One negation per current entry of the invoice; afterwards the invoice sums
 * to zero in every jurisdiction and has no current entry. A repeat finds
 * nothing current and returns nothing new; an invoice never recorded returns
 * nothing (record it first if it was finalized).
 */
export function negationsForVoid(request: InvoiceVoided, context: LedgerContext): LedgerEntry[] {
  const eventId = causeIdSchema.safeParse(request.eventId);
  if (!eventId.success) throw new InvalidLedgerInputError('cause', issuesOf(eventId.error));
  const invoiceEntries = request.entries.filter((entry) => entry.invoiceId === request.invoiceId);
  return sortById(
    groupByInvoiceJurisdiction(invoiceEntries).flatMap((line) => {
      const current = currentRevision(line);
      return current === null ? [] : [negationOf(current, line, 'invoice.voided', eventId.data, context)];
    }),
  );
}
