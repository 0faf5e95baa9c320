import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ContextView } from '@stripe/ui-extension-sdk/ui';
import { EmptyState } from '../components/EmptyState';

/** Viewport `stripe.dashboard.customer.detail`: the certificates of the customer on screen. */
const CustomerDetailView = (_context: ExtensionContextValue) => (
  <ContextView title="Exemption certificates">
    <EmptyState
      title="No exemption certificates yet"
      description="Tax exemption certificates on file for this customer will appear here, with their status and the jurisdictions they cover."
    />
  </ContextView>
);

export default CustomerDetailView;
