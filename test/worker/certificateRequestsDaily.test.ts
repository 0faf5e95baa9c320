/**
 * The daily work, on each account's calendar: reminders before expiry (30 and 7 days by
 * default, once each), automatic renewal requests, link expiry and the merchant digest. The
 * clock is moved day by day; emails are received by a real SMTP server.
 */
import type { Clock } from '../../worker/src/clock.js';
import { CERTIFICATE_REQUESTS_DAILY } from '../../worker/src/jobs/certificateRequestsDaily.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import { runDailyRequestTasks } from '../../worker/src/requests/dailyTasks.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { TestSmtpServer } from '../support/smtp.js';

const plain: Tenant = { accountId: 'acct_1DailyPlain00001', livemode: false };
const automatic: Tenant = { accountId: 'acct_1DailyAuto000001', livemode: false };
const texas = { country: 'US', state: 'TX' };

let now = new Date('2026-05-12T15:00:00Z');
const clock: Clock = { now: () => now };
/** `hour` o'clock in Chicago (UTC−5 in summer) on `date`. */
const chicago = (date: string, hour: number): Date => new Date(`${date}T${String(hour + 5).padStart(2, '0')}:00:00Z`);

describe('daily reminders, renewals, link expiry and the digest', () => {
  let smtp: TestSmtpServer;
  let service: TestService;
  const stripe = new FakeStripe()
    .addCustomer(plain, { id: 'cus_Remind', name: 'Remind Co', email: 'tax@remind.example', address: texas })
    .addCustomer(plain, { id: 'cus_Late', name: 'Late Co', email: 'tax@late.example', address: texas })
    .addCustomer(automatic, { id: 'cus_Auto', name: 'Auto Co', email: 'tax@auto.example', address: texas });

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    service = await startTestService({ stripe, clock, config: testConfig({ SMTP_URL: smtp.url }) });
    const plainApi = new ApiClient(service.url ?? '', plain);
    const autoApi = new ApiClient(service.url ?? '', automatic);
    expect((await plainApi.patch('/api/v1/settings', { timeZone: 'America/Chicago', merchantNotificationEmail: 'ap@plain.example', businessName: 'Plain Goods' })).status).toBe(200);
    expect((await autoApi.patch('/api/v1/settings', { timeZone: 'America/Chicago', autoRenewalRequests: true, businessName: 'Auto Goods' })).status).toBe(200);
    for (const [api, customerId] of [
      [plainApi, 'cus_Remind'],
      [autoApi, 'cus_Auto'],
    ] as const) {
      const created = await api.post('/api/v1/certificates', {
        customerId,
        reason: 'resale',
        form: 'single_state',
        number: 'R-1',
        purchase: { type: 'blanket' },
        jurisdictions: [{ code: 'US-TX', effectiveDate: '2025-07-01', expirationDate: '2026-06-30' }],
      });
      expect(created.status).toBe(201);
    }
    // A request nobody answers, to expire.
    expect((await plainApi.post('/api/v1/certificate-requests', { customerId: 'cus_Late' })).status).toBe(201);
    await smtp.waitFor((e) => e.to.includes('tax@late.example'));
  });
  afterAll(async () => {
    await service.dispose();
    await smtp.stop();
  });

  async function settled(): Promise<void> {
    expect(await eventually(() => service.db.collection(EMAILS).countDocuments({ status: 'queued' }), (n) => n === 0, 20_000)).toBe(0);
  }

  async function day(at: Date): Promise<void> {
    now = at;
    await runDailyRequestTasks(service.context, plain);
    await runDailyRequestTasks(service.context, automatic);
    await settled();
  }

  const count = (template: string, to: string): number => smtp.matching((e) => e.template === template && e.to.includes(to)).length;

  it('sends nothing before the first reminder, nor before 08:00 in the account’s time zone', async () => {
    await day(chicago('2026-05-30', 12));
    await day(chicago('2026-05-31', 7));
    expect(count('reminder', 'tax@remind.example')).toBe(0);
    expect(count('expiring_digest', 'ap@plain.example')).toBe(0);
  });

  it('reminds 30 days before expiry, once however often the job runs, and sends the merchant the digest', async () => {
    await day(chicago('2026-05-31', 9));
    await day(chicago('2026-05-31', 10));
    await day(chicago('2026-06-01', 9));
    expect(count('reminder', 'tax@remind.example')).toBe(1);
    const reminder = await smtp.waitFor((e) => e.template === 'reminder' && e.to.includes('tax@remind.example'));
    expect(reminder.subject).toContain('expires on 2026-06-30, in 30 days');
    expect(reminder.text).toContain('Plain Goods');

    const digests = smtp.matching((e) => e.template === 'expiring_digest' && e.to.includes('ap@plain.example'));
    expect(digests.map((d) => d.subject)).toEqual([
      'Exemption certificates: 1 expiring soon (2026-05-31)',
      'Exemption certificates: 1 expiring soon (2026-06-01)',
    ]);
    expect(digests[0]?.text).toContain('Remind Co — expires 2026-06-30');
  });

  it('with automatic renewals on, sends a renewal request instead of the first reminder, once', async () => {
    expect(count('reminder', 'tax@auto.example')).toBe(0);
    expect(count('request', 'tax@auto.example')).toBe(1);
    const requests = await new ApiClient(service.url ?? '', automatic).get<{ data: Array<{ origin: string; renewsCertificateId: string | null; status: string }> }>('/api/v1/certificate-requests');
    expect(requests.body.data).toEqual([expect.objectContaining({ origin: 'auto_renewal', status: 'sent', renewsCertificateId: expect.stringMatching(/^cert_/) })]);
  });

  it('expires unanswered links on the day they lapse', async () => {
    const api = new ApiClient(service.url ?? '', plain);
    const before = await api.get<{ data: Array<{ status: string }> }>('/api/v1/certificate-requests?customerId=cus_Late');
    expect(before.body.data.map((r) => r.status)).toEqual(['sent']);
    await day(chicago('2026-06-12', 9));
    const after = await api.get<{ data: Array<{ status: string }> }>('/api/v1/certificate-requests?customerId=cus_Late');
    expect(after.body.data.map((r) => r.status)).toEqual(['expired']);
  });

  it('reminds again 7 days before expiry, mentioning the link already sent, and never after expiry', async () => {
    await day(chicago('2026-06-23', 9));
    await day(chicago('2026-06-24', 9));
    expect(count('reminder', 'tax@remind.example')).toBe(2);
    expect(count('reminder', 'tax@auto.example')).toBe(1);
    const auto = await smtp.waitFor((e) => e.template === 'reminder' && e.to.includes('tax@auto.example'));
    expect(auto.text).toContain('emailed you a link to send the renewed certificate on 2026-05-31');
    await day(chicago('2026-07-01', 9));
    expect(count('reminder', 'tax@remind.example')).toBe(2);
  });

  it('runs as an Agenda job for one account', async () => {
    now = chicago('2026-06-29', 9);
    await service.scheduler.now(CERTIFICATE_REQUESTS_DAILY, { accountId: plain.accountId, livemode: plain.livemode });
    const digest = await smtp.waitFor((e) => e.template === 'expiring_digest' && e.subject.includes('2026-06-29'));
    expect(digest.to).toContain('ap@plain.example');
  });
});
