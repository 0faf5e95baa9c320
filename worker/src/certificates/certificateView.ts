import {
  certificateStatus,
  nextExpirationDate,
  statusByJurisdiction,
  type CalendarDate,
  type Certificate,
  type CertificateStatus,
  type JurisdictionStatusEntry,
} from '@exemptions/shared';
import type { CustomerSummary, StatusBasis, StoredCertificate } from './certificateRepository.js';

/** A certificate as the API returns it: the record plus what today makes of it. */
export interface CertificateView extends Certificate {
  readonly customer: CustomerSummary & { readonly id: string };
  readonly status: CertificateStatus;
  readonly jurisdictionStatuses: readonly JurisdictionStatusEntry[];
  readonly nextExpirationDate: CalendarDate | null;
}

export function certificateView({ certificate, customer }: StoredCertificate, { today, windowDays }: StatusBasis): CertificateView {
  return {
    ...certificate,
    customer: { id: certificate.customerId, ...customer },
    status: certificateStatus(certificate, today, windowDays),
    jurisdictionStatuses: statusByJurisdiction(certificate, today, windowDays),
    nextExpirationDate: nextExpirationDate(certificate, today),
  };
}
