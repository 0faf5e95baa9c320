import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Box, Button, ContextView, List } from '@stripe/ui-extension-sdk/ui';
import { CertificatePanel } from '../components/CertificatePanel';
import { CertificateRow } from '../components/CertificateRow';
import { CertificateStatusBadge } from '../components/CertificateStatusBadge';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { LoadingState } from '../components/LoadingState';
import { plural } from '../domain/format';
import { useCustomerDetailView } from '../hooks/useCustomerDetailView';

/** Viewport `stripe.dashboard.customer.detail`: the certificates of the customer on screen. */
const CustomerDetailView = (context: ExtensionContextValue) => {
  const view = useCustomerDetailView(context);
  const { certificates } = view;
  return (
    <ContextView
      title="Exemption certificates"
      actions={
        certificates.status === 'ready' && certificates.data.data.length > 0 ? (
          <>
            <Button onPress={view.addCertificate}>Add certificate</Button>
            {view.canRequest ? <Button onPress={view.requestCertificate}>Request certificate</Button> : null}
          </>
        ) : undefined
      }
    >
      {certificates.status === 'loading' ? (
        <LoadingState label="Loading this customer’s certificates…" />
      ) : certificates.status === 'error' ? (
        <ErrorState title="Certificates could not be loaded" error={certificates.error} onRetry={certificates.reload} />
      ) : certificates.data.data.length === 0 ? (
        <EmptyState title="No exemption certificates yet" description="Add a certificate you already have, or ask the customer to send one: they get a link to fill it in and upload the signed form.">
          <Button type="primary" onPress={view.addCertificate}>
            Add certificate
          </Button>
          <Button onPress={view.requestCertificate}>Request certificate</Button>
        </EmptyState>
      ) : (
        <Box css={{ stack: 'y', gap: 'medium' }}>
          <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
            <CertificateStatusBadge status={certificates.data.status} />
            <Box css={{ color: 'secondary' }}>{plural(certificates.data.data.length, 'certificate')}</Box>
          </Box>
          <List onAction={(id) => view.openCertificate(String(id))}>
            {certificates.data.data.map((certificate) => (
              <CertificateRow key={certificate.id} certificate={certificate} />
            ))}
          </List>
        </Box>
      )}
      <CertificatePanel state={view.panel} />
    </ContextView>
  );
};

export default CustomerDetailView;
