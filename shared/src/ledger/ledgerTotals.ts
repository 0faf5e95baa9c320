import type { JurisdictionCode } from '../jurisdictions.js';
import { addMinor } from './amounts.js';
import type { LedgerEntry } from './ledgerEntry.js';
import type { PeriodKey } from './periods.js';

export const totalsDimensions = ['periodKey', 'jurisdiction', 'customerId', 'invoiceId'] as const;

export type TotalsDimension = (typeof totalsDimensions)[number];

/**
 * One line of a report: the sums of the entries sharing the chosen
 * dimensions, always per currency (amounts in two currencies are never
 * added). Only the chosen dimensions are present on the row.
 */
export interface TotalsRow {
  readonly periodKey?: PeriodKey;
  readonly jurisdiction?: JurisdictionCode | null;
  readonly customerId?: string;
  readonly invoiceId?: string;
  readonly currency: string;
  readonly taxable: number;
  readonly exempt: number;
  readonly tax: number;
  /** Exempt amounts on entries flagged as exposure: sales exempted without evidence. */
  readonly exposedExempt: number;
  /** Tax on entries flagged as over-collection: what may be owed back. */
  readonly overCollectedTax: number;
  readonly entries: number;
}

type MutableRow = { -readonly [K in keyof TotalsRow]: TotalsRow[K] };

function compareValues(a: string | null | undefined, b: string | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return a < b ? -1 : 1;
}

/**
 * Plain sums of the entries: every entry counts, negations and credits
 * included, so a period's totals change only when an entry is added to that
 * period, which never happens to a filed one. Exact integers; a total past
 * 2^53 throws `MoneyOverflowError` rather than drift. Rows are sorted by the
 * dimensions in the order given (no jurisdiction last), then currency.
 */
export function ledgerTotals(
  entries: readonly LedgerEntry[],
  by: readonly TotalsDimension[] = ['periodKey', 'jurisdiction'],
): TotalsRow[] {
  const rows = new Map<string, MutableRow>();
  for (const entry of entries) {
    const key = JSON.stringify([...by.map((dimension) => entry[dimension]), entry.currency]);
    let row = rows.get(key);
    if (row === undefined) {
      row = { currency: entry.currency, taxable: 0, exempt: 0, tax: 0, exposedExempt: 0, overCollectedTax: 0, entries: 0 };
      for (const dimension of by) Object.assign(row, { [dimension]: entry[dimension] });
      rows.set(key, row);
    }
    const c = entry.currency;
    row.taxable = addMinor(row.taxable, entry.taxable, c);
    row.exempt = addMinor(row.exempt, entry.exempt, c);
    row.tax = addMinor(row.tax, entry.tax, c);
    if (entry.flags.exposure) row.exposedExempt = addMinor(row.exposedExempt, entry.exempt, c);
    if (entry.flags.overCollection) row.overCollectedTax = addMinor(row.overCollectedTax, entry.tax, c);
    row.entries += 1;
  }
  return [...rows.values()].sort((a, b) => {
    for (const dimension of by) {
      const order = compareValues(a[dimension], b[dimension]);
      if (order !== 0) return order;
    }
    return compareValues(a.currency, b.currency);
  });
}
