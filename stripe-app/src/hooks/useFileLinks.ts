/**
 * Download links for a certificate's files. The Dashboard cannot open a signed download in a
 * tab, and the SDK cannot open a tab from code, so a file opens in two steps: the merchant asks
 * for a short-lived link (a signed call), then follows it.
 */
import { useState } from 'react';
import type { CertificatesApi } from '../api/certificatesApi';

export type FileLinkState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly url: string; readonly expiresAt: string }
  | { readonly status: 'error'; readonly message: string };

export interface FileLinks {
  stateOf(certificateId: string, fileId: string): FileLinkState;
  /** Asks for a new link, replacing any earlier one (which may have expired). */
  request(certificateId: string, fileId: string): void;
}

const IDLE: FileLinkState = { status: 'idle' };

const keyOf = (certificateId: string, fileId: string) => `${certificateId}/${fileId}`;

export function useFileLinks(api: CertificatesApi): FileLinks {
  const [states, setStates] = useState<Readonly<Record<string, FileLinkState>>>({});
  const set = (key: string, state: FileLinkState) => setStates((current) => ({ ...current, [key]: state }));

  return {
    stateOf: (certificateId, fileId) => states[keyOf(certificateId, fileId)] ?? IDLE,
    request: (certificateId, fileId) => {
      const key = keyOf(certificateId, fileId);
      set(key, { status: 'loading' });
      api.fileLink(certificateId, fileId).then(
        (link) => set(key, { status: 'ready', url: link.url, expiresAt: link.expiresAt }),
        (failure: unknown) => set(key, { status: 'error', message: failure instanceof Error ? failure.message : String(failure) }),
      );
    },
  };
}
