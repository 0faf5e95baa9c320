/**
 * What the app takes from the Dashboard it runs in: the network, Stripe's request signatures
 * and toasts. Views use the real ones; tests put a `PlatformProvider` around a view to answer
 * from a fake service and record toasts, so the API client and signing code run unchanged.
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import fetchStripeSignature from '@stripe/ui-extension-sdk/signature';
import type { FetchStripeSignature } from '@stripe/ui-extension-sdk/signature';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { createContext, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import { CertificatesApi } from './api/certificatesApi';
import { ApiClient, backendUrlOf, UnconfiguredClient } from './api/client';
import type { FetchLike } from './api/client';

export type ToastKind = 'success' | 'caution';

export interface Platform {
  readonly fetch: FetchLike;
  readonly sign: FetchStripeSignature;
  readonly toast: (message: string, kind?: ToastKind) => void;
  /** How often a running reprocess is asked for its progress. */
  readonly pollIntervalMs: number;
}

const dashboardPlatform: Platform = {
  fetch: (url, init) => fetch(url, init),
  sign: fetchStripeSignature,
  // A toast that fails to show must not fail the action it reports on.
  toast: (message, kind) => void showToast(message, kind === undefined ? {} : { type: kind }).catch(() => undefined),
  pollIntervalMs: 2000,
};

const PlatformContext = createContext<Platform>(dashboardPlatform);

export const PlatformProvider = ({ platform, children }: { platform: Platform; children: ReactNode }) => (
  <PlatformContext.Provider value={platform}>{children}</PlatformContext.Provider>
);

export function usePlatform(): Platform {
  return useContext(PlatformContext);
}

/**
 * The API for this view's account, user and mode. Without a backend in the manifest every
 * call fails with that reason, which each view shows as its error state. Rebuilt only when
 * the Dashboard context changes.
 */
export function useCertificatesApi(context: ExtensionContextValue): CertificatesApi {
  const platform = usePlatform();
  return useMemo(() => {
    try {
      return new CertificatesApi(new ApiClient({ backendUrl: backendUrlOf(context), context, fetch: platform.fetch, sign: platform.sign }));
    } catch (error) {
      return new CertificatesApi(new UnconfiguredClient(error instanceof Error ? error : new Error(String(error))));
    }
  }, [context, platform]);
}
