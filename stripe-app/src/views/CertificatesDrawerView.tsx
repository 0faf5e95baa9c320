import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Box, Button, ContextView, List, Tab, TabList, TabPanel, TabPanels, Tabs, TextField } from '@stripe/ui-extension-sdk/ui';
import { certificateStatuses } from '@exemptions/shared';
import { CertificatePanel } from '../components/CertificatePanel';
import { CertificateRow } from '../components/CertificateRow';
import { ComplianceSummaryCard } from '../components/ComplianceSummaryCard';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { LoadingState } from '../components/LoadingState';
import { ReviewQueueList } from '../components/ReviewQueueList';
import { SubmissionPanel } from '../components/SubmissionPanel';
import { useCertificatesDrawerView } from '../hooks/useCertificatesDrawerView';
import type { DrawerTab, StatusTab } from '../hooks/useCertificatesDrawerView';

const STATUS_TABS: Record<StatusTab, string> = {
  all: 'All',
  active: 'Active',
  expiring_soon: 'Expiring soon',
  not_yet_effective: 'Not yet effective',
  expired: 'Expired',
  archived: 'Archived',
};

/** Viewport `stripe.dashboard.drawer.default`: every certificate, the review queue and the compliance summary. */
const CertificatesDrawerView = (context: ExtensionContextValue) => {
  const view = useCertificatesDrawerView(context);
  const counts = view.summary.status === 'ready' ? view.summary.data : null;
  const queueSize = view.queue.status === 'ready' ? `${view.queue.data.data.length}${view.queue.data.nextCursor === null ? '' : '+'}` : null;
  const tabLabel = (status: StatusTab) => {
    const count = counts === null ? null : status === 'all' ? counts.total : counts.byStatus[status];
    return count === null ? STATUS_TABS[status] : `${STATUS_TABS[status]} (${count})`;
  };
  return (
    <ContextView title="Exemption certificates">
      <Tabs selectedKey={view.tab} onSelectionChange={(key) => view.setTab(key as DrawerTab)} fitted>
        <TabList>
          <Tab id="certificates">Certificates</Tab>
          <Tab id="review">{queueSize === null ? 'Review queue' : `Review queue (${queueSize})`}</Tab>
          <Tab id="summary">Summary</Tab>
        </TabList>
        <TabPanels>
          <TabPanel id="certificates">
            <Box css={{ stack: 'y', gap: 'medium', paddingY: 'medium' }}>
              <TextField label="Search by customer" placeholder="Name, email or cus_ id" type="search" value={view.searchText} onChange={(event) => view.setSearchText(event.target.value)} />
              <Tabs selectedKey={view.status} onSelectionChange={(key) => view.setStatus(key as StatusTab)} size="small">
                <TabList>
                  {(['all', ...certificateStatuses] as const).map((status) => (
                    <Tab key={status} id={status}>
                      {tabLabel(status)}
                    </Tab>
                  ))}
                </TabList>
              </Tabs>
              {view.certificates.status === 'loading' ? (
                <LoadingState label="Loading certificates…" />
              ) : view.certificates.status === 'error' ? (
                <ErrorState title="Certificates could not be loaded" error={view.certificates.error} onRetry={view.certificates.reload} />
              ) : view.certificates.data.data.length === 0 ? (
                <EmptyState
                  title={view.searchText.trim() === '' && view.status === 'all' ? 'No exemption certificates yet' : 'No certificates match'}
                  description={
                    view.searchText.trim() === '' && view.status === 'all'
                      ? 'Certificates you add on a customer’s page, or that customers submit and you approve, will appear here, with their status and expiry dates.'
                      : 'Try another name, email or status.'
                  }
                />
              ) : (
                <>
                  <List onAction={(id) => view.panel.openCertificate(String(id))}>
                    {view.certificates.data.data.map((certificate) => (
                      <CertificateRow key={certificate.id} certificate={certificate} showCustomer />
                    ))}
                  </List>
                  <Box css={{ stack: 'x', gap: 'small', distribute: 'space-between', alignY: 'center' }}>
                    <Button size="small" disabled={!view.hasPreviousPage} onPress={view.previousPage}>
                      Previous
                    </Button>
                    <Box css={{ font: 'caption', color: 'secondary' }}>{`Page ${view.page + 1}`}</Box>
                    <Button size="small" disabled={!view.hasNextPage} onPress={view.nextPage}>
                      Next
                    </Button>
                  </Box>
                </>
              )}
            </Box>
          </TabPanel>
          <TabPanel id="review">
            <Box css={{ stack: 'y', gap: 'medium', paddingY: 'medium' }}>
              {view.queue.status === 'loading' ? (
                <LoadingState label="Loading submissions…" />
              ) : view.queue.status === 'error' ? (
                <ErrorState title="The review queue could not be loaded" error={view.queue.error} onRetry={view.queue.reload} />
              ) : view.queue.data.data.length === 0 ? (
                <EmptyState title="Nothing to review" description="Certificates customers submit through their request links wait here for your approval." />
              ) : (
                <ReviewQueueList requests={view.queue.data.data} onOpen={view.review.open} />
              )}
            </Box>
          </TabPanel>
          <TabPanel id="summary">
            <Box css={{ paddingY: 'medium' }}>
              {view.summary.status === 'loading' ? (
                <LoadingState label="Counting certificates…" />
              ) : view.summary.status === 'error' ? (
                <ErrorState title="The summary could not be loaded" error={view.summary.error} onRetry={view.summary.reload} />
              ) : (
                <ComplianceSummaryCard summary={view.summary.data} />
              )}
            </Box>
          </TabPanel>
        </TabPanels>
      </Tabs>
      <CertificatePanel state={view.panel} />
      <SubmissionPanel review={view.review} />
    </ContextView>
  );
};

export default CertificatesDrawerView;
