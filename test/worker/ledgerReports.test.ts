import { parse } from 'csv-parse/sync';
import type Stripe from 'stripe';
import { flaggedReportColumns } from '@exemptions/shared';
import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';
import { deliver, finalizedInvoice, processedEvent, stripeEvent, type InvoiceTaxRow } from '../support/stripeEvents.js';

/*
 * The exposure and over-collection reports, over a ledger built the way production builds
 * it: signed webhook deliveries processed by the jobs. Their totals must be the ledger's
 * own totals for the same invoices.
 */

let clockMs = Date.parse('2026-06-02T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Reports0000001', livemode: false };
const otherAccount: Tenant = { accountId: 'acct_1ReportsOther1', livemode: false };

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const exemptIn = (rate: string): InvoiceTaxRow[] => [{ rate, taxable: 0, amount: 0, reason: 'customer_exempt' }];

interface ReportRow {
  entryId: string;
  invoiceId: string;
  invoiceNumber: string | null;
  jurisdiction: string | null;
  transactionDate: string;
  periodKey: string;
  currency: string;
  treatment: string;
  taxable: number;
  exempt: number;
  tax: number;
  exposedExempt: number;
  overCollectedTax: number;
  certificate: { id: string; version: number; number: string | null } | null;
  taxabilityReasons: string[];
  [key: string]: unknown;
}
interface Totals {
  currency: string;
  taxable: number;
  exempt: number;
  tax: number;
  exposedExempt: number;
  overCollectedTax: number;
  entries: number;
}
interface Report {
  kind: string;
  filter: { from: string | null; to: string | null; jurisdiction: string | null };
  rows: ReportRow[];
  totals: Totals[];
}

