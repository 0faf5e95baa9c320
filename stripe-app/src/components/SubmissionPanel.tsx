import { Banner, Box, Button, FocusView, PropertyList, PropertyListItem, TextArea } from '@stripe/ui-extension-sdk/ui';
import type { CertificateSubmission } from '../api/types';
import type { SubmissionReview } from '../hooks/useSubmissionReview';
import { formatInstant } from '../domain/format';
import { CertificateForm } from './CertificateForm';

const ACTIVE_CONTENT: Record<CertificateSubmission['activeContent'][number], string> = {
  javascript: 'JavaScript',
  launch_action: 'an action that launches a program',
  embedded_file: 'an embedded file',
  not_fully_inspected: 'parts too large for the check to read, which could hide any of these',
};

/**
 * A customer's submission under review: who signed it, what they sent (editable, as the
 * corrections approval applies), and Approve or Reject.
 */
export const SubmissionPanel = ({ review }: { review: SubmissionReview }) => {
  const request = review.request;
  const submission = request?.submission ?? null;
  const rejecting = review.mode === 'reject';
  return (
    <FocusView
      title={rejecting ? 'Reject submission' : 'Review submission'}
      shown={request !== null}
      setShown={(shown) => {
        if (!shown) review.close();
      }}
      primaryAction={
        rejecting ? (
          <Button type="destructive" pending={review.pending} onPress={review.confirmReject}>
            Reject and send a new link
          </Button>
        ) : (
          <Button type="primary" pending={review.pending} onPress={review.approve}>
            Approve
          </Button>
        )
      }
      secondaryAction={rejecting ? <Button onPress={review.backToReview}>Back</Button> : <Button onPress={review.startReject}>Reject</Button>}
    >
      {request === null ? null : submission === null ? (
        <Box>Nothing was submitted for this request.</Box>
      ) : (
        <Box css={{ stack: 'y', gap: 'medium' }}>
          {review.error === null ? null : <Banner type="critical" description={review.error} />}
          {submission.activeContent.length === 0 ? null : (
            <Banner
              type="caution"
              title="Open the file with care"
              description={`The submitted PDF contains ${submission.activeContent.map((kind) => ACTIVE_CONTENT[kind]).join(', ')}.`}
            />
          )}
          <PropertyList>
            <PropertyListItem label="Customer" value={request.customer.name ?? request.customer.id} />
            <PropertyListItem label="Sent to" value={request.email} />
            <PropertyListItem label="Signed by" value={`${submission.signerName}, ${submission.signerTitle}`} />
            <PropertyListItem label="Submitted" value={formatInstant(submission.submittedAt)} />
            <PropertyListItem label="File" value={`${submission.file.filename} (${Math.max(1, Math.round(submission.file.size / 1024))} KB)`} />
          </PropertyList>
          {rejecting ? (
            <TextArea
              label="Reason"
              description="The customer reads this in the email with their new link."
              value={review.rejectReason}
              error={review.rejectError ?? undefined}
              rows={4}
              onChange={(event) => review.setRejectReason(event.target.value)}
            />
          ) : (
            <>
              <Box css={{ font: 'caption', color: 'secondary' }}>Correct anything the customer got wrong before approving; your corrections are what the certificate will say.</Box>
              <CertificateForm editor={review.editor} />
            </>
          )}
        </Box>
      )}
    </FocusView>
  );
};
