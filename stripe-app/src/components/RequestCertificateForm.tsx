import { Box, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import type { RequestForm } from '../hooks/useCertificatePanel';

export type RequestCertificateFormProps = {
  form: RequestForm;
  renewal: boolean;
  onEmailChange: (value: string) => void;
  onMessageChange: (value: string) => void;
};

/** Asking the customer for a certificate: where the single-use link goes, and an optional note. */
export const RequestCertificateForm = ({ form, renewal, onEmailChange, onMessageChange }: RequestCertificateFormProps) => (
  <Box css={{ stack: 'y', gap: 'medium' }}>
    <Box>
      {renewal
        ? 'The customer gets an email with a single-use link to submit a renewed certificate. When you approve it, it replaces this one.'
        : 'The customer gets an email with a single-use link to fill in their exemption certificate and upload the signed form. You review it before it applies.'}
    </Box>
    <TextField
      label="Customer email"
      type="email"
      description="Prefilled with the customer's email in Stripe. Leave empty to use it."
      value={form.email}
      error={form.errors.email}
      onChange={(event) => onEmailChange(event.target.value)}
    />
    <TextArea label="Message (optional)" value={form.message} error={form.errors.message} rows={3} onChange={(event) => onMessageChange(event.target.value)} />
  </Box>
);
