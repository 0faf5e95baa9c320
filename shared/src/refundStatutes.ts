import { addDays, compareDates, type CalendarDate } from './dates.js';
import type { JurisdictionCode } from './jurisdictions.js';

/**
 * How long after a sale a refund of sales tax can still be claimed from the state: past it, a
 * refund the merchant gives its customer may not be recoverable. Sources for each figure are in
 * docs/refund-statutes.md. A state not listed is assumed to allow 3 years, and marked so.
 */
export interface RefundStatute {
  readonly years: number;
  /** `statute` when the figure comes from the state's law (see docs), `assumed` for the default. */
  readonly basis: 'statute' | 'assumed';
  readonly citation: string | null;
}

export const DEFAULT_REFUND_STATUTE_YEARS = 3;

const statutes: Partial<Record<JurisdictionCode, { years: number; citation: string }>> = {
  'US-CA': { years: 3, citation: 'Cal. Rev. & Tax. Code § 6902' },
  'US-NY': { years: 3, citation: 'N.Y. Tax Law § 1139(a)' },
  'US-TX': { years: 4, citation: 'Tex. Tax Code § 111.104(c)' },
  'US-WA': { years: 4, citation: 'RCW 82.32.060' },
  'US-FL': { years: 3, citation: 'Fla. Stat. § 215.26(2)' },
};

export function refundStatute(jurisdiction: JurisdictionCode | null): RefundStatute {
  const known = jurisdiction === null ? undefined : statutes[jurisdiction];
  return known === undefined
    ? { years: DEFAULT_REFUND_STATUTE_YEARS, basis: 'assumed', citation: null }
    : { years: known.years, basis: 'statute', citation: known.citation };
}

/** Whether a sale on `transactionDate` is older than the refund statute allows, as of `today`. */
export function isPastRefundStatute(jurisdiction: JurisdictionCode | null, transactionDate: CalendarDate, today: CalendarDate): boolean {
  const { years } = refundStatute(jurisdiction);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  // The same calendar day `years` earlier; 29 February falls back to the 28th.
  let cutoff = `${String(y - years).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (m === 2 && d === 29) cutoff = addDays(`${String(y - years).padStart(4, '0')}-03-01`, -1);
  return compareDates(transactionDate, cutoff) < 0;
}
