import { Button, Link, List } from '@stripe/ui-extension-sdk/ui';
import CustomerDetailView from '../../stripe-app/src/views/CustomerDetailView';
import type { CertificateDetail } from '../../stripe-app/src/api/types';
import { certificate, customerPage, detailOf } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';
import { expectVisible, renderView, visibleText, waitFor, waitForText } from './support/render';
import type { Wrapper } from './support/render';

const acme = certificate({ id: 'cert_000000000000000000000011' });
const fileId = 'cfile_000000000000000000000001';
const linkPath = `/certificates/${acme.id}/files/${fileId}/link`;
const DOWNLOAD_URL = 'https://exemptions.example.com/downloads/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';

function serviceFor(detail: CertificateDetail): FakeService {
  return new FakeService()
    .on('GET', '/customers/cus_Acme/certificates', ok({ customerId: 'cus_Acme', status: 'active', data: [acme] }))
    .on('GET', `/certificates/${acme.id}`, ok(detail));
}

async function reviewCertificate(service: FakeService): Promise<Wrapper> {
  const wrapper = renderView(CustomerDetailView, customerPage(), service);
  await waitFor(wrapper, () => service.requests.length > 0 && !wrapper.text.includes('Loading'), 'the certificates to load');
  wrapper.find(List)?.trigger('onAction', acme.id);
  await waitForText(wrapper, 'Certificate details');
  return wrapper;
}

const buttonLabelled = (wrapper: Wrapper, label: string) => wrapper.findAll(Button).find((button) => button.text === label);
const openFileLink = (wrapper: Wrapper) => wrapper.findAll(Link).find((link) => link.text === 'Open file');

function press(wrapper: Wrapper, label: string): void {
  const button = buttonLabelled(wrapper, label);
  if (button === undefined) throw new Error(`No "${label}" button. The view shows: ${visibleText(wrapper)}`);
  wrapper.act(() => button.trigger('onPress', {}));
}

describe('opening a certificate’s stored file', () => {
  let service: FakeService;
  afterEach(() => expect(service.violations).toEqual([]));

  test('asks the service for a link only when the merchant wants the file, then opens it in a new tab', async () => {
    service = serviceFor(detailOf(acme)).on('POST', linkPath, { status: 201, body: { url: DOWNLOAD_URL, expiresAt: '2026-05-12T15:05:00.000Z' } });
    const wrapper = await reviewCertificate(service);

    expectVisible(wrapper, 'acme-texas-resale.pdf');
    expect(buttonLabelled(wrapper, 'Get download link')).toBeDefined();
    expect(openFileLink(wrapper)).toBeUndefined();
    expect(service.calls('POST', linkPath)).toHaveLength(0);

    press(wrapper, 'Get download link');
    await waitFor(wrapper, () => openFileLink(wrapper) !== undefined, 'the Open file link');

    // Signed like every call (FakeService checks the signature and the documented answer).
    expect(service.calls('POST', linkPath)).toHaveLength(1);
    expect(service.calls('POST', linkPath)[0]?.body).toBeUndefined();
    const link = openFileLink(wrapper);
    expect(link?.prop('href')).toBe(DOWNLOAD_URL);
    expect(link?.prop('target')).toBe('_blank');
    expect(link?.prop('external')).toBe(true);
    expectVisible(wrapper, 'Link works until');
    expect(buttonLabelled(wrapper, 'Get download link')).toBeUndefined();
  });

  test('gets a fresh link on request, since each one stops working after a few minutes', async () => {
    let issued = 0;
    service = serviceFor(detailOf(acme)).on('POST', linkPath, () => {
      issued += 1;
      return { status: 201, body: { url: `${DOWNLOAD_URL.slice(0, -1)}${issued}`, expiresAt: '2026-05-12T15:05:00.000Z' } };
    });
    const wrapper = await reviewCertificate(service);

    press(wrapper, 'Get download link');
    await waitFor(wrapper, () => openFileLink(wrapper)?.prop('href') === `${DOWNLOAD_URL.slice(0, -1)}1`, 'the first link');
    press(wrapper, 'New link');
    await waitFor(wrapper, () => openFileLink(wrapper)?.prop('href') === `${DOWNLOAD_URL.slice(0, -1)}2`, 'the second link');
    expect(service.calls('POST', linkPath)).toHaveLength(2);
  });

  test('says why when the service refuses, and lets the merchant try again', async () => {
    service = serviceFor(detailOf(acme)).on('POST', linkPath, { status: 404, body: { error: { message: `No file ${fileId} on certificate ${acme.id}` } } });
    const wrapper = await reviewCertificate(service);

    press(wrapper, 'Get download link');
    await waitForText(wrapper, 'The link could not be made');
    expectVisible(wrapper, `No file ${fileId} on certificate ${acme.id}`);
    expect(openFileLink(wrapper)).toBeUndefined();

    service.on('POST', linkPath, { status: 201, body: { url: DOWNLOAD_URL, expiresAt: '2026-05-12T15:05:00.000Z' } });
    press(wrapper, 'Try again');
    await waitFor(wrapper, () => openFileLink(wrapper)?.prop('href') === DOWNLOAD_URL, 'the link after trying again');
  });

  test('warns before the merchant opens a PDF the worker flagged for active content, and not otherwise', async () => {
    const flagged = detailOf(acme);
    const [file] = flagged.files;
    if (file === undefined) throw new Error('the fixture has a file');
    service = serviceFor({ ...flagged, files: [{ ...file, activeContent: ['javascript', 'launch_action'] }] });
    const wrapper = await reviewCertificate(service);
    expectVisible(wrapper, 'Open with care');
    expectVisible(wrapper, 'This PDF contains JavaScript, a launch action.');

    service = serviceFor({ ...flagged, files: [{ ...file, activeContent: ['not_fully_inspected'] }] });
    const unread = await reviewCertificate(service);
    expectVisible(unread, 'This PDF contains parts too large for the check to read, which could hide active content.');

    service = serviceFor(detailOf(acme));
    const plain = await reviewCertificate(service);
    expect(visibleText(plain)).not.toContain('Open with care');
  });

  test('offers no link for a certificate without a file', async () => {
    service = serviceFor(detailOf(acme, { files: [] }));
    const wrapper = await reviewCertificate(service);

    expectVisible(wrapper, 'No signed certificate on file yet');
    expect(buttonLabelled(wrapper, 'Get download link')).toBeUndefined();
    expect(openFileLink(wrapper)).toBeUndefined();
  });
});
