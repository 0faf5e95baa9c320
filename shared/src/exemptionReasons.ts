import * as z from 'zod';

/**
 * Why a purchase is exempt, in the categories of the Streamlined Sales Tax
 * Certificate of Exemption (form F0003). Single-state forms use their own
 * wording, but each maps onto one of these, which keeps reports comparable
 * across states.
 */
export const exemptionReasons = [
  'federal_government',
  'state_local_government',
  'tribal_government',
  'foreign_diplomat',
  'charitable',
  'religious',
  'resale',
  'agricultural',
  'industrial_production',
  'direct_pay',
  'direct_mail',
  'other',
  'educational',
] as const;

export type ExemptionReason = (typeof exemptionReasons)[number];

export const exemptionReasonSchema = z.enum(exemptionReasons, {
  error: (issue) => `unknown exemption reason ${JSON.stringify(issue.input)}; expected one of ${exemptionReasons.join(', ')}`,
});

export type SstReasonLetter = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M';

/**
 * The letter each reason carries on the SST form, so an export or an audit
 * package can be checked against the signed paper. "Other" is L and
 * "Educational organization" M: M was added to the form after L.
 */
export const sstReasonLetters: Readonly<Record<ExemptionReason, SstReasonLetter>> = {
  federal_government: 'A',
  state_local_government: 'B',
  tribal_government: 'C',
  foreign_diplomat: 'D',
  charitable: 'E',
  religious: 'F',
  resale: 'G',
  agricultural: 'H',
  industrial_production: 'I',
  direct_pay: 'J',
  direct_mail: 'K',
  other: 'L',
  educational: 'M',
};

export const exemptionReasonLabels: Readonly<Record<ExemptionReason, string>> = {
  federal_government: 'Federal government',
  state_local_government: 'State or local government',
  tribal_government: 'Tribal government',
  foreign_diplomat: 'Foreign diplomat',
  charitable: 'Charitable organization',
  religious: 'Religious organization',
  resale: 'Resale',
  agricultural: 'Agricultural production',
  industrial_production: 'Industrial production / manufacturing',
  direct_pay: 'Direct pay permit',
  direct_mail: 'Direct mail',
  other: 'Other',
  educational: 'Educational organization',
};
