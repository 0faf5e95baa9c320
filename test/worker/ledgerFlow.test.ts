import type Stripe from 'stripe';
import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';
import { deliver, finalizedInvoice, processedEvent, stripeEvent, type InvoiceTaxRow } from '../support/stripeEvents.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Ledger00000001', livemode: false };
const MAY_3 = '2026-05-03T15:00:00Z';

interface Entry {
  id: string;
  kind: string;
  jurisdiction: string | null;
  taxable: number;
  exempt: number;
  tax: number;
  periodKey: string;
  flags: { exposure: boolean; overCollection: boolean };
  certificate: { id: string } | null;
}
interface Totals {
  data: Array<{ jurisdiction: string | null; taxable: number; exempt: number; tax: number; exposedExempt: number; overCollectedTax: number }>;
}

/** A finalized invoice; every invoice here was finalized on 3 May. */
function invoice(id: string, customer: string, taxes: InvoiceTaxRow[], totalExcludingTax: number, taxExempt: 'none' | 'exempt' = 'none') {
  return finalizedInvoice(id, customer, MAY_3, taxes, totalExcludingTax, taxExempt);
}

function creditNote(id: string, invoiceId: string, totalExcludingTax: number, tax: number) {
  return {
    id,
    invoice: invoiceId,
    currency: 'usd',
    created: Math.floor(Date.parse('2026-05-20T10:00:00Z') / 1000),
    effective_at: null,
    subtotal: totalExcludingTax,
    total_excluding_tax: totalExcludingTax,
    total_taxes: [{ amount: tax }],
  };
}

