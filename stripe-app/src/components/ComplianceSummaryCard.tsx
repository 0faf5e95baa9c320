import { certificateStatuses } from '@exemptions/shared';
import { BarChart, Box, PropertyList, PropertyListItem } from '@stripe/ui-extension-sdk/ui';
import type { ComplianceSummary } from '../api/types';
import { formatDate, plural } from '../domain/format';

const STATUS_LABELS: Record<(typeof certificateStatuses)[number], string> = {
  active: 'Active',
  expiring_soon: 'Expiring soon',
  not_yet_effective: 'Not yet effective',
  expired: 'Expired',
  archived: 'Archived',
};

/** The compliance summary: a chart of certificates per status, what expires soon, and flagged invoices. */
export const ComplianceSummaryCard = ({ summary }: { summary: ComplianceSummary }) => (
  <Box css={{ stack: 'y', gap: 'large' }}>
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>{`${plural(summary.total, 'certificate')} on ${formatDate(summary.today)}`}</Box>
      <BarChart data={certificateStatuses.map((status) => ({ status: STATUS_LABELS[status], certificates: summary.byStatus[status] }))} x="status" y="certificates" axis="x" legend={false} />
      <PropertyList>
        {certificateStatuses.map((status) => (
          <PropertyListItem key={status} label={STATUS_LABELS[status]} value={String(summary.byStatus[status])} />
        ))}
      </PropertyList>
    </Box>
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Expiring</Box>
      <PropertyList>
        {summary.expiring.map((row) => (
          <PropertyListItem key={row.withinDays} label={`Within ${row.withinDays} days`} value={plural(row.count, 'certificate')} />
        ))}
      </PropertyList>
    </Box>
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Invoices to look at</Box>
      <PropertyList>
        <PropertyListItem label="Exposure (exempted with no valid certificate)" value={plural(summary.exposedInvoices, 'invoice')} />
        <PropertyListItem label="Over-collection (taxed despite a certificate)" value={plural(summary.overCollectedInvoices, 'invoice')} />
      </PropertyList>
    </Box>
  </Box>
);
