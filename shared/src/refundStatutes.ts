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

// Every figure below was read from a source listed in docs/refund-statutes.md, which also says
// when the clock starts (usually the return's due date or the payment date, both later than the
// sale, so counting from the sale as `isPastRefundStatute` does errs early, never late) and where
// a period is not a whole number of years. Jurisdictions that could not be confirmed are left out
// on purpose and fall back to DEFAULT_REFUND_STATUTE_YEARS, marked `assumed`.
const statutes: Partial<Record<JurisdictionCode, { years: number; citation: string }>> = {
  'US-AL': { years: 3, citation: 'Ala. Code § 40-2A-7(c)(2)' },
  'US-AZ': { years: 4, citation: 'Ariz. Rev. Stat. § 42-1106(A) (period of § 42-1104)' },
  'US-AR': { years: 3, citation: 'Ark. Code Ann. § 26-18-306' },
  'US-CA': { years: 3, citation: 'Cal. Rev. & Tax. Code § 6902(a)' },
  'US-CO': { years: 3, citation: 'Colo. Rev. Stat. § 39-26-703(2)(d)' },
  'US-CT': { years: 3, citation: 'Conn. Gen. Stat. § 12-425' },
  'US-DC': { years: 3, citation: 'D.C. Code § 47-2020(a)' },
  'US-FL': { years: 3, citation: 'Fla. Stat. § 215.26(2)' },
  'US-GA': { years: 3, citation: 'O.C.G.A. § 48-2-35(c)(1)(A)' },
  'US-IL': { years: 3, citation: '35 ILCS 120/6; 35 ILCS 105/21' },
  'US-IN': { years: 3, citation: 'Ind. Code § 6-8.1-9-1(a)' },
  'US-IA': { years: 3, citation: 'Iowa Code § 423.47' },
  'US-KS': { years: 3, citation: 'Kan. Stat. Ann. § 79-3609; Kan. Admin. Regs. § 92-19-49d(a)(1)' },
  'US-KY': { years: 4, citation: 'Ky. Rev. Stat. § 139.770(1); § 134.580(3)' },
  'US-LA': { years: 3, citation: 'La. Rev. Stat. § 47:1623(A)' },
  'US-ME': { years: 3, citation: '36 M.R.S. § 2011' },
  'US-MD': { years: 4, citation: 'Md. Code, Tax–Gen. § 13-1104 (sales and use tax)' },
  'US-MA': { years: 3, citation: 'Mass. Gen. Laws ch. 62C, § 37' },
  'US-MI': { years: 4, citation: 'Mich. Comp. Laws § 205.27a(2)' },
  // 3½ years from the return's due date; rounded down to whole years.
  'US-MN': { years: 3, citation: 'Minn. Stat. § 289A.40, subd. 1' },
  'US-NE': { years: 3, citation: 'Neb. Admin. Code tit. 316, ch. 1, § 110 (Reg-1-110); Form 7' },
  'US-NV': { years: 3, citation: 'Nev. Rev. Stat. § 372.635(1)' },
  'US-NJ': { years: 4, citation: 'N.J. Stat. Ann. § 54:32B-20(a)' },
  'US-NM': { years: 3, citation: 'N.M. Stat. Ann. § 7-1-26' },
  'US-NY': { years: 3, citation: 'N.Y. Tax Law § 1139(a)' },
  'US-NC': { years: 3, citation: 'N.C. Gen. Stat. § 105-241.6(a)' },
  'US-OH': { years: 4, citation: 'Ohio Rev. Code § 5739.07; Ohio Adm. Code 5703-9-07(A)(4)' },
  // Shorter than the 3-year default: sales and use tax claims have two years from payment.
  'US-OK': { years: 2, citation: 'Okla. Stat. tit. 68, § 227(b)(2)' },
  'US-PA': { years: 3, citation: '72 P.S. § 7253(a)' },
  'US-RI': { years: 3, citation: 'R.I. Gen. Laws § 44-19-26' },
  'US-SC': { years: 3, citation: 'S.C. Code Ann. § 12-54-85(F)(1)' },
  'US-TN': { years: 3, citation: 'Tenn. Code Ann. § 67-1-1802(a)(1)(A)' },
  'US-TX': { years: 4, citation: 'Tex. Tax Code § 111.107 (period of § 111.201)' },
  'US-UT': { years: 3, citation: 'Utah Code § 59-1-1410' },
  'US-VT': { years: 3, citation: '32 V.S.A. § 9781' },
  'US-VA': { years: 3, citation: 'Va. Code § 58.1-1823(A)' },
  // Counted back from 1 January of the year the claim is made, so in practice 4 to 5 years.
  'US-WA': { years: 4, citation: 'Rev. Code Wash. § 82.32.060(1)' },
  'US-WY': { years: 3, citation: 'Wyo. Stat. § 39-15-110(a)' },
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
