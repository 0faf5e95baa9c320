import { MoneyOverflowError } from '../money.js';
import type { LedgerAmounts } from './ledgerEntry.js';

export const zeroAmounts: LedgerAmounts = { taxable: 0, exempt: 0, tax: 0 };

/** Exact integer addition that refuses to leave the safe-integer range, and never yields -0. */
export function addMinor(a: number, b: number, currency: string): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new MoneyOverflowError(currency);
  return sum === 0 ? 0 : sum;
}

export function negateMinor(value: number): number {
  return value === 0 ? 0 : -value;
}

export function addAmounts(a: LedgerAmounts, b: LedgerAmounts, currency: string): LedgerAmounts {
  return {
    taxable: addMinor(a.taxable, b.taxable, currency),
    exempt: addMinor(a.exempt, b.exempt, currency),
    tax: addMinor(a.tax, b.tax, currency),
  };
}

export function negateAmounts(a: LedgerAmounts): LedgerAmounts {
  return { taxable: negateMinor(a.taxable), exempt: negateMinor(a.exempt), tax: negateMinor(a.tax) };
}

export function sumAmounts(entries: Iterable<LedgerAmounts & { readonly currency: string }>): LedgerAmounts {
  let total = zeroAmounts;
  for (const entry of entries) total = addAmounts(total, entry, entry.currency);
  return total;
}

export function amountsOf(entry: LedgerAmounts): LedgerAmounts {
  return { taxable: entry.taxable, exempt: entry.exempt, tax: entry.tax };
}
