import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { deliver, processedEvent, stripeEvent } from '../support/stripeEvents.js';

// The brief's worked example: today is 2026-05-12, March is filed, April and May are open.
let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Reprocess000001', livemode: false };

interface Run {
  id: string;
  status: string;
  total: number;
  processed: number;
  changed: number;
  skipped: Record<string, number>;
  cancelRequestedAt: string | null;
}
interface Preview {
  summary: { transactions: number; changes: number; inOpenPeriods: number; inFiledPeriods: number; refundByCurrency: Record<string, number>; warnings: string[]; skipped: Record<string, number> };
  items: Array<{ invoiceId: string; action: string; reason?: string; inFiledPeriod?: boolean }>;
}
interface Entry {
  id: string;
  kind: string;
  periodKey: string;
  taxable: number;
  exempt: number;
  tax: number;
}
interface ErrorBody {
  error: { message: string; details?: { warnings?: string[] } };
}

function texasInvoice(id: string, finalizedOn: string) {
  return {
    id,
    number: id.replace('in_', 'INV-'),
    customer: 'cus_Texan',
    currency: 'usd',
    subtotal: 16000,
    total_excluding_tax: 16000,
    customer_tax_exempt: 'none' as const,
    customer_address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: '1 Congress Ave', line2: null },
    customer_shipping: null,
    status_transitions: { finalized_at: Math.floor(Date.parse(`${finalizedOn}T15:00:00Z`) / 1000), paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: [
      { amount: 1000, taxable_amount: 16000, taxability_reason: 'standard_rated' as const, tax_behavior: 'exclusive' as const, type: 'tax_rate_details' as const, tax_rate_details: { tax_rate: 'txr_TX' } },
    ],
  };
}

