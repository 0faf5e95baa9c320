import { Badge, Banner, Button, Checkbox, ContextView, DateField, FocusView, List, Menu, MenuItem, Select, StripeFileUploader, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import CustomerDetailView from '../../stripe-app/src/views/CustomerDetailView';
import type { CertificateStatus, CertificateView, CustomerStatus } from '../../stripe-app/src/api/types';
import { certificate, customerPage, detailOf, preview, run } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';
import { buttonIn, buttonsIn, expectVisible, renderView, settle, visibleText, waitFor, waitForText } from './support/render';
import type { Wrapper } from './support/render';

const acme = certificate({ id: 'cert_000000000000000000000001' });

/** What the service answers to a request sent to Acme. */
const requestSent = {
  id: 'creq_000000000000000000000009',
  customer: { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' },
  email: 'tax@acme.example',
  jurisdictions: ['US-TX'],
  renewsCertificateId: 'cert_000000000000000000000007',
  message: null,
  origin: 'merchant',
  previousRequestId: null,
  status: 'sent',
  sendCount: 1,
  sentAt: '2026-05-12T15:00:00.000Z',
  expiresAt: '2026-06-11T15:00:00.000Z',
  openedAt: null,
  cancelledAt: null,
  submission: null,
  review: null,
  createdAt: '2026-05-12T15:00:00.000Z',
  updatedAt: '2026-05-12T15:00:00.000Z',
};

function serviceWith(certificates: CertificateView[], status: CustomerStatus = certificates.length === 0 ? 'none' : 'active'): FakeService {
  const service = new FakeService().on('GET', '/customers/cus_Acme/certificates', ok({ customerId: 'cus_Acme', status, data: certificates }));
  for (const one of certificates) service.on('GET', `/certificates/${one.id}`, ok(detailOf(one)));
  return service;
}

async function openPage(service: FakeService): Promise<Wrapper> {
  const wrapper = renderView(CustomerDetailView, customerPage(), service);
  await waitFor(wrapper, () => service.requests.length > 0 && !wrapper.text.includes('Loading'), 'the certificates to load');
  return wrapper;
}

async function openCertificate(wrapper: Wrapper, id: string): Promise<void> {
  wrapper.find(List)?.trigger('onAction', id);
  await waitForText(wrapper, 'Certificate details');
}

const focusView = (wrapper: Wrapper) => wrapper.find(FocusView);
const primary = (wrapper: Wrapper, label: string) => buttonIn(wrapper, focusView(wrapper)?.prop('primaryAction'), label);
const secondary = (wrapper: Wrapper, label: string) => buttonIn(wrapper, focusView(wrapper)?.prop('secondaryAction'), label);
const choose = (wrapper: Wrapper, option: string) => wrapper.act(() => wrapper.find(Menu)?.trigger('onAction', option));
const menuItems = (wrapper: Wrapper) => wrapper.findAll(MenuItem).map((item) => item.text);
const headerButtons = (wrapper: Wrapper) => buttonsIn(wrapper, wrapper.find(ContextView)?.prop('actions')).map((button) => button.label);

describe('the customer page', () => {
  let service: FakeService;
  afterEach(() => expect(service.violations).toEqual([]));

  describe('at a glance', () => {
    test('shows the customer’s overall status and one row per certificate, with its jurisdictions and expiry', async () => {
      const california = certificate({
        id: 'cert_000000000000000000000002',
        number: null,
        jurisdictions: [{ code: 'US-CA', registrationId: null, effectiveDate: '2025-01-01', expirationDate: '2026-05-30' }],
        jurisdictionStatuses: [{ code: 'US-CA', status: 'expiring_soon' }],
        status: 'expiring_soon',
        nextExpirationDate: '2026-05-30',
      });
      service = serviceWith([acme, california], 'active');
      const wrapper = await openPage(service);

      expect(service.calls('GET', '/customers/cus_Acme/certificates')).toHaveLength(1);
      // The customer's overall status in the header; each row carries its own badge.
      expect(wrapper.findAll(Badge).map((badge) => badge.text)).toEqual(['Active']);
      expectVisible(wrapper, '2 certificates');
      expectVisible(wrapper, 'Resale · TX-123456 US-TX until Dec 31, 2027 Active');
      expectVisible(wrapper, 'Resale US-CA until May 30, 2026 Expiring soon');
    });

    test('says a certificate valid until revoked has no expiration', async () => {
      service = serviceWith([certificate({ id: 'cert_000000000000000000000003', jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }], nextExpirationDate: null })]);
      const wrapper = await openPage(service);
      expectVisible(wrapper, 'US-TX (no expiration)');
    });

    test('offers "Add certificate" and "Request certificate" when the customer has none', async () => {
      service = serviceWith([]);
      const wrapper = await openPage(service);
      expectVisible(wrapper, 'No exemption certificates yet');
      expect(wrapper.findAll(Badge)).toHaveLength(0);
      expect(wrapper.text).toContain('Add certificate');
      expect(wrapper.text).toContain('Request certificate');
    });
  });

  describe('the request action', () => {
    test.each<[CustomerStatus, boolean]>([
      ['expiring_soon', true],
      ['expired', true],
      ['active', false],
      ['not_yet_effective', false],
      ['archived', false],
    ])('is offered in the header when the customer’s status is %s: %s', async (status, offered) => {
      service = serviceWith([certificate({ id: 'cert_000000000000000000000004', status: status === 'archived' ? 'archived' : (status as CertificateStatus) })], status);
      const wrapper = await openPage(service);
      expect(headerButtons(wrapper).includes('Request certificate')).toBe(offered);
      expect(headerButtons(wrapper)).toContain('Add certificate');
    });

    test.each<[CertificateStatus, boolean]>([
      ['expiring_soon', true],
      ['expired', true],
      ['active', false],
      ['not_yet_effective', false],
    ])('is offered in a %s certificate’s options menu: %s', async (status, offered) => {
      const one = certificate({ id: 'cert_000000000000000000000005', status });
      service = serviceWith([one]);
      const wrapper = await openPage(service);
      await openCertificate(wrapper, one.id);
      expect(menuItems(wrapper).includes('Request new certificate')).toBe(offered);
      expect(menuItems(wrapper)).toEqual(expect.arrayContaining(['Edit', 'Archive', 'Reprocess transactions', 'Upload certificate file']));
    });

    test('is not offered for an archived certificate, which can no longer be changed', async () => {
      const archived = certificate({ id: 'cert_000000000000000000000006', status: 'archived', archivedAt: '2026-04-01T00:00:00.000Z', archivedReason: 'Replaced' });
      service = serviceWith([archived]);
      const wrapper = await openPage(service);
      await openCertificate(wrapper, archived.id);
      expect(wrapper.find(Menu)).toBeNull();
      expectVisible(wrapper, 'Replaced');
    });

    test('sends the request to the prefilled email, as edited, renewing the certificate', async () => {
      const expiring = certificate({ id: 'cert_000000000000000000000007', status: 'expiring_soon' });
      service = serviceWith([expiring]).on('POST', '/certificate-requests', (request) => ({
        status: 201,
        body: {
          ...requestSent,
          email: (request.body as { email: string }).email,
        },
      }));
      const wrapper = await openPage(service);
      await openCertificate(wrapper, expiring.id);
      choose(wrapper, 'request');

      const email = wrapper.find(TextField, { label: 'Customer email' });
      expect(email?.prop('value')).toBe('tax@acme.example');
      wrapper.act(() => email?.trigger('onChange', { target: { value: 'purchasing@acme.example' } }));
      primary(wrapper, 'Send request').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the confirmation');

      expect(service.calls('POST', '/certificate-requests').map((call) => call.body)).toEqual([
        { customerId: 'cus_Acme', email: 'purchasing@acme.example', renewsCertificateId: expiring.id },
      ]);
      expect(service.toasts).toEqual([{ message: 'Request sent to purchasing@acme.example', kind: 'success' }]);
    });

    test('says why when the service refuses the request', async () => {
      service = serviceWith([]).on('POST', '/certificate-requests', {
        status: 409,
        body: { error: { message: 'a request to the customer is already open (creq_000000000000000000000001)' } },
      });
      const wrapper = await openPage(service);
      const requestButton = wrapper.findAll(Button).find((button) => button.text === 'Request certificate');
      wrapper.act(() => requestButton?.trigger('onPress'));
      primary(wrapper, 'Send request').press();
      await waitForText(wrapper, 'A request to the customer is already open');
      expect(service.calls('POST', '/certificate-requests')[0]?.body).toEqual({ customerId: 'cus_Acme' });
    });
  });

  describe('review', () => {
    test('shows the certificate’s details, jurisdictions, file, notes and history', async () => {
      service = serviceWith([acme]);
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      for (const text of ['Resale', 'Single-state form', 'TX-123456', 'Blanket (every purchase)', 'Texas (US-TX)', 'Registration 1-23-4567890', 'expires Dec 31, 2027', 'acme-texas-resale.pdf', 'Received by email', 'Edited · version 3', 'File attached · version 2', 'Created · version 1', 'changed notes']) {
        expectVisible(wrapper, text);
      }
    });

    test('says when a certificate could not be loaded, and loads it again on request', async () => {
      service = serviceWith([acme]).on('GET', `/certificates/${acme.id}`, { status: 503, body: { error: { message: 'The database is unavailable; try again shortly' } } });
      const wrapper = await openPage(service);
      wrapper.find(List)?.trigger('onAction', acme.id);
      await waitForText(wrapper, 'The certificate could not be loaded');
      expectVisible(wrapper, 'The certificates service is unavailable right now');
      service.on('GET', `/certificates/${acme.id}`, ok(detailOf(acme)));
      const retry = buttonIn(wrapper, wrapper.find(Banner)?.prop('actions'), 'Try again');
      retry.press();
      await waitForText(wrapper, 'Certificate details');
    });
  });

  describe('edit', () => {
    async function editing(): Promise<Wrapper> {
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'edit');
      expect(focusView(wrapper)?.prop('title')).toBe('Edit certificate');
      return wrapper;
    }

    test('saves only what changed, against the version on screen, and confirms with a toast', async () => {
      service = serviceWith([acme]).on('PATCH', `/certificates/${acme.id}`, (request) => ok({ ...acme, version: 4, notes: (request.body as { notes: string }).notes }));
      const wrapper = await editing();
      expect(primary(wrapper, 'Save').disabled).toBe(true);

      wrapper.act(() => wrapper.find(TextArea, { label: 'Notes' })?.trigger('onChange', { target: { value: 'Renewed by phone' } }));
      wrapper.act(() => wrapper.find(DateField, { label: 'Expiration date' })?.trigger('onChange', '2028-12-31'));
      expect(primary(wrapper, 'Save').disabled).toBe(false);
      primary(wrapper, 'Save').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');

      expect(service.calls('PATCH', `/certificates/${acme.id}`).map((call) => call.body)).toEqual([
        {
          expectedVersion: 3,
          jurisdictions: [{ code: 'US-TX', registrationId: '1-23-4567890', effectiveDate: '2026-01-01', expirationDate: '2028-12-31' }],
          notes: 'Renewed by phone',
        },
      ]);
      expect(service.toasts).toEqual([{ message: 'Certificate saved', kind: 'success' }]);
      await waitForText(wrapper, 'Certificate details');
      expect(focusView(wrapper)?.prop('title')).toBe('Certificate');
    });

    test('shows what is wrong next to each field and sends nothing', async () => {
      service = serviceWith([acme]);
      const wrapper = await editing();
      wrapper.act(() => wrapper.find(DateField, { label: 'Expiration date' })?.trigger('onChange', '2025-06-30'));
      wrapper.act(() => wrapper.find(TextField, { label: 'Registration id' })?.trigger('onChange', { target: { value: 'R'.repeat(65) } }));
      primary(wrapper, 'Save').press();
      await settle(wrapper);

      expect(wrapper.find(DateField, { label: 'Expiration date' })?.prop('error')).toBe('expiration date 2025-06-30 is before effective date 2026-01-01');
      expect(wrapper.find(TextField, { label: 'Registration id' })?.prop('error')).toBe('must be at most 64 characters');
      expect(service.calls('PATCH', `/certificates/${acme.id}`)).toEqual([]);
    });

    test('asks for the explanation when the reason is "other"', async () => {
      service = serviceWith([acme]);
      const wrapper = await editing();
      wrapper.act(() => wrapper.find(Select, { label: 'Exemption reason' })?.trigger('onChange', { target: { value: 'other' } }));
      primary(wrapper, 'Save').press();
      await settle(wrapper);
      expect(wrapper.find(TextField, { label: 'Explain the exemption' })?.prop('error')).toBe('explain the exemption when the reason is other');
      expect(service.calls('PATCH', `/certificates/${acme.id}`)).toEqual([]);
    });

    test('explains a version conflict and reloads the other person’s version when asked', async () => {
      const theirs = { ...acme, version: 4, notes: 'Checked by the auditor' };
      service = serviceWith([acme]).on('PATCH', `/certificates/${acme.id}`, {
        status: 409,
        body: { error: { message: `certificate ${acme.id} is at version 4, not 3`, details: { current: theirs } } },
      });
      const wrapper = await editing();
      wrapper.act(() => wrapper.find(TextArea, { label: 'Notes' })?.trigger('onChange', { target: { value: 'Mine' } }));
      primary(wrapper, 'Save').press();
      await waitForText(wrapper, 'This certificate changed while you were working on it');

      expectVisible(wrapper, 'Someone else saved this certificate since you opened it (it is now at version 4). Reload it to see their changes, then make yours again.');
      expect(primary(wrapper, 'Save').disabled).toBe(true);
      expect(service.toasts).toEqual([]);

      service.on('GET', `/certificates/${acme.id}`, ok(detailOf(theirs)));
      const conflictBanner = wrapper.findAll(Banner).find((banner) => banner.prop('title') === 'This certificate changed while you were working on it');
      buttonIn(wrapper, conflictBanner?.prop('actions'), 'Reload').press();
      await settle(wrapper);
      expect(wrapper.find(TextArea, { label: 'Notes' })?.prop('value')).toBe('Checked by the auditor');
      expect(visibleText(wrapper)).not.toContain('This certificate changed while you were working on it');

      service.on('PATCH', `/certificates/${acme.id}`, (request) => ok({ ...theirs, version: 5, notes: (request.body as { notes: string }).notes }));
      wrapper.act(() => wrapper.find(TextArea, { label: 'Notes' })?.trigger('onChange', { target: { value: 'Mine, again' } }));
      primary(wrapper, 'Save').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the save');
      expect(service.calls('PATCH', `/certificates/${acme.id}`).at(-1)?.body).toEqual({ expectedVersion: 4, notes: 'Mine, again' });
    });

    test('asks before closing with unsaved changes, and not without', async () => {
      service = serviceWith([acme]);
      const wrapper = await editing();
      expect(focusView(wrapper)?.prop('confirmCloseMessages')).toBeUndefined();

      wrapper.act(() => wrapper.find(TextArea, { label: 'Notes' })?.trigger('onChange', { target: { value: 'Half-typed' } }));
      expect(focusView(wrapper)?.prop('confirmCloseMessages')).toEqual({
        title: 'Discard your changes?',
        description: 'What you changed in this certificate has not been saved.',
        cancelAction: 'Keep editing',
        exitAction: 'Discard',
      });

      secondary(wrapper, 'Cancel').press();
      expectVisible(wrapper, 'Discard your changes?');
      const discard = wrapper.findAll(Banner).find((banner) => banner.prop('title') === 'Discard your changes?');
      buttonIn(wrapper, discard?.prop('actions'), 'Keep editing').press();
      expect(wrapper.find(TextArea, { label: 'Notes' })?.prop('value')).toBe('Half-typed');

      secondary(wrapper, 'Cancel').press();
      const again = wrapper.findAll(Banner).find((banner) => banner.prop('title') === 'Discard your changes?');
      buttonIn(wrapper, again?.prop('actions'), 'Discard changes').press();
      await settle(wrapper);
      expect(focusView(wrapper)?.prop('title')).toBe('Certificate');
      expect(service.calls('PATCH', `/certificates/${acme.id}`)).toEqual([]);
    });
  });

  describe('archive', () => {
    test('asks for confirmation first, then archives with the reason and the version on screen', async () => {
      service = serviceWith([acme]).on('POST', `/certificates/${acme.id}/archive`, ok({ ...acme, version: 4, status: 'archived', archivedAt: '2026-05-12T15:00:00.000Z', archivedReason: 'Customer closed' }));
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'archive');

      expectVisible(wrapper, 'Archive this resale certificate (TX-123456)?');
      expectVisible(wrapper, 'It will no longer be applied to Acme Supply\'s new invoices');
      expect(service.calls('POST', `/certificates/${acme.id}/archive`)).toEqual([]);

      wrapper.act(() => wrapper.find(TextArea, { label: 'Reason (optional)' })?.trigger('onChange', { target: { value: 'Customer closed' } }));
      primary(wrapper, 'Archive certificate').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');
      expect(service.calls('POST', `/certificates/${acme.id}/archive`).map((call) => call.body)).toEqual([{ reason: 'Customer closed', expectedVersion: 3 }]);
      expect(service.toasts).toEqual([{ message: 'Certificate archived', kind: 'success' }]);
    });

    test('archives nothing when the merchant cancels', async () => {
      service = serviceWith([acme]);
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'archive');
      secondary(wrapper, 'Cancel').press();
      await settle(wrapper);
      expect(focusView(wrapper)?.prop('title')).toBe('Certificate');
      expect(service.calls('POST', `/certificates/${acme.id}/archive`)).toEqual([]);
    });
  });

  describe('reprocess transactions', () => {
    test('goes from dates to preview to an acknowledged start, shows progress, and ends with the run’s numbers', async () => {
      const runId = 'rp_00000000000000000000000c';
      let polls = 0;
      service = serviceWith([acme])
        .on('POST', `/certificates/${acme.id}/reprocess/preview`, ok(preview()))
        .on('POST', `/certificates/${acme.id}/reprocess`, { status: 201, body: run({ certificateId: acme.id }) })
        .on('GET', `/reprocess/${runId}`, () => {
          polls += 1;
          return ok(polls < 2 ? run({ certificateId: acme.id, status: 'running', processed: 1, changed: 1 }) : run({ certificateId: acme.id, status: 'completed', processed: 3, changed: 3, finishedAt: '2026-05-12T15:01:00.000Z' }));
        });
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'reprocess');

      // 1. Dates, and 2. the address checkbox.
      expect(focusView(wrapper)?.prop('title')).toBe('Reprocess transactions');
      expect(wrapper.find(DateField, { label: 'Start date' })?.prop('value')).toBe('2026-01-01');
      wrapper.act(() => wrapper.find(DateField, { label: 'Start date' })?.trigger('onChange', '2026-03-01'));
      wrapper.act(() => wrapper.find(DateField, { label: 'End date' })?.trigger('onChange', '2026-05-31'));
      const address = wrapper.find(Checkbox, { label: 'Prioritize customer address over invoice address' });
      expect(address?.prop('checked')).toBe(false);
      wrapper.act(() => address?.trigger('onChange', { target: { checked: true } }));

      // 3. Next: the preview's numbers and warnings.
      primary(wrapper, 'Next').press();
      await waitForText(wrapper, 'Transactions in range');
      expect(service.calls('POST', `/certificates/${acme.id}/reprocess/preview`).map((call) => call.body)).toEqual([{ startDate: '2026-03-01', endDate: '2026-05-31', prioritizeCustomerAddress: true }]);
      for (const text of ['In filed periods (corrected in the current period)', '$30.00', 'Some transactions are in periods already filed', 'you may owe the customer a refund']) expectVisible(wrapper, text);

      // 4. Start stays disabled until the acknowledgement is checked.
      expect(primary(wrapper, 'Start').disabled).toBe(true);
      primary(wrapper, 'Start').press();
      await settle(wrapper);
      expect(service.calls('POST', `/certificates/${acme.id}/reprocess`)).toEqual([]);
      const acknowledgement = wrapper.findAll(Checkbox).find((box) => String(box.prop('label')).startsWith('I understand'));
      expect(acknowledgement?.prop('label')).toBe('I understand the 2 warnings above and that 3 transactions will be rewritten in the ledger');
      wrapper.act(() => acknowledgement?.trigger('onChange', { target: { checked: true } }));
      expect(primary(wrapper, 'Start').disabled).toBe(false);
      primary(wrapper, 'Start').press();

      // 5. Progress until the run finishes.
      await waitForText(wrapper, 'Reprocessing…');
      expect(service.calls('POST', `/certificates/${acme.id}/reprocess`).map((call) => call.body)).toEqual([
        { startDate: '2026-03-01', endDate: '2026-05-31', prioritizeCustomerAddress: true, acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due'] },
      ]);
      await waitForText(wrapper, 'Reprocessing finished');
      expectVisible(wrapper, '3 of 3 transactions processed, 3 changed');
      expect(service.toasts).toEqual([{ message: 'Reprocessing finished: 3 of 3 transactions changed', kind: 'success' }]);
      expect(polls).toBe(2);
    });

    test('will not preview an end date before the start date', async () => {
      service = serviceWith([acme]);
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'reprocess');
      wrapper.act(() => wrapper.find(DateField, { label: 'Start date' })?.trigger('onChange', '2026-05-01'));
      wrapper.act(() => wrapper.find(DateField, { label: 'End date' })?.trigger('onChange', '2026-04-01'));
      primary(wrapper, 'Next').press();
      await settle(wrapper);
      expect(wrapper.find(DateField, { label: 'End date' })?.prop('error')).toBe('the end date is before the start date');
      expect(service.calls('POST', `/certificates/${acme.id}/reprocess/preview`)).toEqual([]);
    });

    test('goes back from the preview to the dates', async () => {
      service = serviceWith([acme]).on('POST', `/certificates/${acme.id}/reprocess/preview`, ok(preview()));
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'reprocess');
      primary(wrapper, 'Next').press();
      await waitForText(wrapper, 'Transactions in range');
      secondary(wrapper, 'Back').press();
      expect(wrapper.find(DateField, { label: 'Start date' })).not.toBeNull();
    });
  });

  describe('upload', () => {
    test('uploads with the Stripe file uploader for tax documents and attaches the file to the certificate', async () => {
      service = serviceWith([acme]).on('POST', `/certificates/${acme.id}/files`, {
        status: 201,
        body: { file: detailOf(acme).files[0], certificate: { ...acme, version: 4 } },
      });
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'upload');

      const uploader = wrapper.find(StripeFileUploader);
      expect(uploader?.prop('purpose')).toBe('tax_document_user_upload');
      wrapper.act(() => uploader?.trigger('onComplete', { id: 'file_1Signed', filename: 'signed.pdf' }));
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');
      expect(service.calls('POST', `/certificates/${acme.id}/files`).map((call) => call.body)).toEqual([{ stripeFileId: 'file_1Signed' }]);
      expect(service.toasts).toEqual([{ message: 'signed.pdf attached', kind: 'success' }]);
    });

    test('explains a file the service refuses', async () => {
      service = serviceWith([acme]).on('POST', `/certificates/${acme.id}/files`, { status: 415, body: { error: { message: 'file must be a PDF, PNG or JPEG' } } });
      const wrapper = await openPage(service);
      await openCertificate(wrapper, acme.id);
      choose(wrapper, 'upload');
      wrapper.act(() => wrapper.find(StripeFileUploader)?.trigger('onComplete', { id: 'file_1Zip', filename: 'archive.zip' }));
      await waitForText(wrapper, 'File must be a PDF, PNG or JPEG.');
      expect(service.toasts).toEqual([]);
    });
  });

  describe('add a certificate', () => {
    test('creates it for this customer from the empty state', async () => {
      const created = certificate({ id: 'cert_000000000000000000000008', version: 1 });
      service = serviceWith([]).on('POST', '/certificates', { status: 201, body: created }).on('GET', `/certificates/${created.id}`, ok(detailOf(created)));
      const wrapper = await openPage(service);
      const add = wrapper.findAll(Button).find((button) => button.text === 'Add certificate');
      wrapper.act(() => add?.trigger('onPress'));

      expect(focusView(wrapper)?.prop('title')).toBe('Add certificate');
      wrapper.act(() => wrapper.find(Select, { label: 'Jurisdiction 1' })?.trigger('onChange', { target: { value: 'US-TX' } }));
      wrapper.act(() => wrapper.find(DateField, { label: 'Effective date' })?.trigger('onChange', '2026-01-01'));
      wrapper.act(() => wrapper.find(TextField, { label: 'Certificate or permit number' })?.trigger('onChange', { target: { value: 'TX-123456' } }));
      primary(wrapper, 'Save certificate').press();
      await waitFor(wrapper, () => service.toasts.length > 0, 'the toast');

      expect(service.calls('POST', '/certificates').map((call) => call.body)).toEqual([
        {
          customerId: 'cus_Acme',
          reason: 'resale',
          reasonOther: null,
          form: 'single_state',
          number: 'TX-123456',
          purchase: { type: 'blanket' },
          jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
          notes: '',
        },
      ]);
      expect(service.toasts).toEqual([{ message: 'Certificate added', kind: 'success' }]);
      await waitForText(wrapper, 'Certificate details');
    });

    test('asks for the jurisdiction and its effective date before sending anything', async () => {
      service = serviceWith([]);
      const wrapper = await openPage(service);
      wrapper.act(() => wrapper.findAll(Button).find((button) => button.text === 'Add certificate')?.trigger('onPress'));
      primary(wrapper, 'Save certificate').press();
      await settle(wrapper);
      expect(wrapper.find(Select, { label: 'Jurisdiction 1' })?.prop('error')).toBe('choose a jurisdiction');
      expect(wrapper.find(DateField, { label: 'Effective date' })?.prop('error')).toBe('enter the date the certificate takes effect');
      expect(service.calls('POST', '/certificates')).toEqual([]);
    });
  });
});
