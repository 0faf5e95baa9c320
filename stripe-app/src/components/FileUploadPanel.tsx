import { Box, StripeFileUploader } from '@stripe/ui-extension-sdk/ui';

export type FileUploadPanelProps = {
  uploadedFile: string | null;
  onUploaded: (stripeFileId: string, filename: string | undefined) => void;
  onFailed: () => void;
};

/**
 * The signed certificate, uploaded to Stripe by the Dashboard's own uploader (the sandbox has no
 * file input); the service then fetches the Stripe File and keeps its own copy.
 */
export const FileUploadPanel = ({ uploadedFile, onUploaded, onFailed }: FileUploadPanelProps) => (
  <Box css={{ stack: 'y', gap: 'medium' }}>
    <Box>A PDF, PNG or JPEG of the signed certificate, at most 10 MB.</Box>
    <StripeFileUploader
      label="Signed certificate"
      purpose="tax_document_user_upload"
      onComplete={(file) => onUploaded(file.id, file.filename)}
      onError={() => onFailed()}
    />
    {uploadedFile === null ? null : <Box css={{ color: 'success' }}>{`${uploadedFile} is attached to the certificate.`}</Box>}
  </Box>
);
