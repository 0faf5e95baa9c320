/**
 * When the app offers "Request certificate". The service has the final word (it answers 409
 * when a customer's certificates are still good, or a request is already open); these keep
 * the button away from where it can only fail.
 */
import type { CertificateStatus, CustomerStatus } from '@exemptions/shared';

/** For the customer: when they have no certificate, or their best one is expiring soon or expired. */
export function offersRequestForCustomer(status: CustomerStatus): boolean {
  return status === 'none' || status === 'expiring_soon' || status === 'expired';
}

/** For one certificate: a renewal, when it is expiring soon or has expired. */
export function offersRenewal(status: CertificateStatus): boolean {
  return status === 'expiring_soon' || status === 'expired';
}
