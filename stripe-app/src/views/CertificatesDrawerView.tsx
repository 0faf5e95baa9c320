import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ContextView } from '@stripe/ui-extension-sdk/ui';
import { EmptyState } from '../components/EmptyState';

/** Viewport `stripe.dashboard.drawer.default`: the app's drawer on any Dashboard page. */
const CertificatesDrawerView = (_context: ExtensionContextValue) => (
  <ContextView title="Exemption certificates">
    <EmptyState
      title="No exemption certificates yet"
      description="Tax exemption certificates you collect from your customers will appear here, with their status and expiry dates."
    />
  </ContextView>
);

export default CertificatesDrawerView;
