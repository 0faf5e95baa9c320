import type { CalendarDate } from '../dates.js';
import { compareDates } from '../dates.js';
import type { JurisdictionCode } from '../jurisdictions.js';
import { currentRevision, familyOf, groupByInvoiceJurisdiction, standingAmounts } from './currentEntries.js';
import type { LedgerEntry, Treatment } from './ledgerEntry.js';
import { ledgerTotals, type TotalsRow } from './ledgerTotals.js';
import type { PeriodKey } from './periods.js';

/*
 * The exposure and over-collection reports: one row per invoice × jurisdiction whose
 * *current* treatment carries the flag (a voided invoice, or one a reprocess run has since
 * covered, is not listed). Amounts are what the current revision still stands for — itself
 * plus its credits and their reversals (`standingAmounts`) — and the totals are
 * `ledgerTotals` over exactly those entries, so a report never sums the ledger in a way of
 * its own: its totals are the ledger's totals for the same invoices.
 */

export const flaggedReportKinds = ['exposure', 'over_collection'] as const;

export type FlaggedReportKind = (typeof flaggedReportKinds)[number];

const flagOf = { exposure: 'exposure', over_collection: 'overCollection' } as const satisfies Record<FlaggedReportKind, keyof LedgerEntry['flags']>;

/** Which rows to keep; every bound is optional and inclusive. */
export interface FlaggedReportFilter {
  /** First transaction date (the invoice's finalization day in the account's zone). */
  readonly from?: CalendarDate | undefined;
  /** Last transaction date. */
  readonly to?: CalendarDate | undefined;
  readonly jurisdiction?: JurisdictionCode | undefined;
}

export interface FlaggedReportRow {
  /** The current revision the row stands for (`in_…:US-TX`, `…:s2` after a reprocess run). */
  readonly entryId: string;
  readonly invoiceId: string;
  readonly invoiceNumber: string | null;
  readonly purchaseOrder: string | null;
  readonly customerId: string;
  readonly jurisdiction: JurisdictionCode | null;
  readonly transactionDate: CalendarDate;
  /** The filing period the current revision is reported in. */
  readonly periodKey: PeriodKey;
  readonly currency: string;
  readonly treatment: Treatment;
  /** Minor units, net of credit notes. */
  readonly taxable: number;
  readonly exempt: number;
  readonly tax: number;
  /** The exempt amount given without evidence (0 unless flagged exposure). */
  readonly exposedExempt: number;
  /** The tax charged although a certificate covered the sale: the refund candidate (0 unless flagged over-collection). */
  readonly overCollectedTax: number;
  /** The certificate that covered the sale when it was booked (over-collection), or null (exposure). */
  readonly certificate: { readonly id: string; readonly version: number; readonly number: string | null } | null;
  readonly taxabilityReasons: readonly string[];
}

export interface FlaggedReport {
  readonly kind: FlaggedReportKind;
  readonly rows: FlaggedReportRow[];
  /** `ledgerTotals` of the rows' entries, one per currency (amounts in two currencies are never added). */
  readonly totals: TotalsRow[];
}

function inFilter(entry: LedgerEntry, filter: FlaggedReportFilter): boolean {
  if (filter.jurisdiction !== undefined && entry.jurisdiction !== filter.jurisdiction) return false;
  if (filter.from !== undefined && compareDates(entry.transactionDate, filter.from) < 0) return false;
  if (filter.to !== undefined && compareDates(entry.transactionDate, filter.to) > 0) return false;
  return true;
}

function rowOf(current: LedgerEntry, line: readonly LedgerEntry[]): FlaggedReportRow {
  const standing = standingAmounts(current, line);
  return {
    entryId: current.id,
    invoiceId: current.invoiceId,
    invoiceNumber: current.invoiceNumber,
    purchaseOrder: current.purchaseOrder,
    customerId: current.customerId,
    jurisdiction: current.jurisdiction,
    transactionDate: current.transactionDate,
    periodKey: current.periodKey,
    currency: current.currency,
    treatment: current.treatment,
    taxable: standing.taxable,
    exempt: standing.exempt,
    tax: standing.tax,
    exposedExempt: current.flags.exposure ? standing.exempt : 0,
    overCollectedTax: current.flags.overCollection ? standing.tax : 0,
    certificate: current.certificate === null ? null : { id: current.certificate.id, version: current.certificate.version, number: current.certificate.number },
    taxabilityReasons: [...current.taxabilityReasons],
  };
}

function compareRows(a: FlaggedReportRow, b: FlaggedReportRow): number {
  const byDate = compareDates(a.transactionDate, b.transactionDate);
  if (byDate !== 0) return byDate;
  if (a.invoiceId !== b.invoiceId) return a.invoiceId < b.invoiceId ? -1 : 1;
  // No jurisdiction sorts last, as in ledgerTotals.
  if (a.jurisdiction === b.jurisdiction) return 0;
  if (a.jurisdiction === null) return 1;
  if (b.jurisdiction === null) return -1;
  return a.jurisdiction < b.jurisdiction ? -1 : 1;
}

/**
 * The report of one kind over `entries`, oldest transaction first. `entries` may be the whole
 * ledger or any superset of the flagged entries: adjusting entries copy their target's flags,
 * so the flagged entries alone tell which flagged revisions stand and what they stand for.
 */
export function flaggedReport(entries: readonly LedgerEntry[], kind: FlaggedReportKind, filter: FlaggedReportFilter = {}): FlaggedReport {
  const flag = flagOf[kind];
  const rows: FlaggedReportRow[] = [];
  const counted: LedgerEntry[] = [];
  for (const line of groupByInvoiceJurisdiction(entries)) {
    const current = currentRevision(line);
    if (current === null || !current.flags[flag] || !inFilter(current, filter)) continue;
    rows.push(rowOf(current, line));
    counted.push(...familyOf(current, line));
  }
  return { kind, rows: rows.sort(compareRows), totals: ledgerTotals(counted, []) };
}
