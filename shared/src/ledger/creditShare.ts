import { negateMinor } from './amounts.js';
import type { CreditNoteRef, InvoiceAmounts, LedgerAmounts } from './ledgerEntry.js';

/*
 * How much of a revision a credit note takes back.
 *
 * The credit notes in force on a revision (not voided) together credit a
 * fraction F of the invoice: for the bases, the sum of their
 * `totalExcludingTax` over the invoice's; for the tax, each note's tax over
 * the invoice's tax (or its base share when its tax is unknown), summed. F is
 * capped at 1. The credited total of an amount A is then trunc(A × F), toward
 * zero, computed exactly in BigInt; a new credit note's entry is the
 * difference between that target and what is already credited.
 *
 * Because the target depends only on the credit notes in force, never on how
 * earlier shares were rounded, there is no drift: three notes of a third each
 * bring F to exactly 1 and take back exactly A. Each share is clamped between
 * nothing and what is left, so the credited total never exceeds A and never
 * changes sign, even after a voided credit note leaves the earlier shares
 * rounded differently from the target.
 *
 * Stripe never lets the credit notes in force exceed the invoice. Were they
 * to, the fraction is capped at 1, and voiding one of them could leave the
 * rest short of the whole: each share is fixed when recorded, and a void
 * reverses exactly that share.
 */

interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

const none: Fraction = { num: 0n, den: 1n };

function add(a: Fraction, b: Fraction): Fraction {
  return { num: a.num * b.den + b.num * a.den, den: a.den * b.den };
}

function baseFraction(notes: readonly CreditNoteRef[], invoice: InvoiceAmounts): Fraction {
  if (invoice.totalExcludingTax <= 0) return none;
  const credited = notes.reduce((sum, note) => sum + BigInt(note.totalExcludingTax), 0n);
  return { num: credited, den: BigInt(invoice.totalExcludingTax) };
}

function taxFraction(notes: readonly CreditNoteRef[], invoice: InvoiceAmounts): Fraction {
  let byTax = 0n;
  let byBase = 0n;
  for (const note of notes) {
    if (note.tax !== null && invoice.tax > 0) byTax += BigInt(note.tax);
    else byBase += BigInt(note.totalExcludingTax);
  }
  const taxPart = invoice.tax > 0 ? { num: byTax, den: BigInt(invoice.tax) } : none;
  const basePart = invoice.totalExcludingTax > 0 ? { num: byBase, den: BigInt(invoice.totalExcludingTax) } : none;
  return add(taxPart, basePart);
}

/** trunc(amount × min(1, fraction)), exactly. */
function target(amount: number, fraction: Fraction): number {
  if (fraction.num >= fraction.den) return amount;
  return Number((BigInt(amount) * fraction.num) / fraction.den);
}

/** The share to credit now, as a non-negative step toward the target (for a positive amount). */
function step(amount: number, credited: number, goal: number): number {
  const remaining = amount - credited;
  const wanted = goal - credited;
  const [low, high] = remaining >= 0 ? [0, remaining] : [remaining, 0];
  return Math.min(high, Math.max(low, wanted));
}

/**
 * The amounts of a new credit entry (negative for a positive revision).
 *
 * @param revision   the revision's own amounts
 * @param adjusted   the sum of its existing credits and reversals (zero or negative)
 * @param notes      the credit notes in force on it, the new one included
 */
export function creditShare(
  revision: LedgerAmounts,
  adjusted: LedgerAmounts,
  notes: readonly CreditNoteRef[],
  invoice: InvoiceAmounts,
): LedgerAmounts {
  const base = baseFraction(notes, invoice);
  const tax = taxFraction(notes, invoice);
  const share = (amount: number, adjustment: number, fraction: Fraction) => {
    const credited = negateMinor(adjustment);
    return negateMinor(step(amount, credited, target(amount, fraction)));
  };
  return {
    taxable: share(revision.taxable, adjusted.taxable, base),
    exempt: share(revision.exempt, adjusted.exempt, base),
    tax: share(revision.tax, adjusted.tax, tax),
  };
}
