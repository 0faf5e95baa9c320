/**
 * Where a customer's exemption certificate stands on a given day.
 *
 * Defined here for now so the UI can be built before the domain package is wired in;
 * it must stay in step with the status rules in `shared/` and move there once the UI
 * imports `@exemptions/shared`.
 *
 * - `active`: in force today.
 * - `expiring_soon`: in force today, but ends within the reminder window.
 * - `expired`: its end date has passed; it no longer exempts new invoices.
 * - `archived`: withdrawn by the merchant; kept for the audit trail only.
 * - `not_yet_effective`: on file, but its start date is still ahead.
 * - `none`: the customer has no certificate at all.
 */
export type CertificateStatus =
  | 'active'
  | 'expiring_soon'
  | 'expired'
  | 'archived'
  | 'not_yet_effective'
  | 'none';

/** Every status, in the order a merchant would triage them. */
export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = [
  'active',
  'expiring_soon',
  'not_yet_effective',
  'expired',
  'archived',
  'none',
];
