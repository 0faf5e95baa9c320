import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

/** From 2026-05-12, midday UTC (the brief's worked example day), a second further at every look. */
const START = Date.parse('2026-05-12T12:00:00Z');
let clockMs = START;
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Merchant0000001', livemode: false };
const otherAccount: Tenant = { accountId: 'acct_1Intruder000001', livemode: false };
const liveMerchant: Tenant = { accountId: merchant.accountId, livemode: true };

interface View {
  id: string;
  version: number;
  status: string;
  customer: { id: string; name: string | null; email: string | null };
  jurisdictions: Array<{ code: string; effectiveDate: string; expirationDate: string | null }>;
  jurisdictionStatuses: Array<{ code: string; status: string }>;
  notes: string;
  archivedAt: string | null;
  archivedReason: string | null;
  history?: Array<{ version: number; action: string; actor: { type: string; id: string }; changes: Array<{ field: string; from: unknown; to: unknown }> }>;
}
interface Page {
  data: View[];
  nextCursor: string | null;
}
interface ErrorBody {
  error: { message: string; details?: unknown };
}

function certificateFor(customerId: string, jurisdictions: Array<[string, string, string | null]> = [['US-TX', '2026-01-01', '2027-12-31']]) {
  return {
    customerId,
    reason: 'resale',
    form: 'single_state',
    number: 'TX-123456',
    purchase: { type: 'blanket' },
    jurisdictions: jurisdictions.map(([code, effectiveDate, expirationDate]) => ({ code, registrationId: '1-23-4567890', effectiveDate, expirationDate })),
    notes: 'Received by email',
  };
}

