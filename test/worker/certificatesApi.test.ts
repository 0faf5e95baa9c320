import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

/** 2026-05-12, midday UTC: the brief's worked example day. */
const clock: Clock = { now: () => new Date('2026-05-12T12:00:00Z') };
const merchant: Tenant = { accountId: 'acct_1Merchant0000001', livemode: false };

interface View {
  id: string;
  version: number;
  status: string;
  customer: { id: string; name: string | null; email: string | null };
  jurisdictions: Array<{ code: string; effectiveDate: string; expirationDate: string | null }>;
  notes: string;
  archivedAt: string | null;
  history?: Array<{ version: number; action: string; actor: { type: string; id: string }; changes: Array<{ field: string }> }>;
}

function texasResale(customerId: string, expirationDate: string | null = '2027-12-31') {
  return {
    customerId,
    reason: 'resale',
    form: 'single_state',
    number: 'TX-123456',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', registrationId: '1-23-4567890', effectiveDate: '2026-01-01', expirationDate }],
    notes: 'Received by email',
  };
}

describe('certificate records API', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  it('creates a certificate by manual entry and returns it with its status and history', async () => {
    const created = await api.post<View>('/api/v1/certificates', texasResale('cus_Acme'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, status: 'active', customer: { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' } });

    const fetched = await api.get<View>(`/api/v1/certificates/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.history).toEqual([
      expect.objectContaining({ version: 1, action: 'created', actor: { type: 'user', id: 'usr_test0000001' } }),
    ]);
  });
});
