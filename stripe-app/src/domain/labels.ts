/**
 * The words the app shows for the domain's codes. Reason and form labels come from the domain
 * package, so the app, the portal and the emails name them alike.
 */
import { certificateFormLabels, exemptionReasonLabels, isKnownJurisdiction, getJurisdiction } from '@exemptions/shared';
import type { CertificateForm, ExemptionReason, Purchase, RequestStatus, ReprocessWarning, SkipReason } from '@exemptions/shared';

export function reasonLabel(reason: ExemptionReason, other: string | null): string {
  return reason === 'other' && other !== null ? `Other: ${other}` : exemptionReasonLabels[reason];
}

export function formLabel(form: CertificateForm): string {
  return certificateFormLabels[form];
}

/** `US-TX` → "Texas (US-TX)"; an unknown code is shown as it is. */
export function jurisdictionLabel(code: string | null): string {
  if (code === null) return 'No jurisdiction';
  return isKnownJurisdiction(code) ? `${getJurisdiction(code).name} (${code})` : code;
}

export function purchaseLabel(purchase: Purchase): string {
  if (purchase.type === 'blanket') return 'Blanket (every purchase)';
  const references = [purchase.invoiceNumber === null ? null : `invoice ${purchase.invoiceNumber}`, purchase.poNumber === null ? null : `PO ${purchase.poNumber}`].filter(
    (reference): reference is string => reference !== null,
  );
  return `Single purchase (${references.join(', ')})`;
}

export const requestStatusLabels: Readonly<Record<RequestStatus, string>> = {
  sent: 'Sent',
  opened: 'Opened',
  submitted: 'Submitted',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Link expired',
  cancelled: 'Cancelled',
};

export const skipReasonLabels: Readonly<Record<SkipReason, string>> = {
  jurisdiction_not_covered: 'jurisdiction not on the certificate',
  outside_validity: 'outside the certificate’s validity',
  other_purchase: 'a different purchase than the certificate’s',
  already_exempt: 'already exempt with a certificate',
};

/** What each preview warning asks the merchant to accept before a run starts. */
export const reprocessWarningText: Readonly<Record<ReprocessWarning, string>> = {
  changes_in_filed_periods:
    'Some transactions are in periods already filed. Those returns stay as filed; the corrections (a negation and a new entry) go into the current open period.',
  refunds_due: 'Tax was charged on transactions this certificate covers: you may owe the customer a refund.',
  past_refund_statute: 'Some transactions are past their state’s refund statute of limitations: a refund may no longer be claimable from the state.',
};
