import * as z from 'zod';

/**
 * Which paper the customer signed. The SST form and the MTC Uniform Sales &
 * Use Tax Certificate cover several states at once; a single-state form
 * covers one.
 */
export const certificateForms = ['single_state', 'sst_multistate', 'mtc_uniform', 'other'] as const;

export type CertificateForm = (typeof certificateForms)[number];

export const certificateFormSchema = z.enum(certificateForms, {
  error: (issue) => `unknown certificate form ${JSON.stringify(issue.input)}; expected one of ${certificateForms.join(', ')}`,
});

export const certificateFormLabels: Readonly<Record<CertificateForm, string>> = {
  single_state: 'Single-state form',
  sst_multistate: 'Streamlined Sales Tax multistate form',
  mtc_uniform: 'MTC Uniform Sales & Use Tax Certificate',
  other: 'Other',
};
