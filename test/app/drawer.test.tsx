import { BarChart, Button, FocusView, List, Select, Tab, TabList, Tabs, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import CertificatesDrawerView from '../../stripe-app/src/views/CertificatesDrawerView';
import { SEARCH_DELAY_MS } from '../../stripe-app/src/hooks/useCertificatesDrawerView';
import { certificate, detailOf, drawer, submittedRequest, summary } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';
import type { RecordedRequest } from './support/fakeService';
import { buttonIn, expectVisible, renderView, settle, visibleText, waitFor, waitForText } from './support/render';
import type { Wrapper } from './support/render';

const acme = certificate({ id: 'cert_000000000000000000000011' });
const beta = certificate({ id: 'cert_000000000000000000000012', customerId: 'cus_Beta', customer: { id: 'cus_Beta', name: 'Beta Builders', email: 'ap@beta.example' }, status: 'expired' });

/** A service whose certificate list answers each search with what `page` returns for it. */
function serviceWith(page: (request: RecordedRequest) => { data: unknown[]; nextCursor: string | null } = () => ({ data: [acme, beta], nextCursor: null })): FakeService {
  return new FakeService()
    .on('GET', '/certificates', (request) => ok(page(request)))
    .on('GET', '/compliance/summary', ok(summary()))
    .on('GET', '/review-queue', ok({ data: [submittedRequest()], nextCursor: null }));
}

async function openDrawer(service: FakeService): Promise<Wrapper> {
  const wrapper = renderView(CertificatesDrawerView, drawer(), service);
  await waitFor(wrapper, () => service.calls('GET', '/certificates').length > 0 && !visibleText(wrapper).includes('Loading certificates'), 'the list');
  await settle(wrapper);
  return wrapper;
}

const searches = (service: FakeService) => service.calls('GET', '/certificates').map((call) => call.query);
const drawerTabs = (wrapper: Wrapper) => wrapper.findAll(Tabs)[0];
const statusTabs = (wrapper: Wrapper) => wrapper.findAll(Tabs)[1];

describe('the drawer', () => {
  let service: FakeService;
  afterEach(() => expect(service.violations).toEqual([]));

  describe('the certificate list', () => {
    test('lists every certificate with its customer and status', async () => {
      service = serviceWith();
      const wrapper = await openDrawer(service);
      expectVisible(wrapper, 'Acme Supply · Resale · TX-123456 US-TX until Dec 31, 2027 Active');
      expectVisible(wrapper, 'Beta Builders · Resale · TX-123456 US-TX until Dec 31, 2027 Expired');
      expect(searches(service)[0]).toEqual({ limit: '10' });
    });

    test('searches by customer once typing pauses', async () => {
      service = serviceWith();
      const wrapper = await openDrawer(service);
      const field = () => wrapper.find(TextField, { label: 'Search by customer' });
      wrapper.act(() => field()?.trigger('onChange', { target: { value: 'Ac' } }));
      wrapper.act(() => field()?.trigger('onChange', { target: { value: 'Acme' } }));
      await new Promise((resolve) => setTimeout(resolve, SEARCH_DELAY_MS + 50));
      await settle(wrapper);
      expect(searches(service)).toEqual([{ limit: '10' }, { q: 'Acme', limit: '10' }]);
    });

    test('has a tab per status with its count, and lists only that status when chosen', async () => {
      service = serviceWith();
      const wrapper = await openDrawer(service);
      expect(statusTabs(wrapper)?.findAll(Tab).map((tab) => tab.text)).toEqual([
        'All (18)',
        'Active (8)',
        'Expiring soon (2)',
        'Not yet effective (1)',
        'Expired (3)',
        'Archived (4)',
      ]);
      wrapper.act(() => statusTabs(wrapper)?.trigger('onSelectionChange', 'expiring_soon'));
      await settle(wrapper);
      expect(searches(service).at(-1)).toEqual({ status: 'expiring_soon', limit: '10' });
    });

    test('pages forward with the cursor the service gave, and back again', async () => {
      service = serviceWith((request) => (request.query.cursor === undefined ? { data: [acme], nextCursor: 'page-2' } : { data: [beta], nextCursor: null }));
      const wrapper = await openDrawer(service);
      const pageButton = (label: string) => wrapper.findAll(Button).find((button) => button.text === label);
      expect(pageButton('Previous')?.prop('disabled')).toBe(true);
      wrapper.act(() => pageButton('Next')?.trigger('onPress'));
      await waitForText(wrapper, 'Beta Builders · Resale');
      expect(searches(service).at(-1)).toEqual({ limit: '10', cursor: 'page-2' });
      expectVisible(wrapper, 'Page 2');
      expect(pageButton('Next')?.prop('disabled')).toBe(true);
      wrapper.act(() => pageButton('Previous')?.trigger('onPress'));
      await waitForText(wrapper, 'Acme Supply · Resale');
      expectVisible(wrapper, 'Page 1');
    });

    test('opens a certificate from the list in the certificate panel', async () => {
      service = serviceWith().on('GET', `/certificates/${acme.id}`, ok(detailOf(acme)));
      const wrapper = await openDrawer(service);
      wrapper.act(() => wrapper.find(List)?.trigger('onAction', acme.id));
      await waitForText(wrapper, 'Certificate details');
      expect(wrapper.findAll(FocusView).find((view) => view.prop('shown') === true)?.prop('title')).toBe('Certificate');
    });

    test('says when nothing matches a search', async () => {
      service = serviceWith((request) => (request.query.q === undefined ? { data: [acme], nextCursor: null } : { data: [], nextCursor: null }));
      const wrapper = await openDrawer(service);
      wrapper.act(() => wrapper.find(TextField, { label: 'Search by customer' })?.trigger('onChange', { target: { value: 'Zeta' } }));
      await waitForText(wrapper, 'No certificates match');
    });
  });

  describe('the review queue', () => {
    async function openSubmission(): Promise<Wrapper> {
      const wrapper = await openDrawer(service);
      expect(wrapper.findAll(TabList)[0]?.findAll(Tab).map((tab) => tab.text)).toEqual(['Certificates', 'Review queue (1)', 'Summary']);
      wrapper.act(() => drawerTabs(wrapper)?.trigger('onSelectionChange', 'review'));
      expectVisible(wrapper, 'Beta Builders');
      expectVisible(wrapper, 'Resale · US-CA');
      const queue = wrapper.findAll(List).at(-1);
      wrapper.act(() => queue?.trigger('onAction', submittedRequest().id));
      await waitForText(wrapper, 'Bea Builder, Controller');
      return wrapper;
    }
    const submissionView = (wrapper: Wrapper) => wrapper.findAll(FocusView).find((view) => view.prop('shown') === true);

    test('approves a submission with the reviewer’s corrections', async () => {
      service = serviceWith().on('POST', `/certificate-requests/${submittedRequest().id}/approve`, (request) =>
        ok({
          request: { ...submittedRequest(), status: 'approved' },
          certificate: certificate({ id: 'cert_000000000000000000000013', customerId: 'cus_Beta', number: (request.body as { details: { number: string } }).details.number, version: 1 }),
        }),
      );
      const wrapper = await openSubmission();
      expect(wrapper.find(TextField, { label: 'Certificate or permit number' })?.prop('value')).toBe('CA-998877');
      wrapper.act(() => wrapper.find(TextField, { label: 'Certificate or permit number' })?.trigger('onChange', { target: { value: 'CA-998878' } }));
      wrapper.act(() => wrapper.find(TextArea, { label: 'Notes' })?.trigger('onChange', { target: { value: 'Number corrected from the scan' } }));
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Approve').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');

      expect(service.calls('POST', `/certificate-requests/${submittedRequest().id}/approve`).map((call) => call.body)).toEqual([
        {
          details: { reason: 'resale', reasonOther: null, form: 'single_state', number: 'CA-998878', purchase: { type: 'blanket' } },
          notes: 'Number corrected from the scan',
        },
      ]);
      expect(service.toasts).toEqual([{ message: 'Certificate from Beta Builders approved', kind: 'success' }]);
    });

    test('approves a submission as it came when nothing was corrected', async () => {
      service = serviceWith().on('POST', `/certificate-requests/${submittedRequest().id}/approve`, ok({ request: { ...submittedRequest(), status: 'approved' }, certificate: certificate({ id: 'cert_000000000000000000000014' }) }));
      const wrapper = await openSubmission();
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Approve').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');
      expect(service.calls('POST', `/certificate-requests/${submittedRequest().id}/approve`)[0]?.body).toEqual({});
    });

    test('rejects only with a reason, which it sends', async () => {
      service = serviceWith().on('POST', `/certificate-requests/${submittedRequest().id}/reject`, ok({ request: { ...submittedRequest(), status: 'rejected' }, resubmission: null }));
      const wrapper = await openSubmission();
      buttonIn(wrapper, submissionView(wrapper)?.prop('secondaryAction'), 'Reject').press();
      expect(submissionView(wrapper)?.prop('title')).toBe('Reject submission');
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Reject and send a new link').press();
      await settle(wrapper);
      expect(wrapper.find(TextArea, { label: 'Reason' })?.prop('error')).toBe('give the reason the customer will read');
      expect(service.calls('POST', `/certificate-requests/${submittedRequest().id}/reject`)).toEqual([]);

      wrapper.act(() => wrapper.find(TextArea, { label: 'Reason' })?.trigger('onChange', { target: { value: 'The form is not signed' } }));
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Reject and send a new link').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');
      expect(service.calls('POST', `/certificate-requests/${submittedRequest().id}/reject`).map((call) => call.body)).toEqual([{ reason: 'The form is not signed' }]);
      expect(service.toasts).toEqual([{ message: 'Submission rejected; ap@beta.example was sent a new link', kind: 'success' }]);
    });

    test('says so when someone else decided first', async () => {
      service = serviceWith().on('POST', `/certificate-requests/${submittedRequest().id}/approve`, { status: 409, body: { error: { message: 'Request is rejected: a rejected request cannot be approved' } } });
      const wrapper = await openSubmission();
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Approve').press();
      await waitForText(wrapper, 'Request is rejected: a rejected request cannot be approved. Close this and reload the queue.');
      expect(service.toasts).toEqual([]);
    });

    test('checks the corrections as the service would', async () => {
      service = serviceWith();
      const wrapper = await openSubmission();
      wrapper.act(() => wrapper.find(Select, { label: 'Applies to' })?.trigger('onChange', { target: { value: 'single_purchase' } }));
      buttonIn(wrapper, submissionView(wrapper)?.prop('primaryAction'), 'Approve').press();
      await settle(wrapper);
      expect(wrapper.find(TextField, { label: 'Invoice number' })?.prop('error')).toBe('a single-purchase certificate needs the invoice number or the purchase-order number it covers');
      expect(service.calls('POST', `/certificate-requests/${submittedRequest().id}/approve`)).toEqual([]);
    });
  });

  describe('the compliance summary', () => {
    test('charts certificates by status and counts what expires and which invoices are flagged', async () => {
      service = serviceWith();
      const wrapper = await openDrawer(service);
      wrapper.act(() => drawerTabs(wrapper)?.trigger('onSelectionChange', 'summary'));
      expect(wrapper.find(BarChart)?.prop('data')).toEqual([
        { status: 'Active', certificates: 8 },
        { status: 'Expiring soon', certificates: 2 },
        { status: 'Not yet effective', certificates: 1 },
        { status: 'Expired', certificates: 3 },
        { status: 'Archived', certificates: 4 },
      ]);
      for (const text of ['18 certificates on May 12, 2026', 'Within 30 days 2 certificates', 'Within 60 days 5 certificates', 'Within 90 days 7 certificates', 'Exposure (exempted with no valid certificate) 3 invoices', 'Over-collection (taxed despite a certificate) 1 invoice']) {
        expectVisible(wrapper, text);
      }
    });

    test('counts certificates per jurisdiction and the requests waiting on the merchant or the customer', async () => {
      service = serviceWith();
      const wrapper = await openDrawer(service);
      wrapper.act(() => drawerTabs(wrapper)?.trigger('onSelectionChange', 'summary'));
      for (const text of [
        'California (US-CA) 3 certificates: 2 active, 1 expired',
        'Texas (US-TX) 16 certificates: 7 active, 2 expiring soon, 1 not yet effective, 2 expired, 4 archived',
        'Submissions waiting for review 2 submissions',
        'Requests waiting on the customer 1 request',
      ]) {
        expectVisible(wrapper, text);
      }
    });

    test('leaves out the jurisdictions section for an account without certificates', async () => {
      service = serviceWith().on('GET', '/compliance/summary', ok(summary({ byJurisdiction: [], total: 0 })));
      const wrapper = await openDrawer(service);
      wrapper.act(() => drawerTabs(wrapper)?.trigger('onSelectionChange', 'summary'));
      expect(visibleText(wrapper)).not.toContain('By jurisdiction');
      expectVisible(wrapper, 'Submissions waiting for review 2 submissions');
    });
  });
});
