import { Banner, Box, Button, FocusView, Menu, MenuItem } from '@stripe/ui-extension-sdk/ui';
import type { ReactElement, ReactNode } from 'react';
import type { CertificatePanel as PanelState, OptionId } from '../hooks/useCertificatePanel';
import { ArchiveConfirmation } from './ArchiveConfirmation';
import { CertificateForm } from './CertificateForm';
import { CertificateReview } from './CertificateReview';
import { ErrorState } from './ErrorState';
import { FileUploadPanel } from './FileUploadPanel';
import { LoadingState } from './LoadingState';
import { ReprocessSteps } from './ReprocessSteps';
import { RequestCertificateForm } from './RequestCertificateForm';

const OPTION_LABELS: Record<OptionId, string> = {
  edit: 'Edit',
  archive: 'Archive',
  request: 'Request new certificate',
  reprocess: 'Reprocess transactions',
  upload: 'Upload certificate file',
};

interface Layout {
  title: string;
  body: ReactNode;
  primary?: ReactElement;
  secondary?: ReactElement;
}

/** The banners every mode may need: the last failure, and an edit someone else's save overtook. */
const Notices = ({ state }: { state: PanelState }) => (
  <>
    {state.conflict === null ? null : (
      <Banner
        type="critical"
        title="This certificate changed while you were working on it"
        description={state.conflict.message}
        actions={<Button onPress={state.reloadAfterConflict}>Reload</Button>}
      />
    )}
    {state.error === null ? null : <Banner type="critical" description={state.error} />}
    {state.confirmingDiscard ? (
      <Banner
        type="caution"
        title="Discard your changes?"
        description="What you changed in this form has not been saved."
        actions={
          <>
            <Button type="destructive" onPress={state.cancelEdit}>
              Discard changes
            </Button>
            <Button onPress={state.keepEditing}>Keep editing</Button>
          </>
        }
      />
    ) : null}
  </>
);

function layoutOf(state: PanelState): Layout {
  const { panel, detail, editor, wizard, pending } = state;
  const close = <Button onPress={state.close}>Close</Button>;
  if (panel.mode === 'closed') return { title: 'Certificate', body: null };
  if (panel.mode === 'create') {
    return {
      title: 'Add certificate',
      body: <CertificateForm editor={editor} />,
      primary: (
        <Button type="primary" pending={pending} onPress={state.save}>
          Save certificate
        </Button>
      ),
      secondary: <Button onPress={state.cancelEdit}>Cancel</Button>,
    };
  }
  if (panel.mode === 'request') {
    return {
      title: panel.renewsCertificateId === null ? 'Request a certificate' : 'Request a new certificate',
      body: (
        <RequestCertificateForm form={state.requestForm} renewal={panel.renewsCertificateId !== null} onEmailChange={state.setRequestEmail} onMessageChange={state.setRequestMessage} />
      ),
      primary: (
        <Button type="primary" pending={pending} onPress={state.sendRequest}>
          Send request
        </Button>
      ),
      secondary: <Button onPress={panel.renewsCertificateId === null ? state.close : state.backToReview}>Cancel</Button>,
    };
  }
  if (detail === null || detail.status === 'loading') return { title: 'Certificate', body: <LoadingState label="Loading the certificate…" />, secondary: close };
  if (detail.status === 'error') return { title: 'Certificate', body: <ErrorState title="The certificate could not be loaded" error={detail.error} onRetry={detail.reload} />, secondary: close };
  const certificate = detail.data;

  switch (panel.mode) {
    case 'review':
      return {
        title: 'Certificate',
        body: (
          <Box css={{ stack: 'y', gap: 'medium' }}>
            {state.options.length === 0 ? null : (
              <Menu trigger={<Button>Options</Button>} onAction={(key) => state.choose(String(key) as OptionId)}>
                {state.options.map((option) => (
                  <MenuItem key={option} id={option}>
                    {OPTION_LABELS[option]}
                  </MenuItem>
                ))}
              </Menu>
            )}
            <CertificateReview certificate={certificate} fileLinks={state.fileLinks} />
          </Box>
        ),
        secondary: close,
      };
    case 'edit':
      return {
        title: 'Edit certificate',
        body: <CertificateForm editor={editor} />,
        primary: (
          <Button type="primary" pending={pending} disabled={!editor.dirty || state.conflict !== null} onPress={state.save}>
            Save
          </Button>
        ),
        secondary: <Button onPress={state.cancelEdit}>Cancel</Button>,
      };
    case 'archive':
      return {
        title: 'Archive certificate',
        body: <ArchiveConfirmation certificate={certificate} reason={state.archiveReason} onReasonChange={state.setArchiveReason} />,
        primary: (
          <Button type="destructive" pending={pending} onPress={state.confirmArchive}>
            Archive certificate
          </Button>
        ),
        secondary: <Button onPress={state.backToReview}>Cancel</Button>,
      };
    case 'upload':
      return {
        title: 'Upload certificate file',
        body: <FileUploadPanel uploadedFile={state.uploadedFile} onUploaded={state.fileUploaded} onFailed={state.uploadFailed} />,
        secondary: <Button onPress={state.backToReview}>Done</Button>,
      };
    case 'reprocess':
      return {
        title: 'Reprocess transactions',
        body: <ReprocessSteps wizard={wizard} />,
        primary:
          wizard.step === 'dates' ? (
            <Button type="primary" pending={wizard.pending} onPress={wizard.next}>
              Next
            </Button>
          ) : wizard.step === 'preview' ? (
            <Button type="primary" pending={wizard.pending} disabled={!wizard.canStart} onPress={wizard.start}>
              Start
            </Button>
          ) : wizard.step === 'progress' ? (
            <Button type="destructive" disabled={wizard.run?.cancelRequestedAt != null} onPress={wizard.cancelRun}>
              Cancel run
            </Button>
          ) : (
            <Button type="primary" onPress={state.backToReview}>
              Done
            </Button>
          ),
        secondary:
          wizard.step === 'preview' ? (
            <Button onPress={wizard.back}>Back</Button>
          ) : wizard.step === 'dates' ? (
            <Button onPress={state.backToReview}>Cancel</Button>
          ) : undefined,
      };
  }
}

/**
 * The one FocusView of a view: a certificate's review, and each thing done to it. Closing it
 * with unsaved changes in a form asks first (the Dashboard's own confirmation).
 */
export const CertificatePanel = ({ state }: { state: PanelState }) => {
  const layout = layoutOf(state);
  const editing = state.panel.mode === 'edit' || state.panel.mode === 'create';
  return (
    <FocusView
      title={layout.title}
      shown={state.panel.mode !== 'closed'}
      setShown={(shown) => {
        if (!shown) state.close();
      }}
      confirmCloseMessages={
        editing && state.editor.dirty
          ? { title: 'Discard your changes?', description: 'What you changed in this certificate has not been saved.', cancelAction: 'Keep editing', exitAction: 'Discard' }
          : undefined
      }
      primaryAction={layout.primary}
      secondaryAction={layout.secondary}
    >
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <Notices state={state} />
        {layout.body}
      </Box>
    </FocusView>
  );
};
