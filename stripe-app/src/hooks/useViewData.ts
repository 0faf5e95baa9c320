/** What every view starts from: its API, its query cache, and the Dashboard platform. */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useState } from 'react';
import type { CertificatesApi } from '../api/certificatesApi';
import { QueryCache } from '../data/queryCache';
import type { Platform } from '../platform';
import { useCertificatesApi, usePlatform } from '../platform';

export interface ViewData {
  readonly api: CertificatesApi;
  readonly cache: QueryCache;
  readonly platform: Platform;
}

export function useViewData(context: ExtensionContextValue): ViewData {
  const platform = usePlatform();
  const api = useCertificatesApi(context);
  // One cache per mounted view: a view is its own iframe in the Dashboard, so nothing would be shared anyway.
  const [cache] = useState(() => new QueryCache());
  return { api, cache, platform };
}