describe('certificate records API', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' })
    .addCustomer(merchant, { id: 'cus_Beta', name: 'Beta Builders', email: 'ap@beta.example' })
    .addCustomer(merchant, { id: 'cus_City', name: 'City of Austin', email: 'purchasing@austin.example' })
    .addCustomer(liveMerchant, { id: 'cus_Acme', name: 'Acme Supply (live)', email: 'tax@acme.example' });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  async function create(body: unknown): Promise<View> {
    const response = await api.post<View>('/api/v1/certificates', body);
    expect(response.status).toBe(201);
    return response.body;
  }

  async function countStored(): Promise<{ certificates: number; history: number }> {
    return {
      certificates: await service.db.collection('certificates').countDocuments({}),
      history: await service.db.collection('certificate_history').countDocuments({}),
    };
  }

  describe('creating and reading', () => {
    it('creates a certificate by manual entry and returns it with its status, customer and history', async () => {
      const created = await create(certificateFor('cus_Acme'));
      expect(created).toMatchObject({ version: 1, status: 'active', customer: { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' } });
      expect(created.jurisdictionStatuses).toEqual([{ code: 'US-TX', status: 'active' }]);

      const fetched = await api.get<View>(`/api/v1/certificates/${created.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body.history).toEqual([expect.objectContaining({ version: 1, action: 'created', actor: { type: 'user', id: 'usr_test0000001' } })]);
    });

    it('refuses a certificate for a customer that does not exist in the account', async () => {
      const before = await countStored();
      const response = await api.post<ErrorBody>('/api/v1/certificates', certificateFor('cus_Nobody'));
      expect(response.status).toBe(422);
      expect(response.body.error.message).toContain('customerId');
      expect(await countStored()).toEqual(before);
    });

    it.each([
      ['an unknown field', { ...certificateFor('cus_Acme'), colour: 'blue' }, 'unknown field "colour"'],
      ['an invalid date', certificateFor('cus_Acme', [['US-TX', '2026-02-30', null]]), 'jurisdictions[0].effectiveDate'],
      ['an expiration before the effective date', certificateFor('cus_Acme', [['US-TX', '2026-06-01', '2026-05-01']]), 'jurisdictions[0].expirationDate'],
      ['an unknown jurisdiction code', certificateFor('cus_Acme', [['US-ZZ', '2026-01-01', null]]), 'jurisdictions[0].code'],
      ['oversized notes', { ...certificateFor('cus_Acme'), notes: 'x'.repeat(5001) }, 'notes'],
      ['an oversized certificate number', { ...certificateFor('cus_Acme'), number: 'N'.repeat(65) }, 'number'],
      ['a key starting with $', { ...certificateFor('cus_Acme'), $where: '1' }, 'unknown field "$where"'],
      ['a key containing a dot', { ...certificateFor('cus_Acme'), purchase: { type: 'blanket', 'a.b': 1 } }, 'purchase'],
      ['a NUL character in text', { ...certificateFor('cus_Acme'), notes: 'before\u0000after' }, 'NUL'],
    ])('rejects %s with a 400 naming the field, and writes nothing', async (_case, body, field) => {
      const before = await countStored();
      const response = await api.post<ErrorBody>('/api/v1/certificates', body);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(field);
      expect(await countStored()).toEqual(before);
    });

    it('rejects malformed JSON with a 400 and writes nothing', async () => {
      const before = await countStored();
      const response = await signedFetch(service.url ?? '', { method: 'POST', target: '/api/v1/certificates', body: '{"customerId":', contentType: 'application/json' }, api.identity);
      expect(response.status).toBe(400);
      expect(await countStored()).toEqual(before);
    });
  });

  describe('listing and searching', () => {
    let texas: View;
    let expiring: View;
    let expired: View;
    let upcoming: View;
    let archived: View;

    beforeAll(async () => {
      texas = await create(certificateFor('cus_Beta', [['US-TX', '2026-01-01', null]]));
      expiring = await create({ ...certificateFor('cus_Beta', [['US-CA', '2025-01-01', '2026-06-01']]), reason: 'agricultural' });
      expired = await create(certificateFor('cus_City', [['US-TX', '2024-01-01', '2026-05-11']]));
      upcoming = await create({ ...certificateFor('cus_City', [['US-NY', '2026-07-01', null]]), reason: 'state_local_government' });
      archived = await create(certificateFor('cus_City', [['US-WA', '2026-01-01', null]]));
      expect((await api.post(`/api/v1/certificates/${archived.id}/archive`, { reason: 'Customer closed' })).status).toBe(200);
    });

    async function ids(query: string): Promise<string[]> {
      const response = await api.get<Page>(`/api/v1/certificates${query}`);
      expect(response.status).toBe(200);
      return response.body.data.map((c) => c.id);
    }

    it('finds certificates by a case-insensitive prefix of the customer name, email or id', async () => {
      expect(await ids('?q=BETA')).toEqual(expect.arrayContaining([texas.id, expiring.id]));
      expect(await ids('?q=beta')).toHaveLength(2);
      expect(await ids('?q=purchasing%40aus')).toHaveLength(3);
      expect(await ids('?q=cus_cit')).toHaveLength(3);
      expect(await ids('?q=eta')).toEqual([]);
      // A regex metacharacter is searched for literally.
      expect(await ids('?q=.*')).toEqual([]);
    });

    it('filters by status as of today in the account time zone', async () => {
      expect(await ids('?q=cus_&status=expiring_soon')).toEqual([expiring.id]);
      expect(await ids('?q=cus_&status=expired')).toEqual([expired.id]);
      expect(await ids('?q=cus_&status=not_yet_effective')).toEqual([upcoming.id]);
      expect(await ids('?q=cus_&status=archived')).toEqual([archived.id]);
      expect(await ids('?q=cus_b&status=active')).toEqual([texas.id]);
    });

    it('filters by jurisdiction and by reason', async () => {
      expect(await ids('?jurisdiction=US-NY')).toEqual([upcoming.id]);
      expect(await ids('?jurisdiction=us-ca')).toEqual([expiring.id]);
      expect(await ids('?reason=agricultural')).toEqual([expiring.id]);
    });

    it('sorts by soonest expiration and pages with a cursor without gaps or repeats', async () => {
      const all = await ids('?sort=expiration&limit=100');
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const target: string = `/api/v1/certificates?sort=expiration&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page: { status: number; body: Page } = await api.get<Page>(target);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        pages.push(...page.body.data.map((c) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(pages).toEqual(all);
      expect(new Set(pages).size).toBe(pages.length);
      expect(all.indexOf(expired.id)).toBeLessThan(all.indexOf(expiring.id));
      expect(all.indexOf(expiring.id)).toBeLessThan(all.indexOf(texas.id));
    });

    it('sorts by last update, newest first', async () => {
      const byUpdate = await ids('?sort=updated&limit=100');
      expect(byUpdate[0]).toBe(archived.id);
    });

    it.each([
      ['an unknown status', '?status=valid', 'status'],
      ['an unknown parameter', '?colour=blue', 'unknown field "colour"'],
      ['a limit above 100', '?limit=500', 'limit'],
      ['a forged cursor', '?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['an unknown jurisdiction', '?jurisdiction=US-XX', 'jurisdiction'],
    ])('rejects %s with a 400 naming the parameter', async (_case, query, field) => {
      const response = await api.get<ErrorBody>(`/api/v1/certificates${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(field);
    });

    it("gives the customer page each certificate and the customer's overall status", async () => {
      const response = await api.get<{ status: string; data: View[] }>('/api/v1/customers/cus_City/certificates');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('not_yet_effective');
      expect(response.body.data.map((c) => c.status).sort()).toEqual(['archived', 'expired', 'not_yet_effective']);
      const none = await api.get<{ status: string; data: View[] }>('/api/v1/customers/cus_Unknown/certificates');
      expect(none.body).toEqual({ customerId: 'cus_Unknown', status: 'none', data: [] });
    });
  });

  describe('editing', () => {
    it('edits details, jurisdictions and notes, recording who changed what', async () => {
      const created = await create(certificateFor('cus_Acme'));
      const edited = await api.patch<View>(`/api/v1/certificates/${created.id}`, {
        expectedVersion: 1,
        jurisdictions: [{ code: 'US-TX', registrationId: '1-23-4567890', effectiveDate: '2026-01-01', expirationDate: '2026-05-31' }],
        notes: 'Renewal promised for June',
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ version: 2, status: 'expiring_soon', notes: 'Renewal promised for June' });
      const history = (await api.get<View>(`/api/v1/certificates/${created.id}`)).body.history ?? [];
      expect(history.map((h) => h.action)).toEqual(['created', 'edited']);
      expect(history[1]?.changes.map((c) => c.field).sort()).toEqual(['jurisdictions', 'notes']);
      expect(history[1]?.changes.find((c) => c.field === 'notes')).toEqual({ field: 'notes', from: 'Received by email', to: 'Renewal promised for June' });
    });

    it('answers a stale version with 409 and the current record, changing nothing', async () => {
      const created = await create(certificateFor('cus_Acme'));
      expect((await api.patch(`/api/v1/certificates/${created.id}`, { expectedVersion: 1, notes: 'first' })).status).toBe(200);
      const stale = await api.patch<ErrorBody & { error: { details: { current: View } } }>(`/api/v1/certificates/${created.id}`, { expectedVersion: 1, notes: 'second' });
      expect(stale.status).toBe(409);
      expect(stale.body.error.details.current).toMatchObject({ version: 2, notes: 'first' });
    });

    it('lets exactly one of two concurrent edits of the same version succeed', async () => {
      const created = await create(certificateFor('cus_Acme'));
      const results = await Promise.all(
        ['left', 'right'].map((notes) => api.patch<View>(`/api/v1/certificates/${created.id}`, { expectedVersion: 1, notes })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)?.body.notes;
      const stored = await api.get<View>(`/api/v1/certificates/${created.id}`);
      expect(stored.body).toMatchObject({ version: 2, notes: winner });
      expect(stored.body.history?.map((h) => h.version)).toEqual([1, 2]);
    });

    it('rejects an edit that changes nothing or names an unknown field', async () => {
      const created = await create(certificateFor('cus_Acme'));
      expect((await api.patch(`/api/v1/certificates/${created.id}`, { expectedVersion: 1 })).status).toBe(400);
      expect((await api.patch(`/api/v1/certificates/${created.id}`, { expectedVersion: 1, customerId: 'cus_Beta' })).status).toBe(400);
      expect((await api.get<View>(`/api/v1/certificates/${created.id}`)).body.version).toBe(1);
    });

    it('finishes a write that stopped between recording the version and storing the certificate', async () => {
      const created = await create(certificateFor('cus_Acme'));
      // Simulate the crash: version 2 is in the history, the certificate itself still at version 1.
      const history = service.db.collection<{ _id: string; snapshot: { notes: string; version: number; updatedAt: string } }>('certificate_history');
      const first = await history.findOne({ _id: `${created.id}:v1` });
      expect(first).not.toBeNull();
      await history.insertOne({
        ...(first as NonNullable<typeof first>),
        _id: `${created.id}:v2`,
        version: 2,
        action: 'edited',
        snapshot: { ...(first as NonNullable<typeof first>).snapshot, notes: 'recovered', version: 2 },
      } as never);
      const fetched = await api.get<View>(`/api/v1/certificates/${created.id}`);
      expect(fetched.body).toMatchObject({ version: 2, notes: 'recovered' });
      expect(await service.db.collection('certificates').findOne({ _id: created.id as never })).toMatchObject({ version: 2, notes: 'recovered' });
    });
  });

  describe('archiving', () => {
    it('archives with a reason, idempotently, and refuses later edits', async () => {
      const created = await create(certificateFor('cus_Acme'));
      const first = await api.post<View>(`/api/v1/certificates/${created.id}/archive`, { reason: 'Customer no longer exempt' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: 'archived', archivedReason: 'Customer no longer exempt', version: 2 });
      const again = await api.post<View>(`/api/v1/certificates/${created.id}/archive`, { reason: 'again' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ version: 2, archivedReason: 'Customer no longer exempt' });
      const edit = await api.patch<ErrorBody>(`/api/v1/certificates/${created.id}`, { expectedVersion: 2, notes: 'too late' });
      expect(edit.status).toBe(409);
      expect(edit.body.error.message).toContain('archived');
    });
  });

  describe('as days pass', () => {
    afterEach(() => {
      clockMs = START;
    });

    it('moves a certificate from active to expiring soon to expired in status filters, with no sweep', async () => {
      stripe.addCustomer(merchant, { id: 'cus_Delta', name: 'Delta Dairy', email: 'ops@delta.example' });
      const created = await create(certificateFor('cus_Delta', [['US-WI', '2026-01-01', '2026-07-31']]));
      const statusOf = async (): Promise<string[]> =>
        Promise.all(
          ['active', 'expiring_soon', 'expired'].map(async (status) => {
            const page = await api.get<Page>(`/api/v1/certificates?q=delta&status=${status}`);
            return page.body.data.some((c) => c.id === created.id) ? status : '';
          }),
        ).then((found) => found.filter(Boolean));
      expect(await statusOf()).toEqual(['active']);
      clockMs = Date.parse('2026-07-01T12:00:00Z');
      expect(await statusOf()).toEqual(['expiring_soon']);
      clockMs = Date.parse('2026-08-01T12:00:00Z');
      expect(await statusOf()).toEqual(['expired']);
      // Back in time (a clock correction) the stored status is recomputed too.
      clockMs = START;
      expect(await statusOf()).toEqual(['active']);
    });

    it('recomputes statuses when the account widens its expiring-soon window', async () => {
      stripe.addCustomer(merchant, { id: 'cus_Echo', name: 'Echo Electric', email: 'ap@echo.example' });
      const created = await create(certificateFor('cus_Echo', [['US-OH', '2026-01-01', '2026-07-31']]));
      expect((await api.get<Page>('/api/v1/certificates?q=echo&status=active')).body.data.map((c) => c.id)).toEqual([created.id]);
      expect((await api.patch('/api/v1/settings', { expiringWindowDays: 90 })).status).toBe(200);
      expect((await api.get<Page>('/api/v1/certificates?q=echo&status=expiring_soon')).body.data.map((c) => c.id)).toEqual([created.id]);
      expect((await api.patch('/api/v1/settings', { expiringWindowDays: 30 })).status).toBe(200);
    });
  });

  describe('tenant isolation', () => {
    it.each([
      ['another account', otherAccount],
      ['the other mode of the same account', liveMerchant],
    ])('hides every certificate from %s: 404 on every id route, nothing in lists', async (_case, intruderTenant) => {
      const created = await create(certificateFor('cus_Acme'));
      const intruder = api.as(intruderTenant);
      const before = await service.db.collection('certificates').findOne({ _id: created.id as never });

      expect((await intruder.get(`/api/v1/certificates/${created.id}`)).status).toBe(404);
      expect((await intruder.patch(`/api/v1/certificates/${created.id}`, { expectedVersion: 1, notes: 'mine now' })).status).toBe(404);
      expect((await intruder.post(`/api/v1/certificates/${created.id}/archive`, {})).status).toBe(404);
      expect((await intruder.get<Page>('/api/v1/certificates?q=acme')).body.data).toEqual([]);
      expect((await intruder.get<{ data: View[] }>('/api/v1/customers/cus_Acme/certificates')).body.data).toEqual([]);
      expect(await service.db.collection('certificates').findOne({ _id: created.id as never })).toEqual(before);
    });
  });

  describe('signatures', () => {
    const body = JSON.stringify(certificateFor('cus_Acme'));
    const call = { method: 'POST', target: '/api/v1/certificates', body, contentType: 'application/json' } as const;

    async function expectRefused(response: Response): Promise<void> {
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.message).not.toBe('');
    }

    it('refuses a tampered body, a wrong secret, an old timestamp, a replay to another route and a missing header — writing nothing', async () => {
      const before = await countStored();
      const url = service.url ?? '';
      const signed = (await import('../../worker/src/tools/signedFetch.js')).signCall(call, api.identity);

      await expectRefused(await fetch(`${url}/api/v1/certificates`, { method: 'POST', headers: signed, body: body.replace('resale', 'charitable') }));
      await expectRefused(await signedFetch(url, call, { ...api.identity, secret: 'absec_someone_else000000000000000' }));
      await expectRefused(await signedFetch(url, { ...call, timestamp: Math.floor(Date.now() / 1000) - 301 }, api.identity));
      await expectRefused(await fetch(`${url}/api/v1/settings`, { method: 'PATCH', headers: signed, body }));
      const { 'Stripe-Signature': _dropped, ...unsigned } = signed;
      await expectRefused(await fetch(`${url}/api/v1/certificates`, { method: 'POST', headers: unsigned, body }));
      await expectRefused(await fetch(`${url}/api/v1/certificates`, { method: 'POST', headers: { ...signed, 'Stripe-Signature': 'garbage' }, body }));

      expect(await countStored()).toEqual(before);
    });

    it('answers the sandboxed iframe’s CORS preflight on the API', async () => {
      const response = await fetch(`${service.url}/api/v1/certificates`, {
        method: 'OPTIONS',
        headers: { Origin: 'null', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'stripe-signature,content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-headers')).toContain('Stripe-Signature');
      // Health endpoints are not part of the UI API and carry no CORS grant.
      expect((await fetch(`${service.url}/healthz`)).headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

