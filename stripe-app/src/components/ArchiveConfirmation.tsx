import { Box, TextArea } from '@stripe/ui-extension-sdk/ui';
import type { CertificateView } from '../api/types';
import { reasonLabel } from '../domain/labels';

export type ArchiveConfirmationProps = {
  certificate: CertificateView;
  reason: string;
  onReasonChange: (value: string) => void;
};

/** Asks before archiving: what archiving does, and why it is being done (kept in the history). */
export const ArchiveConfirmation = ({ certificate, reason, onReasonChange }: ArchiveConfirmationProps) => (
  <Box css={{ stack: 'y', gap: 'medium' }}>
    <Box css={{ font: 'heading' }}>{`Archive this ${reasonLabel(certificate.reason, certificate.reasonOther).toLowerCase()} certificate${certificate.number === null ? '' : ` (${certificate.number})`}?`}</Box>
    <Box>
      {`It will no longer be applied to ${certificate.customer.name ?? 'this customer'}'s new invoices, and their tax-exempt status in Stripe is updated to match. The certificate and its history stay on file for audits; archiving cannot be undone.`}
    </Box>
    <TextArea label="Reason (optional)" description="Kept in the certificate's history." value={reason} rows={3} onChange={(event) => onReasonChange(event.target.value)} />
  </Box>
);
