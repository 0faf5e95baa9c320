import { render } from '@stripe/ui-extension-sdk/testing';
import { Badge } from '@stripe/ui-extension-sdk/ui';
import type { BadgeProps } from '@stripe/ui-extension-sdk/ui';
import { CertificateStatusBadge } from '../../stripe-app/src/components/CertificateStatusBadge';
import { certificateStatuses } from '@exemptions/shared';
import type { CustomerStatus } from '@exemptions/shared';

/** Every status a badge shows: a certificate's, and a customer's `none`. */
const CERTIFICATE_STATUSES: readonly CustomerStatus[] = [...certificateStatuses, 'none'];

// The specification, written out rather than imported, so a changed label or colour fails here.
// Typed as a Record so a status added to the union without a row here fails to compile.
const EXPECTED: Record<CustomerStatus, { label: string; type: NonNullable<BadgeProps['type']> }> = {
  active: { label: 'Active', type: 'positive' },
  expiring_soon: { label: 'Expiring soon', type: 'warning' },
  expired: { label: 'Expired', type: 'negative' },
  archived: { label: 'Archived', type: 'neutral' },
  not_yet_effective: { label: 'Not yet effective', type: 'info' },
  none: { label: 'None', type: 'neutral' },
};

describe('CertificateStatusBadge', () => {
  test.each(CERTIFICATE_STATUSES)('shows the status %s as one badge with its label and colour', (status) => {
    const { wrapper } = render(<CertificateStatusBadge status={status} />);

    expect(wrapper).toContainComponentTimes(Badge, 1);
    const badge = wrapper.find(Badge);
    expect(badge).not.toBeNull();
    expect(badge).toHaveProps({ type: EXPECTED[status].type });
    expect(badge?.text).toBe(EXPECTED[status].label);
  });

  test('lists every status exactly once', () => {
    expect([...CERTIFICATE_STATUSES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test('gives every status a distinct label', () => {
    const labels = CERTIFICATE_STATUSES.map((status) => {
      const { wrapper } = render(<CertificateStatusBadge status={status} />);
      return wrapper.find(Badge)?.text;
    });
    expect(new Set(labels).size).toBe(CERTIFICATE_STATUSES.length);
  });
});
