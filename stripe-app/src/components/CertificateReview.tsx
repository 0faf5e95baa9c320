import { Box, Divider, PropertyList, PropertyListItem } from '@stripe/ui-extension-sdk/ui';
import type { ReactNode } from 'react';
import type { CertificateDetail, HistoryEntry } from '../api/types';
import { formatDate, formatInstant } from '../domain/format';
import { formLabel, jurisdictionLabel, purchaseLabel, reasonLabel } from '../domain/labels';
import type { FileLinks } from '../hooks/useFileLinks';
import { CertificateFileRow } from './CertificateFileRow';
import { CertificateStatusBadge } from './CertificateStatusBadge';

const SOURCE: Record<CertificateDetail['source'], string> = {
  merchant: 'Entered by your team',
  customer_submission: 'Submitted by the customer',
  import: 'Imported',
};

const ACTION: Record<HistoryEntry['action'], string> = {
  created: 'Created',
  edited: 'Edited',
  archived: 'Archived',
  file_attached: 'File attached',
  imported: 'Imported',
};

const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <Box css={{ stack: 'y', gap: 'small' }}>
    <Box css={{ font: 'subheading' }}>{title}</Box>
    {children}
  </Box>
);

/** Everything on file for one certificate: details, jurisdictions, files (each can be opened), notes and history. */
export const CertificateReview = ({ certificate, fileLinks }: { certificate: CertificateDetail; fileLinks: FileLinks }) => (
  <Box css={{ stack: 'y', gap: 'large' }}>
    <Section title="Certificate details">
      <PropertyList>
        <PropertyListItem label="Status" value={<CertificateStatusBadge status={certificate.status} />} />
        <PropertyListItem label="Customer" value={certificate.customer.name ?? certificate.customer.email ?? certificate.customerId} />
        <PropertyListItem label="Exemption reason" value={reasonLabel(certificate.reason, certificate.reasonOther)} />
        <PropertyListItem label="Form" value={formLabel(certificate.form)} />
        <PropertyListItem label="Certificate number" value={certificate.number ?? 'None'} />
        <PropertyListItem label="Applies to" value={purchaseLabel(certificate.purchase)} />
        <PropertyListItem label="Source" value={SOURCE[certificate.source]} />
        {certificate.archivedAt === null ? null : (
          <PropertyListItem label="Archived" value={`${formatInstant(certificate.archivedAt)}${certificate.archivedReason === null ? '' : ` — ${certificate.archivedReason}`}`} />
        )}
      </PropertyList>
    </Section>
    <Divider />
    <Section title="Jurisdictions">
      {certificate.jurisdictions.map((j) => {
        const status = certificate.jurisdictionStatuses.find((entry) => entry.code === j.code)?.status ?? certificate.status;
        return (
          <Box key={j.code} css={{ stack: 'y', gap: 'xsmall' }}>
            <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
              <Box css={{ font: 'bodyEmphasized' }}>{jurisdictionLabel(j.code)}</Box>
              <CertificateStatusBadge status={status} />
            </Box>
            <Box css={{ font: 'caption', color: 'secondary' }}>
              {`Registration ${j.registrationId ?? 'not given'} · effective ${formatDate(j.effectiveDate)} · ${j.expirationDate === null ? 'no expiration date' : `expires ${formatDate(j.expirationDate)}`}`}
            </Box>
          </Box>
        );
      })}
    </Section>
    <Divider />
    <Section title="Files">
      {certificate.files.length === 0 ? (
        <Box css={{ color: 'secondary' }}>No signed certificate on file yet. Upload one from the options menu.</Box>
      ) : (
        certificate.files.map((file) => (
          <CertificateFileRow
            key={file.id}
            file={file}
            link={fileLinks.stateOf(certificate.id, file.id)}
            onRequestLink={() => fileLinks.request(certificate.id, file.id)}
          />
        ))
      )}
    </Section>
    <Divider />
    <Section title="Notes">
      <Box css={{ color: certificate.notes === '' ? 'secondary' : 'primary', whiteSpace: 'pre-wrap' }}>{certificate.notes === '' ? 'No notes.' : certificate.notes}</Box>
    </Section>
    <Divider />
    <Section title="History">
      {[...certificate.history].reverse().map((entry) => (
        <Box key={entry.version} css={{ stack: 'y', gap: 'xxsmall' }}>
          <Box css={{ font: 'bodyEmphasized' }}>{`${ACTION[entry.action]} · version ${entry.version}`}</Box>
          <Box css={{ font: 'caption', color: 'secondary' }}>
            {`${formatInstant(entry.at)} by ${entry.actor.type === 'user' ? entry.actor.id : entry.actor.type}${entry.changes.length === 0 ? '' : ` · changed ${entry.changes.map((change) => change.field).join(', ')}`}`}
          </Box>
        </Box>
      ))}
    </Section>
  </Box>
);
