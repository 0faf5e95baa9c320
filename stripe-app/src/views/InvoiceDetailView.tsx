import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Box, ContextView, Divider } from '@stripe/ui-extension-sdk/ui';
import { CertificatePanel } from '../components/CertificatePanel';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { InvoiceCoverageLine } from '../components/InvoiceCoverageLine';
import { LoadingState } from '../components/LoadingState';
import { useInvoiceDetailView } from '../hooks/useInvoiceDetailView';

/** Viewport `stripe.dashboard.invoice.detail`: which certificate applied to this invoice, and its flags. */
const InvoiceDetailView = (context: ExtensionContextValue) => {
  const view = useInvoiceDetailView(context);
  const { ledger } = view;
  return (
    <ContextView title="Exemption certificate">
      {ledger.status === 'loading' ? (
        <LoadingState label="Loading what the ledger recorded for this invoice…" />
      ) : ledger.status === 'error' ? (
        <ErrorState title="The ledger could not be loaded" error={ledger.error} onRetry={ledger.reload} />
      ) : ledger.data.kind === 'not_recorded' ? (
        <EmptyState
          title="Not in the ledger yet"
          description="Invoices are recorded when they are finalized. A draft invoice follows the customer’s tax-exempt status until then."
        />
      ) : ledger.data.kind === 'voided' ? (
        <EmptyState title="This invoice was voided" description="Its ledger entries were negated; no certificate applies to it any more." />
      ) : (
        <Box css={{ stack: 'y', gap: 'medium' }}>
          {ledger.data.lines.map((entry, index) => (
            <Box key={entry.id} css={{ stack: 'y', gap: 'medium' }}>
              {index === 0 ? null : <Divider />}
              <InvoiceCoverageLine entry={entry} onOpenCertificate={view.openCertificate} />
            </Box>
          ))}
        </Box>
      )}
      <CertificatePanel state={view.panel} />
    </ContextView>
  );
};

export default InvoiceDetailView;
