import { entriesForInvoice, ledgerContext, negationsForVoid, type LedgerEntry } from '@exemptions/shared';
import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { postPortalForm, samplePdf, texasAnswer } from '../support/portal.js';
import { startTestService, type TestService } from '../support/service.js';

/** 2026-05-12, midday UTC: the brief's worked example day. */
const clock: Clock = { now: () => new Date('2026-05-12T12:00:00Z') };
const merchant: Tenant = { accountId: 'acct_1Summary0000001', livemode: false };
const otherAccount: Tenant = { accountId: 'acct_1SummaryOther01', livemode: false };

interface Summary {
  today: string;
  windowDays: number;
  byStatus: Record<string, number>;
  total: number;
  byJurisdiction: Array<{ jurisdiction: string; byStatus: Record<string, number>; total: number }>;
  expiring: Array<{ withinDays: number; count: number }>;
  pendingSubmissions: number;
  outstandingRequests: number;
  exposedInvoices: number;
  overCollectedInvoices: number;
}

/** A Texas resale certificate for Acme with one jurisdiction. */
function texas(effectiveDate: string, expirationDate: string | null) {
  return {
    customerId: 'cus_Acme',
    reason: 'resale',
    form: 'single_state',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', effectiveDate, expirationDate }],
  };
}

/** What the ledger books for a $100 Texas invoice that went out exempt with no certificate: exposure. */
function exposedInvoice(invoiceId: string): LedgerEntry[] {
  return entriesForInvoice(
    {
      invoice: {
        invoiceId,
        invoiceNumber: null,
        customerId: 'cus_Acme',
        currency: 'usd',
        finalizedAt: '2026-05-02T15:00:00.000Z',
        totalExcludingTax: 10_000,
        customerTaxExempt: 'exempt',
        taxes: [],
        address: { country: 'US', state: 'TX', postalCode: '75201', line1: '1 Main St', city: 'Dallas' },
        addressSource: 'shipping',
        addressJurisdiction: 'US-TX',
        purchaseOrder: null,
      },
      certificates: [],
      eventId: `evt_${invoiceId}`,
    },
    ledgerContext({ timeZone: 'UTC', today: '2026-05-12' }),
  );
}

