import { getMockContextProps, render } from '@stripe/ui-extension-sdk/testing';
import { Badge, ContextView } from '@stripe/ui-extension-sdk/ui';
import CertificatesDrawerView from '../../stripe-app/src/views/CertificatesDrawerView';
import CustomerDetailView from '../../stripe-app/src/views/CustomerDetailView';

const customerPage = getMockContextProps({
  environment: {
    viewportID: 'stripe.dashboard.customer.detail',
    objectContext: { id: 'cus_123', object: 'customer' },
  },
});

const drawer = getMockContextProps({
  environment: { viewportID: 'stripe.dashboard.drawer.default', objectContext: null },
});

describe('CustomerDetailView', () => {
  test('is a ContextView titled "Exemption certificates"', () => {
    const { wrapper } = render(<CustomerDetailView {...customerPage} />);
    expect(wrapper).toContainComponent(ContextView, { title: 'Exemption certificates' });
  });

  test('says the customer has no exemption certificates yet, and what will appear instead', () => {
    const { wrapper } = render(<CustomerDetailView {...customerPage} />);
    expect(wrapper).toContainText('No exemption certificates yet');
    expect(wrapper).toContainText('will appear here');
  });

  test('shows no status badge while there is no certificate data', () => {
    const { wrapper } = render(<CustomerDetailView {...customerPage} />);
    expect(wrapper).not.toContainComponent(Badge);
  });
});

describe('CertificatesDrawerView', () => {
  test('is a ContextView titled "Exemption certificates"', () => {
    const { wrapper } = render(<CertificatesDrawerView {...drawer} />);
    expect(wrapper).toContainComponent(ContextView, { title: 'Exemption certificates' });
  });

  test('says there are no exemption certificates yet, and what will appear instead', () => {
    const { wrapper } = render(<CertificatesDrawerView {...drawer} />);
    expect(wrapper).toContainText('No exemption certificates yet');
    expect(wrapper).toContainText('will appear here');
  });

  test('shows no status badge while there is no certificate data', () => {
    const { wrapper } = render(<CertificatesDrawerView {...drawer} />);
    expect(wrapper).not.toContainComponent(Badge);
  });
});
