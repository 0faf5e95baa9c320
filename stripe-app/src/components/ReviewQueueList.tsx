import { Box, List, ListItem } from '@stripe/ui-extension-sdk/ui';
import type { CertificateRequestView } from '../api/types';
import { formatInstant } from '../domain/format';
import { reasonLabel } from '../domain/labels';

export type ReviewQueueListProps = {
  requests: readonly CertificateRequestView[];
  onOpen: (request: CertificateRequestView) => void;
};

/** Submissions waiting for a decision, newest first. */
export const ReviewQueueList = ({ requests, onOpen }: ReviewQueueListProps) => (
  <List
    onAction={(id) => {
      const request = requests.find((candidate) => candidate.id === String(id));
      if (request !== undefined) onOpen(request);
    }}
  >
    {requests.map((request) => (
      <ListItem
        key={request.id}
        id={request.id}
        title={<Box>{request.customer.name ?? request.email}</Box>}
        secondaryTitle={
          <Box>
            {request.submission === null
              ? 'Nothing submitted'
              : `${reasonLabel(request.submission.reason, request.submission.reasonOther)} · ${request.submission.jurisdictions.map((j) => j.code).join(', ')} · ${formatInstant(request.submission.submittedAt)}`}
          </Box>
        }
      />
    ))}
  </List>
);
