import { calendarDateIn } from '../dates.js';
import { CurrencyMismatchError } from '../money.js';
import { negateAmounts, sumAmounts } from './amounts.js';
import { copiedFields, sortById } from './adjustment.js';
import { creditShare } from './creditShare.js';
import { activeCreditNotes, currentRevision, familyOf, groupByInvoiceJurisdiction } from './currentEntries.js';
import { creditEntryId, reversalEntryId } from './entryIds.js';
import { InvalidLedgerInputError } from './errors.js';
import type { CreditNoteFacts } from './invoiceFacts.js';
import { creditNoteFactsSchema, creditNoteIdSchema } from './invoiceFacts.js';
import type { LedgerContext } from './ledgerContext.js';
import { placeInPeriod, placeTransaction } from './ledgerContext.js';
import type { CreditNoteRef, LedgerEntry } from './ledgerEntry.js';
import { issuesOf } from './validation.js';

export interface CreditNoteCreated {
  /** The invoice's entries (others are ignored). */
  readonly entries: readonly LedgerEntry[];
  readonly creditNote: CreditNoteFacts;
}

function parseCreditNote(input: CreditNoteFacts): CreditNoteFacts {
  const parsed = creditNoteFactsSchema.safeParse(input);
  if (!parsed.success) throw new InvalidLedgerInputError('credit_note', issuesOf(parsed.error));
  return parsed.data;
}

function isCreditFor(entry: LedgerEntry, creditNoteId: string): boolean {
  return entry.kind === 'credit' && entry.creditNote?.id === creditNoteId;
}

/**
 * A credit note's proportional share of each current entry of its invoice
 * (see `creditShare` for the rounding), as `credit` entries reported in the
 * period of the credit note's own date, or the current open period if that
 * one is filed. A jurisdiction whose current entry already carries this
 * credit note is skipped, so a repeat, or a retry after a partial write,
 * adds exactly what is missing. A voided invoice gets nothing.
 */
export function entriesForCreditNote(request: CreditNoteCreated, context: LedgerContext): LedgerEntry[] {
  const note = parseCreditNote(request.creditNote);
  const ref: CreditNoteRef = {
    id: note.creditNoteId,
    issuedAt: note.issuedAt,
    totalExcludingTax: note.totalExcludingTax,
    tax: note.tax,
  };
  const transactionDate = calendarDateIn(new Date(note.issuedAt), context.timeZone);
  const invoiceEntries = request.entries.filter((entry) => entry.invoiceId === note.invoiceId);
  return sortById(
    groupByInvoiceJurisdiction(invoiceEntries).flatMap((line) => {
      const current = currentRevision(line);
      if (current === null) return [];
      if (current.currency !== note.currency) throw new CurrencyMismatchError(current.currency, note.currency);
      const family = familyOf(current, line);
      if (family.some((entry) => isCreditFor(entry, note.creditNoteId))) return [];
      const adjusted = sumAmounts(family.filter((e) => e.kind === 'credit' || e.kind === 'credit_reversal'));
      const share = creditShare(current, adjusted, [...activeCreditNotes(current, family), ref], current.invoiceAmounts);
      return [
        {
          ...copiedFields(current),
          id: creditEntryId(current.id, note.creditNoteId),
          ...share,
          transactionDate,
          periodKey: placeTransaction(context, current.jurisdiction, transactionDate),
          kind: 'credit' as const,
          negates: current.id,
          supersedes: null,
          creditNote: ref,
          cause: 'credit_note.created' as const,
          causeId: note.creditNoteId,
        },
      ];
    }),
  );
}

export interface CreditNoteVoided {
  /** The invoice's entries (others are ignored). */
  readonly entries: readonly LedgerEntry[];
  readonly invoiceId: string;
  readonly creditNoteId: string;
}

/**
 * Reverses, exactly, the voided credit note's share of each current entry,
 * in the period of the share if still open, else the current open period.
 * A share already reversed, or on an invoice since voided, is left alone.
 * Should the void be processed before the credit note itself was recorded,
 * record the credit note first: both steps are idempotent.
 */
export function reversalsForCreditNoteVoid(request: CreditNoteVoided, context: LedgerContext): LedgerEntry[] {
  const creditNoteId = creditNoteIdSchema.safeParse(request.creditNoteId);
  if (!creditNoteId.success) throw new InvalidLedgerInputError('cause', issuesOf(creditNoteId.error));
  const invoiceEntries = request.entries.filter((entry) => entry.invoiceId === request.invoiceId);
  return sortById(
    groupByInvoiceJurisdiction(invoiceEntries).flatMap((line) => {
      const current = currentRevision(line);
      if (current === null) return [];
      const family = familyOf(current, line);
      const credit = family.find((entry) => isCreditFor(entry, creditNoteId.data));
      if (credit === undefined) return [];
      if (family.some((entry) => entry.kind === 'credit_reversal' && entry.negates === credit.id)) return [];
      return [
        {
          ...copiedFields(credit),
          id: reversalEntryId(credit.id),
          ...negateAmounts(credit),
          transactionDate: credit.transactionDate,
          periodKey: placeInPeriod(context, credit.jurisdiction, credit.periodKey),
          kind: 'credit_reversal' as const,
          negates: credit.id,
          supersedes: null,
          creditNote: credit.creditNote,
          cause: 'credit_note.voided' as const,
          causeId: creditNoteId.data,
        },
      ];
    }),
  );
}