describe('the exposure and over-collection reports', () => {
  let service: TestService;
  let api: ApiClient;
  let certificateId: string;
  const stripe = new FakeStripe()
    .addTaxRate(merchant, { id: 'txr_TXstate', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
    .addTaxRate(merchant, { id: 'txr_CAstate', country: 'US', state: 'CA', jurisdictionLevel: 'state', percentage: 7.25 })
    .addCustomer(merchant, { id: 'cus_Plain', address: { country: 'US', state: 'TX' } })
    .addCustomer(merchant, { id: 'cus_Reseller', address: { country: 'US', state: 'TX' } })
    .addCustomer(merchant, { id: 'cus_NoPaper', address: { country: 'US', state: 'TX' } });

  async function send(type: Stripe.Event.Type, object: Record<string, unknown> & { id: string }): Promise<void> {
    const event = stripeEvent(type, object as never, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processedEvent(service.db, event.id, 30_000);
  }

  beforeAll(async () => {
    service = await startTestService({ role: 'all', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
    const certificate = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: 'cus_Reseller',
      reason: 'resale',
      form: 'single_state',
      number: 'TX-RS-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect(certificate.status).toBe(201);
    certificateId = certificate.body.id;

    // Exposure: exempted with no certificate, in Texas (May 3 and, out of May, April 20) and California (May 10).
    await send('invoice.finalized', finalizedInvoice('in_ExpTX', 'cus_NoPaper', '2026-05-03T15:00:00Z', exemptIn('txr_TXstate'), 7000, 'exempt'));
    await send('invoice.finalized', finalizedInvoice('in_ExpCA', 'cus_NoPaper', '2026-05-10T15:00:00Z', exemptIn('txr_CAstate'), 5000, 'exempt'));
    await send('invoice.finalized', finalizedInvoice('in_ExpApr', 'cus_NoPaper', '2026-04-20T15:00:00Z', exemptIn('txr_TXstate'), 3000, 'exempt'));
    // Exposure, then voided: no longer exposed.
    const voided = finalizedInvoice('in_ExpVoid', 'cus_NoPaper', '2026-05-04T15:00:00Z', exemptIn('txr_TXstate'), 9000, 'exempt');
    await send('invoice.finalized', voided);
    await send('invoice.voided', { ...voided, status: 'void' });
    // Over-collection: taxed although the Texas certificate covered it; the second one partly credited on May 20.
    await send('invoice.finalized', finalizedInvoice('in_OverTX', 'cus_Reseller', '2026-05-05T15:00:00Z', [{ rate: 'txr_TXstate', taxable: 4000, amount: 250 }], 4000));
    const credited = finalizedInvoice('in_OverCredit', 'cus_Reseller', '2026-05-06T15:00:00Z', [{ rate: 'txr_TXstate', taxable: 10000, amount: 625 }], 10000);
    stripe.addInvoice(merchant, credited); // a credit note's event is booked against the invoice as Stripe has it
    await send('invoice.finalized', credited);
    await send('credit_note.created', {
      id: 'cn_Partial',
      invoice: 'in_OverCredit',
      currency: 'usd',
      created: at('2026-05-20T10:00:00Z'),
      effective_at: null,
      subtotal: 2500,
      total_excluding_tax: 2500,
      total_taxes: [{ amount: 156 }],
    });
    // Neither flag: an ordinary taxable sale.
    await send('invoice.finalized', finalizedInvoice('in_Clean', 'cus_Plain', '2026-05-07T15:00:00Z', [{ rate: 'txr_TXstate', taxable: 8000, amount: 500 }], 8000));
  }, 120_000);
  afterAll(() => service.dispose());

  const report = async (path: string) => {
    const response = await api.get<Report>(`/api/v1/reports/${path}`);
    expect(response.status).toBe(200);
    return response.body;
  };
  const ledgerTotals = async (query: string) => (await api.get<{ data: Totals[] }>(`/api/v1/ledger/totals?${query}`)).body.data;

  it('lists the invoices exempted without a valid certificate, as they currently stand, with amount, jurisdiction and period', async () => {
    const body = await report('exposure');
    expect(body.kind).toBe('exposure');
    expect(body.filter).toEqual({ from: null, to: null, jurisdiction: null });
    expect(body.rows.map(({ invoiceId, jurisdiction, transactionDate, periodKey, exempt, exposedExempt, certificate }) => ({ invoiceId, jurisdiction, transactionDate, periodKey, exempt, exposedExempt, certificate }))).toEqual([
      { invoiceId: 'in_ExpApr', jurisdiction: 'US-TX', transactionDate: '2026-04-20', periodKey: '2026-04', exempt: 3000, exposedExempt: 3000, certificate: null },
      { invoiceId: 'in_ExpTX', jurisdiction: 'US-TX', transactionDate: '2026-05-03', periodKey: '2026-05', exempt: 7000, exposedExempt: 7000, certificate: null },
      { invoiceId: 'in_ExpCA', jurisdiction: 'US-CA', transactionDate: '2026-05-10', periodKey: '2026-05', exempt: 5000, exposedExempt: 5000, certificate: null },
    ]);
    expect(body.rows[0]).toMatchObject({ entryId: 'in_ExpApr:US-TX', invoiceNumber: 'INV-ExpApr', treatment: 'exempt', taxable: 0, tax: 0, taxabilityReasons: ['customer_exempt'] });
    expect(body.totals).toEqual([{ currency: 'usd', taxable: 0, exempt: 15000, tax: 0, exposedExempt: 15000, overCollectedTax: 0, entries: 3 }]);
  });

  it('lists the invoices charged tax while a certificate covered them, net of credit notes, with the certificate', async () => {
    const body = await report('over-collection');
    expect(body.rows.map(({ invoiceId, taxable, tax, overCollectedTax, certificate }) => ({ invoiceId, taxable, tax, overCollectedTax, certificate }))).toEqual([
      { invoiceId: 'in_OverTX', taxable: 4000, tax: 250, overCollectedTax: 250, certificate: { id: certificateId, version: 1, number: 'TX-RS-1' } },
      { invoiceId: 'in_OverCredit', taxable: 7500, tax: 625 - 156, overCollectedTax: 625 - 156, certificate: { id: certificateId, version: 1, number: 'TX-RS-1' } },
    ]);
    // The credited invoice's line is its revision and its credit: three entries in all.
    expect(body.totals).toEqual([{ currency: 'usd', taxable: 11500, exempt: 0, tax: 719, exposedExempt: 0, overCollectedTax: 719, entries: 3 }]);
  });

  it('has the ledger’s own totals for the same range', async () => {
    // Every May invoice and its credit note sit in the (open) May period, so the two ranges are the same.
    const [may] = await ledgerTotals('periodKey=2026-05&by=periodKey');
    const exposure = await report('exposure?from=2026-05-01&to=2026-05-31');
    const overCollection = await report('over-collection?from=2026-05-01&to=2026-05-31');
    expect(exposure.totals.map((row) => row.exposedExempt)).toEqual([may?.exposedExempt]);
    expect(overCollection.totals.map((row) => row.overCollectedTax)).toEqual([may?.overCollectedTax]);
    expect(may).toMatchObject({ exposedExempt: 12000, overCollectedTax: 719 });
    // Row by row too: each row is what the ledger holds for its invoice and jurisdiction.
    for (const row of [...exposure.rows, ...overCollection.rows]) {
      const [line] = await ledgerTotals(`invoiceId=${row.invoiceId}&jurisdiction=${row.jurisdiction ?? ''}&by=invoiceId`);
      expect({ invoice: row.invoiceId, taxable: row.taxable, exempt: row.exempt, tax: row.tax, exposedExempt: row.exposedExempt, overCollectedTax: row.overCollectedTax }).toEqual({
        invoice: row.invoiceId,
        taxable: line?.taxable,
        exempt: line?.exempt,
        tax: line?.tax,
        exposedExempt: line?.exposedExempt,
        overCollectedTax: line?.overCollectedTax,
      });
    }
    // And per jurisdiction.
    const [texas] = await ledgerTotals('periodKey=2026-05&jurisdiction=US-TX&by=jurisdiction');
    const texasExposure = await report('exposure?from=2026-05-01&to=2026-05-31&jurisdiction=US-TX');
    expect(texasExposure.totals.map((row) => row.exposedExempt)).toEqual([texas?.exposedExempt]);
  });

  it('filters by transaction date (both ends included) and by jurisdiction', async () => {
    const ids = (body: Report) => body.rows.map((row) => row.invoiceId);
    expect(ids(await report('exposure?from=2026-05-03&to=2026-05-10'))).toEqual(['in_ExpTX', 'in_ExpCA']);
    expect(ids(await report('exposure?from=2026-05-04&to=2026-05-09'))).toEqual([]);
    expect(ids(await report('exposure?to=2026-04-30'))).toEqual(['in_ExpApr']);
    expect(ids(await report('exposure?jurisdiction=US-CA'))).toEqual(['in_ExpCA']);
    const texas = await report('exposure?jurisdiction=us-tx&from=2026-05-01');
    expect(ids(texas)).toEqual(['in_ExpTX']);
    expect(texas.filter).toEqual({ from: '2026-05-01', to: null, jurisdiction: 'US-TX' });
    expect(ids(await report('over-collection?jurisdiction=US-CA'))).toEqual([]);
    const empty = await report('over-collection?from=2027-01-01');
    expect(empty).toMatchObject({ rows: [], totals: [] });
  });

  it('exports each report as CSV that parses back to the same rows', async () => {
    for (const path of ['exposure', 'over-collection']) {
      const json = await report(`${path}?from=2026-04-01&to=2026-05-31`);
      const response = await api.get<string>(`/api/v1/reports/${path}.csv?from=2026-04-01&to=2026-05-31`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename=${path}-report_from-2026-04-01_to-2026-05-31.csv`);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      const [header, ...lines] = parse(response.body, { bom: true }) as string[][];
      expect(header).toEqual(flaggedReportColumns.map((column) => column.header));
      const rows = lines.map((cells) => Object.fromEntries((header ?? []).map((name, index) => [name, cells[index]])));
      expect(rows).toEqual(
        json.rows.map((row) => ({
          invoiceId: row.invoiceId,
          invoiceNumber: row.invoiceNumber ?? '',
          purchaseOrder: '',
          customerId: row.customerId,
          jurisdiction: row.jurisdiction ?? '',
          transactionDate: row.transactionDate,
          periodKey: row.periodKey,
          currency: row.currency,
          treatment: row.treatment,
          taxable: String(row.taxable),
          exempt: String(row.exempt),
          tax: String(row.tax),
          exposedExempt: String(row.exposedExempt),
          overCollectedTax: String(row.overCollectedTax),
          certificateId: row.certificate?.id ?? '',
          certificateVersion: row.certificate === null ? '' : String(row.certificate.version),
          certificateNumber: row.certificate?.number ?? '',
          taxabilityReasons: row.taxabilityReasons.join(' '),
          entryId: row.entryId,
        })),
      );
      expect(rows.length).toBeGreaterThan(0);
    }
  });

  it('refuses bad filters with a 400 naming them, as JSON and as CSV', async () => {
    for (const path of ['exposure', 'over-collection', 'exposure.csv', 'over-collection.csv']) {
      for (const [query, field] of [
        ['from=2026-13-01', 'from'],
        ['to=yesterday', 'to'],
        ['from=2026-05-10&to=2026-05-01', 'to'],
        ['jurisdiction=XX-ZZ', 'jurisdiction'],
        ['periodKey=2026-05', 'periodKey'],
      ] as const) {
        const response = await api.get<{ error: { message: string; details: Array<{ field: string }> } }>(`/api/v1/reports/${path}?${query}`);
        expect({ path, query, status: response.status }).toEqual({ path, query, status: 400 });
        expect(response.body.error.message).toContain(field);
      }
    }
  });

  it('shows one account nothing of another’s, nor test mode anything of live mode', async () => {
    for (const tenant of [otherAccount, { ...merchant, livemode: true }]) {
      for (const path of ['exposure', 'over-collection']) {
        const response = await api.as(tenant).get<Report>(`/api/v1/reports/${path}`);
        expect(response.body).toMatchObject({ rows: [], totals: [] });
        const csv = await api.as(tenant).get<string>(`/api/v1/reports/${path}.csv`);
        expect(parse(csv.body, { bom: true })).toEqual([flaggedReportColumns.map((column) => column.header)]);
      }
    }
  });
});
