import { certificateStatuses, getJurisdiction, type CertificateStatus } from '@exemptions/shared';
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

/** "3 certificates: 2 active, 1 expired", listing only the statuses some certificate has. */
function statusBreakdown(byStatus: Readonly<Record<CertificateStatus, number>>, total: number): string {
  const parts = certificateStatuses.filter((status) => byStatus[status] > 0).map((status) => `${byStatus[status]} ${STATUS_LABELS[status].toLowerCase()}`);
  return parts.length === 0 ? plural(total, 'certificate') : `${plural(total, 'certificate')}: ${parts.join(', ')}`;
}

/** The compliance summary: a chart of certificates per status, per jurisdiction, what expires soon, the request queue, and flagged invoices. */
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
    {summary.byJurisdiction.length > 0 && (
      <Box css={{ stack: 'y', gap: 'small' }}>
        <Box css={{ font: 'subheading' }}>By jurisdiction</Box>
        <PropertyList>
          {summary.byJurisdiction.map((row) => (
            <PropertyListItem key={row.jurisdiction} label={`${getJurisdiction(row.jurisdiction).name} (${row.jurisdiction})`} value={statusBreakdown(row.byStatus, row.total)} />
          ))}
        </PropertyList>
      </Box>
    )}
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Expiring</Box>
      <PropertyList>
        {summary.expiring.map((row) => (
          <PropertyListItem key={row.withinDays} label={`Within ${row.withinDays} days`} value={plural(row.count, 'certificate')} />
        ))}
      </PropertyList>
    </Box>
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Requests</Box>
      <PropertyList>
        <PropertyListItem label="Submissions waiting for review" value={plural(summary.pendingSubmissions, 'submission')} />
        <PropertyListItem label="Requests waiting on the customer" value={plural(summary.outstandingRequests, 'request')} />
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
