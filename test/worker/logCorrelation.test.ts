/**
 * Every line the worker logs while it handles a request or runs a job says which: a request's
 * lines carry its id (the X-Request-Id it answered with), a job's lines its name and id and what
 * identifies the work (the Stripe event id, the reprocess run id, the email key) — including
 * lines written deep inside the work (the coverage sync a Stripe event triggers), and the
 * failures the scheduler logs for a job. Start-up and shutdown lines are the process's own.
 */
import { Writable } from 'node:stream';
import type { Clock } from '../../worker/src/clock.js';
import { PROCESS_STRIPE_EVENT } from '../../worker/src/jobs/processStripeEvent.js';
import { REPROCESS_RUN } from '../../worker/src/jobs/reprocessRun.js';
import { SEND_EMAIL } from '../../worker/src/jobs/sendEmail.js';
import { SYNC_CUSTOMER_COVERAGE } from '../../worker/src/jobs/syncCustomerCoverage.js';
import { createLogger } from '../../worker/src/logger.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { TestSmtpServer } from '../support/smtp.js';
import { deliver, processedEvent, stripeEvent } from '../support/stripeEvents.js';

type Line = Record<string, unknown>;

const merchant: Tenant = { accountId: 'acct_1LogCorrelation01', livemode: false };
const texas = { country: 'US', state: 'TX', postalCode: '78701', city: 'Austin', line1: '1 Congress Ave' };
const clock: Clock = { now: () => new Date('2026-05-12T15:00:00Z') };

const lines: Line[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Line);
    done();
  },
});

const requestIdOf = (line: Line): unknown => (line.req as { id?: unknown } | undefined)?.id;
const withMessage = (message: string) => (line: Line) => typeof line.msg === 'string' && line.msg.startsWith(message);

/** What each job's lines must name besides the job id. */
const identifiers: Record<string, string[]> = {
  [PROCESS_STRIPE_EVENT]: ['eventId'],
  [REPROCESS_RUN]: ['runId'],
  [SEND_EMAIL]: ['emailKey', 'accountId'],
  [SYNC_CUSTOMER_COVERAGE]: ['customerId', 'accountId'],
};

describe('log lines of requests and jobs', () => {
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_HandSet', name: 'Hand Set Co', shipping: texas, taxExempt: 'reverse' })
    .addCustomer(merchant, { id: 'cus_Mailed', name: 'Mailed Co', email: 'tax@mailed.example', address: { country: 'US', state: 'TX' } });
  let smtp: TestSmtpServer;
  let service: TestService;
  let api: ApiClient;
  let firstLine = 0;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    service = await startTestService({ stripe, clock, logger: createLogger('trace', sink), config: testConfig({ SMTP_URL: smtp.url }) });
    api = new ApiClient(service.url ?? '', merchant);
    // What came before is start-up: the process's own lines.
    firstLine = lines.length;
  });
  afterAll(async () => {
    await service.dispose();
    await smtp.stop();
  });

  it('names the request or the job (and its event, run or email) on every line', async () => {
    // A certificate for a customer whose tax_exempt was set by hand: the coverage sync job warns.
    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: 'cus_HandSet',
      reason: 'resale',
      form: 'single_state',
      number: 'TX-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
      notes: '',
    });
    expect(created.status).toBe(201);
    // A Stripe event about that customer: the same warning, now from inside the event's job.
    const event = stripeEvent('customer.updated', { id: 'cus_HandSet', name: 'Hand Set Co' }, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processedEvent(service.db, event.id);
    // A filed period (logged by the route), a reprocess run, an email refused once, a job with bad data.
    const filed = await api.post('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-03' });
    expect(filed.status).toBe(200);
    const run = await api.post<{ id: string }>(`/api/v1/certificates/${created.body.id}/reprocess`, { startDate: '2026-03-01', endDate: '2026-05-31' });
    expect(run.status).toBe(201);
    smtp.failNext(1);
    const request = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: 'cus_Mailed' });
    expect(request.status).toBe(201);
    await service.scheduler.now(PROCESS_STRIPE_EVENT, { eventId: 'not-an-event-id' });

    const ours = () => lines.slice(firstLine);
    await eventually(
      async () => ours(),
      (found) =>
        found.some(withMessage('reprocess run completed')) &&
        found.some(withMessage('job failed for good')) &&
        smtp.received.length === 1 &&
        found.filter(withMessage('tax_exempt set by hand')).length >= 2,
      20_000,
    );
    await eventually(async () => ours(), (found) => found.some((line) => line.job === SEND_EMAIL && line.level === 40));
    const written = ours();

    // Every line: a request id, or a job id (and the job's name).
    const anonymous = written.filter((line) => typeof requestIdOf(line) !== 'string' && typeof line.jobId !== 'string');
    expect(anonymous).toEqual([]);
    for (const line of written.filter((l) => typeof l.jobId === 'string')) {
      expect(typeof line.job).toBe('string');
      const valid = !(line.job === PROCESS_STRIPE_EVENT && String(line.msg).startsWith('job'));
      // A job whose data failed validation has nothing else to name.
      if (valid) for (const key of identifiers[String(line.job)] ?? []) expect({ msg: line.msg, [key]: typeof line[key] }).toEqual({ msg: line.msg, [key]: 'string' });
    }

    // The route's own line carries the id its answer did.
    const periodLine = written.find(withMessage('period filed'));
    expect(requestIdOf(periodLine ?? {})).toBe(filed.headers.get('x-request-id'));
    const received = written.find(withMessage('stripe event received'));
    expect(received).toMatchObject({ eventId: event.id });
    expect(typeof requestIdOf(received ?? {})).toBe('string');

    // Deep inside a job: the coverage sync the event triggered names the event and its job.
    const warnings = written.filter(withMessage('tax_exempt set by hand'));
    expect(warnings.find((line) => line.job === SYNC_CUSTOMER_COVERAGE)).toMatchObject({ customerId: 'cus_HandSet', jobId: expect.any(String) });
    expect(warnings.find((line) => line.job === PROCESS_STRIPE_EVENT)).toMatchObject({ eventId: event.id, jobId: expect.any(String) });
    expect(written.find(withMessage('stripe event processed'))).toMatchObject({ job: PROCESS_STRIPE_EVENT, eventId: event.id });
    expect(written.find(withMessage('reprocess run completed'))).toMatchObject({ job: REPROCESS_RUN, runId: run.body.id });
    // The refused email: logged once, as its job's failure, with the email key.
    const refused = written.filter((line) => line.job === SEND_EMAIL && withMessage('job run failed')(line));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ emailKey: expect.stringContaining(request.body.id), accountId: merchant.accountId });
    // The job with bad data: its id, on the validation line and on the give-up line.
    const invalid = written.filter((line) => line.job === PROCESS_STRIPE_EVENT && (withMessage('job data failed validation')(line) || withMessage('job failed for good')(line)));
    expect(invalid).toHaveLength(2);
    expect(invalid[0]?.jobId).toBe(invalid[1]?.jobId);
  });
});
