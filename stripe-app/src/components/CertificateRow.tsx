import { Box, ListItem } from '@stripe/ui-extension-sdk/ui';
import type { CertificateView } from '../api/types';
import { formatDate } from '../domain/format';
import { reasonLabel } from '../domain/labels';
import { CertificateStatusBadge } from './CertificateStatusBadge';

/** One line per jurisdiction: code and when it ends. */
function coverageLine(certificate: CertificateView): string {
  return certificate.jurisdictions
    .map((j) => `${j.code} ${j.expirationDate === null ? '(no expiration)' : `until ${formatDate(j.expirationDate)}`}`)
    .join(', ');
}

export type CertificateRowProps = {
  certificate: CertificateView;
  /** Show whose certificate it is (lists across customers). */
  showCustomer?: boolean;
};

/** A certificate in a list: its status, what it is, where it applies and until when. Its `id` opens it. */
export const CertificateRow = ({ certificate, showCustomer = false }: CertificateRowProps) => (
  <ListItem
    id={certificate.id}
    title={
      <Box>
        {showCustomer ? `${certificate.customer.name ?? certificate.customer.email ?? certificate.customerId} · ` : ''}
        {reasonLabel(certificate.reason, certificate.reasonOther)}
        {certificate.number === null ? '' : ` · ${certificate.number}`}
      </Box>
    }
    secondaryTitle={<Box>{coverageLine(certificate)}</Box>}
    value={<CertificateStatusBadge status={certificate.status} />}
  />
);
