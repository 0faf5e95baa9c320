import { Box, Spinner } from '@stripe/ui-extension-sdk/ui';

/** While data loads: a spinner and what is loading, so a slow service does not look like an empty one. */
export const LoadingState = ({ label }: { label: string }) => (
  <Box css={{ stack: 'y', gap: 'small', paddingY: 'large', alignX: 'center' }}>
    <Spinner size="large" />
    <Box css={{ font: 'caption', color: 'secondary' }}>{label}</Box>
  </Box>
);
