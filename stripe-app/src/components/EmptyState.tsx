import { Box } from '@stripe/ui-extension-sdk/ui';
import type { ReactNode } from 'react';

export type EmptyStateProps = {
  title: string;
  description: string;
  /** What the merchant can do about it, as Buttons. */
  children?: ReactNode;
};

/** What a view shows when there is nothing to list yet: a heading, one honest sentence, and the way forward. */
export const EmptyState = ({ title, description, children }: EmptyStateProps) => (
  <Box css={{ stack: 'y', gap: 'small', paddingY: 'large', alignX: 'center' }}>
    <Box css={{ font: 'heading' }}>{title}</Box>
    <Box css={{ font: 'body', color: 'secondary', textAlign: 'center' }}>{description}</Box>
    {children === undefined ? null : <Box css={{ stack: 'x', gap: 'small', paddingTop: 'small' }}>{children}</Box>}
  </Box>
);
