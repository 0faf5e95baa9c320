import { Banner, Link } from '@stripe/ui-extension-sdk/ui';
import InvoiceDetailView from '../../stripe-app/src/views/InvoiceDetailView';
import { certificate, certificateId, detailOf, invoicePage, ledgerEntry } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';
import { expectVisible, renderView, visibleText, waitFor, waitForText } from './support/render';
import type { Wrapper } from './support/render';

async function openInvoice(service: FakeService): Promise<Wrapper> {
  const wrapper = renderView(InvoiceDetailView, invoicePage(), service);
  await waitFor(wrapper, () => service.requests.length > 0 && !visibleText(wrapper).includes('Loading'), 'the ledger');
  return wrapper;
}

const banners = (wrapper: Wrapper) => wrapper.findAll(Banner).map((banner) => banner.prop('title'));

describe('the invoice page', () => {
  let service: FakeService;
  afterEach(() => expect(service.violations).toEqual([]));

  test('asks the ledger about this invoice only', async () => {
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [ledgerEntry()] }));
    await openInvoice(service);
    expect(service.requests.map((request) => request.query)).toEqual([{ invoiceId: 'in_1Acme' }]);
  });

  test('shows the certificate that applied, and opens it from its link', async () => {
    const applied = certificate({ id: certificateId(7) });
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [ledgerEntry()] })).on('GET', `/certificates/${applied.id}`, ok(detailOf(applied)));
    const wrapper = await openInvoice(service);
    expectVisible(wrapper, 'Texas (US-TX)');
    expectVisible(wrapper, 'Exempt');
    expectVisible(wrapper, 'Taxable $0.00 · exempt $100.00 · tax $0.00 · period 2026-05');
    expectVisible(wrapper, 'Certificate applied:');
    expect(wrapper.find(Link)?.text).toBe('Resale TX-123456 (version 3)');
    expect(banners(wrapper)).toEqual([]);

    wrapper.act(() => wrapper.find(Link)?.trigger('onPress'));
    await waitForText(wrapper, 'Certificate details');
    expect(service.calls('GET', `/certificates/${applied.id}`)).toHaveLength(1);
  });

  test('flags exposure when the invoice went out exempt with no certificate covering it', async () => {
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [ledgerEntry({ certificate: null, flags: { exposure: true, overCollection: false } })] }));
    const wrapper = await openInvoice(service);
    expect(banners(wrapper)).toEqual(['Exposure']);
    expectVisible(wrapper, 'This invoice went out tax-exempt in US-TX with no valid certificate covering it.');
    expectVisible(wrapper, 'No certificate applied.');
  });

  test('flags over-collection when tax was charged although a certificate covered the sale', async () => {
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [ledgerEntry({ treatment: 'taxable', taxable: 10_000, exempt: 0, tax: 825, flags: { exposure: false, overCollection: true } })] }));
    const wrapper = await openInvoice(service);
    expect(banners(wrapper)).toEqual(['Over-collection']);
    expectVisible(wrapper, 'Tax of $8.25 was charged although a valid certificate covered this sale');
  });

  test('shows the current treatment after reprocessing, not the one it replaced', async () => {
    const original = ledgerEntry({ certificate: null, treatment: 'taxable', taxable: 10_000, exempt: 0, tax: 825, flags: { exposure: false, overCollection: true } });
    const negation = ledgerEntry({ ...original, id: 'in_1Acme:US-TX:negation', kind: 'negation', taxable: -10_000, tax: -825, negates: original.id, cause: 'reprocess', causeId: 'rp_1' });
    const revision = ledgerEntry({ id: 'in_1Acme:US-TX:s2', kind: 'revision', revision: 2, supersedes: original.id, cause: 'reprocess', causeId: 'rp_1' });
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [original, negation, revision] }));
    const wrapper = await openInvoice(service);
    expect(banners(wrapper)).toEqual([]);
    expect(wrapper.find(Link)?.text).toBe('Resale TX-123456 (version 3)');
  });

  test('says a voided invoice has no certificate applied any more', async () => {
    const original = ledgerEntry();
    service = new FakeService().on('GET', '/ledger/entries', ok({ data: [original, ledgerEntry({ id: 'in_1Acme:US-TX:negation', kind: 'negation', exempt: -10_000, negates: original.id, cause: 'invoice.voided', causeId: 'evt_1Voided' })] }));
    const wrapper = await openInvoice(service);
    expectVisible(wrapper, 'This invoice was voided');
  });
});
