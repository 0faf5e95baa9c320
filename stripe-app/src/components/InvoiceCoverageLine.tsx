import { Badge, Banner, Box, Link } from '@stripe/ui-extension-sdk/ui';
import type { LedgerEntry } from '../api/types';
import { formatMoney } from '../domain/format';
import { jurisdictionLabel, reasonLabel } from '../domain/labels';

export type InvoiceCoverageLineProps = {
  entry: LedgerEntry;
  onOpenCertificate: (certificateId: string) => void;
};

const TREATMENT: Record<LedgerEntry['treatment'], string> = {
  exempt: 'Exempt',
  taxable: 'Taxable',
  reverse_charge: 'Reverse charge',
};

/** How the invoice stands in one jurisdiction: treatment, the certificate that applied, and any flag. */
export const InvoiceCoverageLine = ({ entry, onOpenCertificate }: InvoiceCoverageLineProps) => {
  const certificate = entry.certificate;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Box css={{ font: 'bodyEmphasized' }}>{jurisdictionLabel(entry.jurisdiction)}</Box>
        <Badge type={entry.treatment === 'exempt' ? 'positive' : 'neutral'}>{TREATMENT[entry.treatment]}</Badge>
      </Box>
      <Box css={{ font: 'caption', color: 'secondary' }}>
        {`Taxable ${formatMoney(entry.taxable, entry.currency)} · exempt ${formatMoney(entry.exempt, entry.currency)} · tax ${formatMoney(entry.tax, entry.currency)} · period ${entry.periodKey}`}
      </Box>
      {certificate === null ? (
        <Box css={{ color: 'secondary' }}>No certificate applied.</Box>
      ) : (
        <Box>
          {'Certificate applied: '}
          <Link onPress={() => onOpenCertificate(certificate.id)}>
            {`${reasonLabel(certificate.reason, certificate.reasonOther)}${certificate.number === null ? '' : ` ${certificate.number}`} (version ${certificate.version})`}
          </Link>
        </Box>
      )}
      {entry.flags.exposure ? (
        <Banner
          type="critical"
          title="Exposure"
          description={`This invoice went out tax-exempt in ${entry.jurisdiction ?? 'a place outside every known jurisdiction'} with no valid certificate covering it. Collect a certificate, or the tax may be owed by you.`}
        />
      ) : null}
      {entry.flags.overCollection ? (
        <Banner
          type="caution"
          title="Over-collection"
          description={`Tax of ${formatMoney(entry.tax, entry.currency)} was charged although a valid certificate covered this sale: the customer may be owed a refund. Reprocessing the certificate records the correction.`}
        />
      ) : null}
    </Box>
  );
};
