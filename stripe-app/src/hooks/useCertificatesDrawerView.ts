/**
 * The drawer: every certificate (search by customer, status tabs with counts, pages), the
 * review queue, and the compliance summary.
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useEffect, useState } from 'react';
import type { CertificateStatus } from '../api/types';
import { mutationsFor } from '../data/mutations';
import { useQuery } from '../data/queryCache';
import { queryKeys } from '../data/queryKeys';
import { useCertificatePanel } from './useCertificatePanel';
import { useSubmissionReview } from './useSubmissionReview';
import { useViewData } from './useViewData';

export const PAGE_SIZE = 10;

/** How long typing pauses before the search runs, so each keystroke is not a request. */
export const SEARCH_DELAY_MS = 300;

export type DrawerTab = 'certificates' | 'review' | 'summary';

export type StatusTab = 'all' | CertificateStatus;

export function useCertificatesDrawerView(context: ExtensionContextValue) {
  const { api, cache, platform } = useViewData(context);
  const [tab, setTab] = useState<DrawerTab>('certificates');
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<StatusTab>('all');
  // The cursors of the pages seen so far: page n is fetched with cursors[n] (undefined for the first).
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const cursor = cursors[page];

  // Only a changed search starts over at page 1; paging meanwhile is left alone.
  useEffect(() => {
    const next = searchText.trim();
    if (next === search) return undefined;
    const timer = setTimeout(() => {
      setSearch(next);
      setCursors([undefined]);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [searchText, search]);

  const filter = { q: search === '' ? undefined : search, status: status === 'all' ? undefined : status, cursor };
  const certificates = useQuery(cache, queryKeys.certificateSearch(filter), () => api.searchCertificates({ ...filter, limit: PAGE_SIZE }));
  const summary = useQuery(cache, queryKeys.complianceSummary, () => api.complianceSummary());
  const queue = useQuery(cache, queryKeys.reviewQueue, () => api.reviewQueue());
  const panel = useCertificatePanel(api, cache, platform);
  const review = useSubmissionReview(mutationsFor(api, cache), platform);

  const nextCursor = certificates.status === 'ready' ? certificates.data.nextCursor : null;
  return {
    tab,
    setTab,
    searchText,
    setSearchText,
    status,
    setStatus: (next: StatusTab) => {
      setStatus(next);
      setCursors([undefined]);
    },
    certificates,
    page,
    hasNextPage: nextCursor !== null,
    nextPage: () => {
      if (nextCursor !== null) setCursors((seen) => [...seen, nextCursor]);
    },
    hasPreviousPage: page > 0,
    previousPage: () => setCursors((seen) => (seen.length > 1 ? seen.slice(0, -1) : seen)),
    summary,
    queue,
    panel,
    review,
  };
}
