/*
 * The tax ledger: pure rules, no I/O, no clock, no database.
 *
 * WHAT AN ENTRY IS
 * Every finalized invoice becomes one entry per jurisdiction (state-level
 * ISO code, or null for a sale outside every known jurisdiction): taxable
 * amount, exempt amount and tax charged, in integer minor units of the
 * invoice's currency, with the certificate that covered it (a snapshot), the
 * address taxed and where it came from, and two flags. Entries are only ever
 * added, never edited or deleted.
 *
 * AMOUNTS PER JURISDICTION (jurisdictionAmounts, entriesForInvoice)
 * - Tax rows are grouped by jurisdiction. The base is the largest
 *   `taxableAmount` among a jurisdiction's rows, because state and local rows
 *   tax the same sale; the tax is the sum of the rows' amounts.
 * - Exempt (customerTaxExempt 'exempt', or a row with taxability reason
 *   `customer_exempt`): the base is booked as exempt and taxable is 0. The
 *   tax is what was actually charged (normally 0). When the rows give no base
 *   the invoice's totalExcludingTax is used.
 * - Reverse charge (customerTaxExempt 'reverse'): booked as taxable, never
 *   flagged.
 * - No tax rows at all: one entry for addressJurisdiction with base
 *   totalExcludingTax and tax 0; if that is null too, one entry with
 *   jurisdiction null (id `<invoice>:none`), so every finalized invoice
 *   appears in the ledger.
 *
 * FLAGS (treatSale, entryFlags) — coverage by findCoveringCertificate on the
 * transaction date, with the invoice and PO numbers for single-purchase
 * certificates:
 * - exposure: treated as exempt and no valid certificate covers it (a sale
 *   with no jurisdiction can never be covered, so an exempt one is exposure);
 * - overCollection: tax > 0 although a valid certificate covers it.
 * The covering certificate, if any, is snapshotted on the entry either way.
 * Adjusting entries copy their target's flags, so flagged sums net out.
 *
 * DATES AND PERIODS (periods, ledgerContext)
 * - transactionDate: the calendar day, in the account's time zone, of the
 *   invoice's finalization (of the credit note's issue for a credit).
 * - periodKey: `2026-05` | `2026-Q2` | `2026` per the jurisdiction's
 *   frequency (monthly by default).
 * - An entry goes in its natural period if that period is open, otherwise in
 *   the current open period: the period containing today or, if filed, the
 *   next one not filed. No entry is ever placed in a filed period, and
 *   totals are plain sums, so a filed period's entries and totals never
 *   change. Natural period: the transaction's own for originals and credits;
 *   the adjusted entry's period for negations and reversals.
 *
 * REVISIONS, NEGATIONS, CREDITS (currentEntries, negationsForVoid,
 * entriesForCreditNote, reversalsForCreditNoteVoid, revisionEntries)
 * - Per invoice × jurisdiction there is a chain of revisions (1 = the
 *   original). Every other entry adjusts one revision and carries its number.
 *   The current entry is the highest revision unless that one is negated
 *   (then the invoice was voided and has none).
 * - A negation cancels everything its revision still stands for (the revision
 *   plus its credits and reversals): a void negates every current entry.
 * - A credit note takes a proportional share of each current entry: its
 *   totalExcludingTax over the invoice's for taxable and exempt, its tax over
 *   the invoice's tax for tax. The credited total of each amount is
 *   trunc(amount × cumulative fraction), so shares never exceed the entry and
 *   credit notes totalling the invoice negate it exactly. A voided credit note
 *   is reversed exactly.
 * - A revision (for reprocess) is one batch: negation of the current entry,
 *   the next revision, and the active credit notes re-applied to it, all in
 *   the current entry's period if open, else the current open period. Hence,
 *   per invoice × jurisdiction, the sum of all entries equals the current
 *   treatment less its credits.
 *
 * IDEMPOTENCY
 * Ids are derived from what an entry is about (see entryIds): the same input
 * yields the same ids, and each operation skips what is already recorded, so
 * re-processing an event, or retrying after a partial write, inserts only
 * what is missing under a unique index. Operations on one invoice must be
 * applied one at a time (each reads the invoice's entries as left by the
 * previous one); invoices are independent of each other.
 */
export * from './errors.js';
export * from './periods.js';
export * from './ledgerContext.js';
export * from './invoiceFacts.js';
export * from './ledgerEntry.js';
export * from './entryIds.js';
export * from './jurisdictionAmounts.js';
export * from './treatSale.js';
export * from './invoiceEntries.js';
export * from './currentEntries.js';
export * from './voidNegations.js';
export * from './creditShare.js';
export * from './creditNotes.js';
export * from './revisions.js';
export * from './ledgerTotals.js';
export * from './flaggedReports.js';
export * from './flaggedReportCsv.js';
export { addAmounts, negateAmounts, sumAmounts, zeroAmounts } from './amounts.js';