describe('the compliance summary', () => {
  let service: TestService;
  let api: ApiClient;
  const texasAddress = { country: 'US', state: 'TX' };
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' })
    .addCustomer(merchant, { id: 'cus_Asked', name: 'Asked Co', email: 'tax@asked.example', address: texasAddress })
    .addCustomer(merchant, { id: 'cus_Answered', name: 'Answered Co', email: 'tax@answered.example', address: texasAddress });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  it('is all zeros for an account with nothing on file', async () => {
    const response = await api.as(otherAccount).get<Summary>('/api/v1/compliance/summary');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      today: '2026-05-12',
      windowDays: 30,
      byStatus: { active: 0, expiring_soon: 0, not_yet_effective: 0, expired: 0, archived: 0 },
      total: 0,
      byJurisdiction: [],
      expiring: [
        { withinDays: 30, count: 0 },
        { withinDays: 60, count: 0 },
        { withinDays: 90, count: 0 },
      ],
      pendingSubmissions: 0,
      outstandingRequests: 0,
      exposedInvoices: 0,
      overCollectedInvoices: 0,
    });
  });

  it('counts certificates per status and those expiring within 30, 60 and 90 days, as of today in the account’s zone', async () => {
    for (const body of [
      texas('2026-01-01', '2027-12-31'), // active
      texas('2026-01-01', null), // active, valid until revoked
      texas('2026-01-01', '2026-06-01'), // expiring soon: 20 days left
      texas('2026-01-01', '2026-06-26'), // active: 45 days left
      texas('2026-01-01', '2026-07-31'), // active: 80 days left
      texas('2025-01-01', '2026-04-30'), // expired
      texas('2026-09-01', '2026-09-30'), // not yet effective
    ]) {
      expect((await api.post('/api/v1/certificates', body)).status).toBe(201);
    }
    const toArchive = await api.post<{ id: string }>('/api/v1/certificates', texas('2026-01-01', '2026-05-20'));
    expect((await api.post(`/api/v1/certificates/${toArchive.body.id}/archive`, { reason: 'Replaced' })).status).toBe(200);

    const { body } = await api.get<Summary>('/api/v1/compliance/summary');
    expect(body.byStatus).toEqual({ active: 4, expiring_soon: 1, not_yet_effective: 1, expired: 1, archived: 1 });
    expect(body.total).toBe(8);
    expect(body.byJurisdiction).toEqual([{ jurisdiction: 'US-TX', byStatus: body.byStatus, total: 8 }]);
    // The archived one would have expired in 8 days, the not-yet-effective one is not in force: neither counts.
    expect(body.expiring).toEqual([
      { withinDays: 30, count: 1 },
      { withinDays: 60, count: 2 },
      { withinDays: 90, count: 3 },
    ]);
  });

  it('follows the account’s expiring-soon window', async () => {
    expect((await api.patch('/api/v1/settings', { expiringWindowDays: 60 })).status).toBe(200);
    const { body } = await api.get<Summary>('/api/v1/compliance/summary');
    expect(body.windowDays).toBe(60);
    expect(body.byStatus).toMatchObject({ active: 3, expiring_soon: 2 });
    expect((await api.patch('/api/v1/settings', { expiringWindowDays: 30 })).status).toBe(200);
  });

  it('counts invoices whose current ledger treatment is exposed, and stops counting a voided one', async () => {
    const exposedA = exposedInvoice('in_ExposedA');
    const exposedB = exposedInvoice('in_ExposedB');
    await service.context.ledger.append(merchant, [...exposedA, ...exposedB], clock.now());
    expect((await api.get<Summary>('/api/v1/compliance/summary')).body).toMatchObject({ exposedInvoices: 2, overCollectedInvoices: 0 });

    const voided = negationsForVoid({ entries: exposedB, invoiceId: 'in_ExposedB', eventId: 'evt_void_B' }, ledgerContext({ timeZone: 'UTC', today: '2026-05-12' }));
    await service.context.ledger.append(merchant, voided, clock.now());
    expect((await api.get<Summary>('/api/v1/compliance/summary')).body).toMatchObject({ exposedInvoices: 1 });
  });

  it('counts a certificate under each of its jurisdictions, with that jurisdiction’s own status', async () => {
    const before = (await api.get<Summary>('/api/v1/compliance/summary')).body;
    const body = {
      ...texas('2026-01-01', null),
      jurisdictions: [
        { code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: '2026-05-30' }, // expiring soon
        { code: 'US-CA', effectiveDate: '2026-01-01', expirationDate: null }, // active
      ],
    };
    expect((await api.post('/api/v1/certificates', body)).status).toBe(201);
    const after = (await api.get<Summary>('/api/v1/compliance/summary')).body;
    expect(after.total).toBe(before.total + 1);
    expect(after.byJurisdiction).toEqual([
      { jurisdiction: 'US-CA', byStatus: { active: 1, expiring_soon: 0, not_yet_effective: 0, expired: 0, archived: 0 }, total: 1 },
      { jurisdiction: 'US-TX', byStatus: { ...before.byStatus, expiring_soon: (before.byStatus.expiring_soon ?? 0) + 1 }, total: before.total + 1 },
    ]);
  });

  it('counts requests waiting on a customer and submissions waiting for review', async () => {
    const ask = async (customerId: string) => {
      const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId, jurisdictions: ['US-TX'] });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    await ask('cus_Asked');
    const answered = await ask('cus_Answered');
    expect((await api.get<Summary>('/api/v1/compliance/summary')).body).toMatchObject({ outstandingRequests: 2, pendingSubmissions: 0 });

    // The customer answers through the emailed link (kept in the outbox: no SMTP here).
    const email = await service.db.collection<{ _id: string; text: string }>('emails').findOne({ _id: `request:${answered}:1` });
    const link = /https?:\/\/\S+\/portal\/r\/[A-Za-z0-9_-]+/.exec(email?.text ?? '')?.[0];
    if (link === undefined) throw new Error('no portal link in the request email');
    const submitted = await postPortalForm(service.url ?? '', link, texasAnswer(), { bytes: samplePdf(), filename: 'certificate.pdf', type: 'application/pdf' });
    expect(submitted.status).toBeLessThan(400);
    expect((await api.get<Summary>('/api/v1/compliance/summary')).body).toMatchObject({ outstandingRequests: 1, pendingSubmissions: 1 });
  });

  it('shows one account nothing of another’s, nor test mode anything of live mode', async () => {
    const other = (await api.as(otherAccount).get<Summary>('/api/v1/compliance/summary')).body;
    const live = (await api.as({ ...merchant, livemode: true }).get<Summary>('/api/v1/compliance/summary')).body;
    for (const body of [other, live]) expect(body).toMatchObject({ total: 0, byJurisdiction: [], exposedInvoices: 0, pendingSubmissions: 0, outstandingRequests: 0 });
  });

  it('refuses an unknown parameter with a 400 naming it', async () => {
    const response = await api.get<{ error: { message: string } }>('/api/v1/compliance/summary?status=active');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('status');
  });
});