describe('the tax ledger from Stripe events', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addTaxRate(merchant, { id: 'txr_TXstate', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
    .addTaxRate(merchant, { id: 'txr_TXcity', country: 'US', state: 'TX', jurisdictionLevel: 'city', percentage: 2 })
    .addTaxRate(merchant, { id: 'txr_CAstate', country: 'US', state: 'CA', jurisdictionLevel: 'state', percentage: 7.25 })
    .addCustomer(merchant, { id: 'cus_Plain', address: { country: 'US', state: 'TX' } })
    .addCustomer(merchant, { id: 'cus_Reseller', address: { country: 'US', state: 'TX' } })
    .addCustomer(merchant, { id: 'cus_NoPaper', address: { country: 'US', state: 'TX' } });

  beforeAll(async () => {
    service = await startTestService({ role: 'all', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
    const certificate = await api.post('/api/v1/certificates', {
      customerId: 'cus_Reseller',
      reason: 'resale',
      form: 'single_state',
      number: 'TX-RS-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect(certificate.status).toBe(201);
  });
  afterAll(() => service.dispose());

  async function send(type: Stripe.Event.Type, object: Record<string, unknown> & { id: string }): Promise<void> {
    const event = stripeEvent(type, object as never, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processedEvent(service.db, event.id);
  }

  const entriesOf = async (invoiceId: string) => (await api.get<{ data: Entry[] }>(`/api/v1/ledger/entries?invoiceId=${invoiceId}`)).body.data;
  const totalsOf = async (invoiceId: string) => (await api.get<Totals>(`/api/v1/ledger/totals?invoiceId=${invoiceId}&by=jurisdiction`)).body.data;

  it('books a multi-jurisdiction invoice as one entry per state, local rows on the state base', async () => {
    await send(
      'invoice.finalized',
      invoice('in_Multi', 'cus_Plain', [
        { rate: 'txr_TXstate', taxable: 10000, amount: 625 },
        { rate: 'txr_TXcity', taxable: 10000, amount: 200 },
        { rate: 'txr_CAstate', taxable: 5000, amount: 363 },
      ], 15000),
    );
    const entries = await entriesOf('in_Multi');
    expect(entries.map(({ id, kind, jurisdiction, taxable, exempt, tax, periodKey }) => ({ id, kind, jurisdiction, taxable, exempt, tax, periodKey }))).toEqual([
      { id: 'in_Multi:US-CA', kind: 'original', jurisdiction: 'US-CA', taxable: 5000, exempt: 0, tax: 363, periodKey: '2026-05' },
      { id: 'in_Multi:US-TX', kind: 'original', jurisdiction: 'US-TX', taxable: 10000, exempt: 0, tax: 825, periodKey: '2026-05' },
    ]);
    expect(entries.every((e) => !e.flags.exposure && !e.flags.overCollection)).toBe(true);
  });

  it('books an exempt sale covered by a certificate as exempt, with the certificate as it was', async () => {
    await send('invoice.finalized', invoice('in_Covered', 'cus_Reseller', [{ rate: 'txr_TXstate', taxable: 0, amount: 0, reason: 'customer_exempt' }], 20000, 'exempt'));
    const [entry] = await entriesOf('in_Covered');
    expect(entry).toMatchObject({ jurisdiction: 'US-TX', taxable: 0, exempt: 20000, tax: 0, flags: { exposure: false, overCollection: false } });
    expect(entry?.certificate).not.toBeNull();
  });

  it('flags exposure when a sale went out exempt with no certificate covering it', async () => {
    await send('invoice.finalized', invoice('in_Exposed', 'cus_NoPaper', [{ rate: 'txr_TXstate', taxable: 0, amount: 0, reason: 'customer_exempt' }], 7000, 'exempt'));
    const totals = await totalsOf('in_Exposed');
    expect(totals).toEqual([expect.objectContaining({ jurisdiction: 'US-TX', exempt: 7000, exposedExempt: 7000, tax: 0 })]);
  });

  it('flags over-collection when tax was charged although a certificate covered the sale', async () => {
    await send('invoice.finalized', invoice('in_Over', 'cus_Reseller', [{ rate: 'txr_TXstate', taxable: 4000, amount: 250 }], 4000));
    const totals = await totalsOf('in_Over');
    expect(totals).toEqual([expect.objectContaining({ jurisdiction: 'US-TX', taxable: 4000, tax: 250, overCollectedTax: 250 })]);
  });

  it('negates an invoice exactly when it is voided, keeping every entry', async () => {
    const voided = invoice('in_Void', 'cus_Plain', [{ rate: 'txr_TXstate', taxable: 8000, amount: 500 }], 8000);
    await send('invoice.finalized', voided);
    await send('invoice.voided', { ...voided, status: 'void' });
    const entries = await entriesOf('in_Void');
    expect(entries.map((e) => [e.kind, e.taxable, e.tax])).toEqual([
      ['original', 8000, 500],
      ['negation', -8000, -500],
    ]);
    expect(await totalsOf('in_Void')).toEqual([expect.objectContaining({ taxable: 0, exempt: 0, tax: 0 })]);
  });

  it('books partial credit notes in proportion, negates exactly with three thirds, and restores a voided one', async () => {
    stripe.addInvoice(merchant, invoice('in_Credit', 'cus_Plain', [
      { rate: 'txr_TXstate', taxable: 10000, amount: 625 },
      { rate: 'txr_TXcity', taxable: 10000, amount: 200 },
      { rate: 'txr_CAstate', taxable: 5000, amount: 363 },
    ], 15000));
    // The credit note arrives before the invoice's own event: the invoice is fetched and booked first.
    await send('credit_note.created', creditNote('cn_First', 'in_Credit', 5000, 396));
    expect(await totalsOf('in_Credit')).toEqual([
      expect.objectContaining({ jurisdiction: 'US-CA', taxable: 5000 - 1666, tax: 363 - 121 }),
      expect.objectContaining({ jurisdiction: 'US-TX', taxable: 10000 - 3333, tax: 825 - 275 }),
    ]);
    await send('credit_note.created', creditNote('cn_Second', 'in_Credit', 5000, 396));
    const afterTwo = await totalsOf('in_Credit');
    expect(afterTwo.map((row) => [row.jurisdiction, row.taxable, row.tax])).toEqual([
      ['US-CA', 5000 - 3333, 363 - 242],
      ['US-TX', 10000 - 6666, 825 - 550],
    ]);
    await send('credit_note.created', creditNote('cn_Third', 'in_Credit', 5000, 396));
    expect(await totalsOf('in_Credit')).toEqual([
      expect.objectContaining({ jurisdiction: 'US-CA', taxable: 0, tax: 0 }),
      expect.objectContaining({ jurisdiction: 'US-TX', taxable: 0, tax: 0 }),
    ]);
    await send('credit_note.voided', creditNote('cn_Third', 'in_Credit', 5000, 396));
    const amounts = (rows: Totals['data']) => rows.map((row) => [row.jurisdiction, row.taxable, row.exempt, row.tax]);
    expect(amounts(await totalsOf('in_Credit'))).toEqual(amounts(afterTwo));
    // Nothing was deleted or changed in place: 2 originals + 3 credits × 2 + 2 reversals.
    expect(await entriesOf('in_Credit')).toHaveLength(10);
  });

  it('books an invoice once when its event is delivered twenty times at once, among its credit note', async () => {
    const paid = invoice('in_Storm', 'cus_Plain', [{ rate: 'txr_TXstate', taxable: 3000, amount: 188 }], 3000);
    stripe.addInvoice(merchant, paid);
    const finalized = stripeEvent('invoice.finalized', paid as never, merchant);
    const credited = stripeEvent('credit_note.created', creditNote('cn_Storm', 'in_Storm', 1500, 94) as never, merchant);
    const deliveries = [...Array.from({ length: 20 }, () => finalized), ...Array.from({ length: 20 }, () => credited)].sort(() => Math.random() - 0.5);
    const answers = await Promise.all(deliveries.map((event) => deliver(service.url ?? '', event)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (const id of [finalized.id, credited.id]) {
      await processedEvent(service.db, id, 30_000);
    }
    const entries = await entriesOf('in_Storm');
    expect(entries.map((e) => [e.kind, e.taxable, e.tax]).sort()).toEqual([
      ['credit', -1500, -94],
      ['original', 3000, 188],
    ]);
  });

  it('hides one account’s ledger from another', async () => {
    const other = api.as({ accountId: 'acct_1Stranger0000001', livemode: false });
    expect((await other.get<{ data: Entry[] }>('/api/v1/ledger/entries?invoiceId=in_Multi')).body.data).toEqual([]);
    expect((await api.as({ ...merchant, livemode: true }).get<{ data: Entry[] }>('/api/v1/ledger/entries')).body.data).toEqual([]);
  });
});
