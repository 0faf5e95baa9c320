import type { CustomerStatus } from '@exemptions/shared';
import { Badge } from '@stripe/ui-extension-sdk/ui';
import type { BadgeProps } from '@stripe/ui-extension-sdk/ui';

type BadgeType = NonNullable<BadgeProps['type']>;

/**
 * Label and colour per status. `warning` is reserved for what needs the merchant's attention
 * soon, `negative` for a certificate that no longer exempts anything; `archived` and `none`
 * are neutral because they describe a settled state rather than a problem.
 */
const BADGES: Record<CustomerStatus, { label: string; type: BadgeType }> = {
  active: { label: 'Active', type: 'positive' },
  expiring_soon: { label: 'Expiring soon', type: 'warning' },
  expired: { label: 'Expired', type: 'negative' },
  archived: { label: 'Archived', type: 'neutral' },
  not_yet_effective: { label: 'Not yet effective', type: 'info' },
  none: { label: 'None', type: 'neutral' },
};

export type CertificateStatusBadgeProps = {
  /** A certificate's status, or a customer's overall one (`none` without certificates). */
  status: CustomerStatus;
};

/** A certificate's status as an SDK `Badge`, with a human label. */
export const CertificateStatusBadge = ({ status }: CertificateStatusBadgeProps) => {
  const { label, type } = BADGES[status];
  return <Badge type={type}>{label}</Badge>;
};