describe('filing periods and reprocessing transactions for a certificate', () => {
  let service: TestService;
  let api: ApiClient;
  let certificateId: string;
  const stripe = new FakeStripe()
    .addTaxRate(merchant, { id: 'txr_TX', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
    .addCustomer(merchant, { id: 'cus_Texan', name: 'Texan Tools', address: { country: 'US', state: 'TX' } });

  const range = { startDate: '2026-03-01', endDate: '2026-05-31' };
  const entries = async () => (await api.get<{ data: Entry[] }>('/api/v1/ledger/entries?customerId=cus_Texan')).body.data;
  const finished = (runId: string) =>
    eventually(async () => (await api.get<Run>(`/api/v1/reprocess/${runId}`)).body, (run) => ['completed', 'cancelled', 'failed'].includes(run.status), 20_000);

  beforeAll(async () => {
    service = await startTestService({ role: 'all', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
    for (const [id, day] of [
      ['in_A', '2026-03-03'],
      ['in_B', '2026-04-08'],
      ['in_C', '2026-05-02'],
    ] as const) {
      const event = stripeEvent('invoice.finalized', texasInvoice(id, day) as never, merchant);
      expect((await deliver(service.url ?? '', event)).status).toBe(200);
      await processedEvent(service.db, event.id);
    }
    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: 'cus_Texan',
      reason: 'resale',
      form: 'single_state',
      number: 'TX-RESALE-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    certificateId = created.body.id;
  });
  afterAll(() => service.dispose());

  describe('filing periods', () => {
    it('files March, once, with who and when, and shows May as the current open period', async () => {
      const filed = await api.post<{ periodKey: string; filedBy: { id: string } }>('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-03' });
      expect(filed.status).toBe(200);
      expect(filed.body).toMatchObject({ periodKey: '2026-03', filedBy: { type: 'user', id: 'usr_test0000001' } });
      const again = await api.post<{ filedAt: string }>('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-03' });
      expect(again.body.filedAt).toBe((filed.body as unknown as { filedAt: string }).filedAt);

      const periods = await api.get<{ data: Array<{ jurisdiction: string; currentOpenPeriod: string; periods: Array<{ periodKey: string; status: string; totals: Array<{ tax: number }> }> }> }>('/api/v1/periods?jurisdiction=US-TX');
      const texas = periods.body.data[0];
      expect(texas?.currentOpenPeriod).toBe('2026-05');
      expect(texas?.periods.map((p) => [p.periodKey, p.status, p.totals[0]?.tax])).toEqual([
        ['2026-03', 'filed', 1000],
        ['2026-04', 'open', 1000],
        ['2026-05', 'open', 1000],
      ]);
    });

    it('refuses to file a period that has not started, or one of the wrong frequency', async () => {
      expect((await api.post<ErrorBody>('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-06' })).status).toBe(422);
      const quarterly = await api.post<ErrorBody>('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-Q1' });
      expect(quarterly.status).toBe(422);
      expect(quarterly.body.error.message).toContain('monthly');
    });
  });

  describe('reprocessing', () => {
    it('previews the changes, refunds and filed-period corrections the merchant must acknowledge', async () => {
      const preview = await api.post<Preview>(`/api/v1/certificates/${certificateId}/reprocess/preview`, range);
      expect(preview.status).toBe(200);
      expect(preview.body.summary).toMatchObject({ transactions: 3, changes: 3, inOpenPeriods: 2, inFiledPeriods: 1, refundByCurrency: { usd: 3000 } });
      expect(preview.body.summary.warnings).toEqual(['changes_in_filed_periods', 'refunds_due']);
    });

    it('will not start until every warning is acknowledged', async () => {
      const refused = await api.post<ErrorBody>(`/api/v1/certificates/${certificateId}/reprocess`, { ...range, acknowledgedWarnings: ['refunds_due'] });
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toContain('changes_in_filed_periods');
      expect((await api.get<{ data: Run[] }>(`/api/v1/certificates/${certificateId}/reprocess`)).body.data).toEqual([]);
    });

    it('runs with progress to completion: March untouched, its correction and the replacements in open periods', async () => {
      const marchBefore = (await entries()).filter((e) => e.periodKey === '2026-03');
      const started = await api.post<Run>(`/api/v1/certificates/${certificateId}/reprocess`, { ...range, acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due'] });
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({ status: 'queued', total: 3, processed: 0 });
      const run = await finished(started.body.id);
      expect(run).toMatchObject({ status: 'completed', total: 3, processed: 3, changed: 3 });

      const after = await entries();
      expect(after.filter((e) => e.periodKey === '2026-03')).toEqual(marchBefore);
      expect(after.filter((e) => e.id.startsWith('in_A:')).map((e) => [e.kind, e.periodKey, e.exempt, e.tax])).toEqual([
        ['original', '2026-03', 0, 1000],
        ['negation', '2026-05', 0, -1000],
        ['revision', '2026-05', 16000, 0],
      ]);
      expect(after.filter((e) => e.id.startsWith('in_B:')).map((e) => [e.kind, e.periodKey])).toEqual([
        ['original', '2026-04'],
        ['negation', '2026-04'],
        ['revision', '2026-04'],
      ]);
      expect(-after.filter((e) => e.kind === 'negation').reduce((sum, e) => sum + e.tax, 0)).toBe(3000);
    });

    it('changes nothing when the same reprocess runs a second time', async () => {
      const before = await entries();
      const preview = await api.post<Preview>(`/api/v1/certificates/${certificateId}/reprocess/preview`, range);
      expect(preview.body.summary).toMatchObject({ changes: 0, skipped: expect.objectContaining({ already_exempt: 3 }) });
      const started = await api.post<Run>(`/api/v1/certificates/${certificateId}/reprocess`, range);
      expect(started.status).toBe(201);
      expect(await finished(started.body.id)).toMatchObject({ status: 'completed', changed: 0 });
      expect(await entries()).toEqual(before);
      expect((await api.get<{ data: Run[] }>(`/api/v1/certificates/${certificateId}/reprocess`)).body.data).toHaveLength(2);
    });

    it('cancels a queued run before it changes anything', async () => {
      const started = await api.post<Run>(`/api/v1/certificates/${certificateId}/reprocess`, range);
      const cancelled = await api.post<Run>(`/api/v1/reprocess/${started.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.cancelRequestedAt).not.toBeNull();
      expect((await finished(started.body.id)).status).toMatch(/cancelled|completed/);
    });

    it.each([
      ['dates reversed', { startDate: '2026-05-31', endDate: '2026-03-01' }, 400, 'endDate'],
      ['a range over ten years', { startDate: '2010-01-01', endDate: '2026-05-31' }, 400, '10 years'],
      ['an impossible date', { startDate: '2026-02-30', endDate: '2026-05-31' }, 400, 'startDate'],
      ['an unknown field', { ...range, everything: true }, 400, 'everything'],
    ])('refuses %s with a clear message', async (_case, body, status, text) => {
      const response = await api.post<ErrorBody>(`/api/v1/certificates/${certificateId}/reprocess/preview`, body);
      expect(response.status).toBe(status);
      expect(response.body.error.message).toContain(text);
    });

    it('refuses an archived certificate, and hides certificates and runs from another tenant', async () => {
      const runs = (await api.get<{ data: Run[] }>(`/api/v1/certificates/${certificateId}/reprocess`)).body.data;
      const intruder = api.as({ accountId: 'acct_1Intruder000002', livemode: false });
      expect((await intruder.post(`/api/v1/certificates/${certificateId}/reprocess/preview`, range)).status).toBe(404);
      expect((await intruder.post(`/api/v1/certificates/${certificateId}/reprocess`, range)).status).toBe(404);
      expect((await intruder.get(`/api/v1/reprocess/${runs[0]?.id}`)).status).toBe(404);
      expect((await intruder.post(`/api/v1/reprocess/${runs[0]?.id}/cancel`)).status).toBe(404);
      expect((await api.as({ ...merchant, livemode: true }).get(`/api/v1/reprocess/${runs[0]?.id}`)).status).toBe(404);

      expect((await api.post(`/api/v1/certificates/${certificateId}/archive`, { reason: 'Superseded' })).status).toBe(200);
      const archived = await api.post<ErrorBody>(`/api/v1/certificates/${certificateId}/reprocess/preview`, range);
      expect(archived.status).toBe(409);
      expect(archived.body.error.message).toContain('archived');
    });
  });
});
