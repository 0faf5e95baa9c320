import { Box } from '@stripe/ui-extension-sdk/ui';

export type EmptyStateProps = {
  title: string;
  description: string;
};

/** What a view shows when there is nothing to list yet: a heading and one honest sentence. */
export const EmptyState = ({ title, description }: EmptyStateProps) => (
  <Box css={{ stack: 'y', gap: 'small', paddingY: 'large', alignX: 'center' }}>
    <Box css={{ font: 'heading' }}>{title}</Box>
    <Box css={{ font: 'body', color: 'secondary', textAlign: 'center' }}>{description}</Box>
  </Box>
);
