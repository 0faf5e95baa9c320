import { Banner, Button } from '@stripe/ui-extension-sdk/ui';

export type ErrorStateProps = {
  title: string;
  error: Error;
  onRetry?: () => void;
};

/** A load that failed: what failed, the client's readable reason, and a way to try again. */
export const ErrorState = ({ title, error, onRetry }: ErrorStateProps) => (
  <Banner
    type="critical"
    title={title}
    description={error.message}
    actions={onRetry === undefined ? undefined : <Button onPress={onRetry}>Try again</Button>}
  />
);
