/** The invoice page: what the ledger recorded for this invoice, and the certificate that applied. */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useQuery } from '../data/queryCache';
import { queryKeys } from '../data/queryKeys';
import { invoiceLedgerState } from '../domain/invoiceCoverage';
import { useCertificatePanel } from './useCertificatePanel';
import { useViewData } from './useViewData';

export function useInvoiceDetailView(context: ExtensionContextValue) {
  const { api, cache, platform } = useViewData(context);
  const objectContext = context.environment.objectContext;
  const invoiceId = objectContext?.object === 'invoice' ? objectContext.id : null;
  // Without an invoice in context there is nothing to load: say so as the view's error, not an endless spinner.
  const ledger = useQuery(cache, queryKeys.invoiceLedger(invoiceId ?? '-'), async () => {
    if (invoiceId === null) throw new Error('This view shows the invoice on screen; open an invoice’s page.');
    return invoiceLedgerState((await api.invoiceLedgerEntries(invoiceId)).data);
  });
  const panel = useCertificatePanel(api, cache, platform);
  return { invoiceId, ledger, panel, openCertificate: (certificateId: string) => panel.openCertificate(certificateId) };
}
