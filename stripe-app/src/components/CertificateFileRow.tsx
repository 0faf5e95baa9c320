import { Badge, Box, Button, Link } from '@stripe/ui-extension-sdk/ui';
import type { CertificateFile } from '@exemptions/shared';
import { formatInstant, formatTime } from '../domain/format';
import type { FileLinkState } from '../hooks/useFileLinks';

const TYPE_LABEL: Record<CertificateFile['contentType'], string> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
};

const ACTIVE_CONTENT: Record<NonNullable<CertificateFile['activeContent']>[number], string> = {
  javascript: 'JavaScript',
  launch_action: 'a launch action',
  embedded_file: 'an embedded file',
  not_fully_inspected: 'parts too large for the check to read, which could hide active content',
};

function kilobytes(size: number): string {
  return `${Math.max(1, Math.round(size / 1024))} KB`;
}

/**
 * One stored file: what it is, and a way to open it. The link is asked for on demand, since it
 * stops working minutes after it is issued; once it is here, it opens in a new tab.
 */
export const CertificateFileRow = ({ file, link, onRequestLink }: { file: CertificateFile; link: FileLinkState; onRequestLink: () => void }) => (
  <Box css={{ stack: 'y', gap: 'xsmall' }}>
    <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
      <Badge type="neutral">{TYPE_LABEL[file.contentType]}</Badge>
      <Box>{`${file.filename} · ${kilobytes(file.size)} · uploaded ${formatInstant(file.uploadedAt)}`}</Box>
    </Box>
    {/* The worker flags a PDF that acts when opened: say so before anyone opens it. */}
    {file.activeContent === undefined ? null : (
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Badge type="warning">Open with care</Badge>
        <Box css={{ font: 'caption' }}>{`This PDF contains ${file.activeContent.map((kind) => ACTIVE_CONTENT[kind]).join(', ')}.`}</Box>
      </Box>
    )}
    {link.status === 'ready' ? (
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Link href={link.url} target="_blank" external>
          Open file
        </Link>
        <Box css={{ font: 'caption', color: 'secondary' }}>{`Link works until ${formatTime(link.expiresAt)}`}</Box>
        <Button size="small" onPress={onRequestLink}>
          New link
        </Button>
      </Box>
    ) : (
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Button size="small" pending={link.status === 'loading'} onPress={onRequestLink}>
          {link.status === 'error' ? 'Try again' : 'Get download link'}
        </Button>
        {link.status === 'error' ? <Box css={{ font: 'caption', color: 'critical' }}>{`The link could not be made: ${link.message}`}</Box> : null}
      </Box>
    )}
  </Box>
);
