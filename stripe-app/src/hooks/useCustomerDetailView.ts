/** The customer page: the customer's certificates and overall status, and the certificate panel. */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useQuery } from '../data/queryCache';
import { queryKeys } from '../data/queryKeys';
import { offersRequestForCustomer } from '../domain/requestRules';
import { useCertificatePanel } from './useCertificatePanel';
import { useViewData } from './useViewData';

export function useCustomerDetailView(context: ExtensionContextValue) {
  const { api, cache, platform } = useViewData(context);
  const objectContext = context.environment.objectContext;
  const customerId = objectContext?.object === 'customer' ? objectContext.id : null;
  // Without a customer in context there is nothing to load: say so as the view's error, not an endless spinner.
  const certificates = useQuery(cache, queryKeys.customerCertificates(customerId ?? '-'), () =>
    customerId === null ? Promise.reject(new Error('This view shows the certificates of the customer on screen; open a customer’s page.')) : api.customerCertificates(customerId),
  );
  const panel = useCertificatePanel(api, cache, platform);
  const ready = certificates.status === 'ready' ? certificates.data : null;
  // The customer's email as the service last saw it in Stripe; without certificates the service fills it in.
  const email = ready?.data.find((certificate) => certificate.customer.email !== null)?.customer.email ?? null;

  return {
    customerId,
    certificates,
    panel,
    canRequest: ready !== null && offersRequestForCustomer(ready.status),
    addCertificate: () => {
      if (customerId !== null) panel.openCreate(customerId);
    },
    requestCertificate: () => {
      if (customerId !== null) panel.openRequest(customerId, email);
    },
    openCertificate: (certificateId: string) => panel.openCertificate(certificateId),
  };
}
