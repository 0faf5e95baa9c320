import fc from 'fast-check';
import {
  DEFAULT_REFUND_STATUTE_YEARS,
  isPastRefundStatute,
  jurisdictionCodes,
  refundStatute,
  type JurisdictionCode,
} from '../../shared/src/index.js';
import { calendarDate, dayNumber, jurisdictionCode } from './arbitraries.js';

describe('refund statutes', () => {
  it('gives Texas four years from its statute', () => {
    expect(refundStatute('US-TX')).toEqual({ years: 4, basis: 'statute', citation: expect.stringContaining('111.107') });
  });

  it('treats a Texas sale exactly on the four-year cutoff day as still claimable, and one day earlier as past', () => {
    expect(isPastRefundStatute('US-TX', '2022-06-15', '2026-06-15')).toBe(false);
    expect(isPastRefundStatute('US-TX', '2022-06-14', '2026-06-15')).toBe(true);
    expect(isPastRefundStatute('US-TX', '2022-06-16', '2026-06-15')).toBe(false);
  });

  it('assumes the default for a jurisdiction left out of the table, and for no jurisdiction at all', () => {
    // Montana has no sales tax and so no entry; Wisconsin could not be confirmed (see the doc).
    for (const code of ['US-MT', 'US-WI'] as const) {
      expect(refundStatute(code)).toEqual({ years: DEFAULT_REFUND_STATUTE_YEARS, basis: 'assumed', citation: null });
    }
    expect(refundStatute(null)).toEqual({ years: 3, basis: 'assumed', citation: null });
    expect(isPastRefundStatute('US-MT', '2023-03-10', '2026-03-10')).toBe(false);
    expect(isPastRefundStatute('US-MT', '2023-03-09', '2026-03-10')).toBe(true);
  });

  it('counts back from a leap day to 28 February of a common year', () => {
    // 2028-02-29 minus 3 years has no 29th, so the cutoff is 2025-02-28.
    expect(isPastRefundStatute('US-NY', '2025-02-28', '2028-02-29')).toBe(false);
    expect(isPastRefundStatute('US-NY', '2025-02-27', '2028-02-29')).toBe(true);
    // Four years back lands on another leap day, which exists.
    expect(isPastRefundStatute('US-TX', '2024-02-29', '2028-02-29')).toBe(false);
    expect(isPastRefundStatute('US-TX', '2024-02-28', '2028-02-29')).toBe(true);
  });

  it('records a whole, positive number of years and a citation for every listed jurisdiction', () => {
    for (const code of jurisdictionCodes) {
      const statute = refundStatute(code);
      expect(Number.isInteger(statute.years) && statute.years > 0).toBe(true);
      expect(statute.basis === 'statute').toBe(statute.citation !== null && statute.citation.length > 0);
    }
  });

  it('never makes a later sale "more past" than an earlier one', () => {
    fc.assert(
      fc.property(fc.option(jurisdictionCode, { nil: null }), calendarDate, calendarDate, calendarDate, (code: JurisdictionCode | null, a, b, today) => {
        const [earlier, later] = dayNumber(a) <= dayNumber(b) ? [a, b] : [b, a];
        if (isPastRefundStatute(code, later, today)) {
          expect(isPastRefundStatute(code, earlier, today)).toBe(true);
        }
      }),
    );
  });
});
