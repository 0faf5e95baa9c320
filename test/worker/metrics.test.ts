/**
 * /metrics as Prometheus reads it, on the production topology: a web process (the HTTP API,
 * webhooks, and the queue read from the database) and a jobs process (job runs and emails, on
 * its own METRICS_PORT), sharing one database. Counters and histograms are checked to move
 * with the right labels, the queue gauges to follow the queue, and the output and the route to
 * give away nothing: no secret, no token, no raw URL.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../worker/src/config.js';
import { PROCESS_STRIPE_EVENT } from '../../worker/src/jobs/processStripeEvent.js';
import { SYNC_CUSTOMER_COVERAGE } from '../../worker/src/jobs/syncCustomerCoverage.js';
import { bearerTokenMatches } from '../../worker/src/metrics/routes.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient, TEST_APP_SECRET } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { TestSmtpServer } from '../support/smtp.js';
import { deliver, processedEvent, signatureFor, stripeEvent, TEST_WEBHOOK_SECRET } from '../support/stripeEvents.js';

const merchant: Tenant = { accountId: 'acct_1Metrics00000001', livemode: false };
const METRICS_TOKEN = `mt_${randomBytes(24).toString('hex')}`;
const texas = { country: 'US', state: 'TX' };

/** One sample of the exposition: `name{a="x",b="y"} value`, labels in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value) && Object.keys(found).length === Object.keys(labels).length) return Number(match[3]);
  }
  return undefined;
}

function scrape(baseUrl: string, token: string | null = METRICS_TOKEN, path = '/metrics'): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
}

async function metricsText(baseUrl: string): Promise<string> {
  const response = await scrape(baseUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('/metrics', () => {
  const database = testConfig().MONGODB_DB;
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Metrics', name: 'Metrics Co', email: 'tax@metrics.example', address: texas });
  let smtp: TestSmtpServer;
  let web: TestService;
  let jobs: TestService | undefined;
  let api: ApiClient;
  const events = [0, 1, 2].map((n) => stripeEvent('customer.updated', { id: `cus_Queued${n}`, name: `Queued ${n}` }, merchant));

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    web = await startTestService({ role: 'web', stripe, config: testConfig({ MONGODB_DB: database, METRICS_TOKEN, SMTP_URL: smtp.url }) });
    api = new ApiClient(web.url ?? '', merchant);
  });
  afterAll(async () => {
    await jobs?.stop();
    await web.dispose();
    await smtp.stop();
  });

  it('answers 401 without the bearer token or with another, and says nothing else', async () => {
    const none = await scrape(web.url ?? '', null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    // One character off (never the same one: a random token can end in any hex digit).
    const wrong = await scrape(web.url ?? '', `${METRICS_TOKEN.slice(0, -1)}${METRICS_TOKEN.endsWith('0') ? '1' : '0'}`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('exemptions_');
    expect((await fetch(`${web.url ?? ''}/metrics`, { headers: { Authorization: METRICS_TOKEN } })).status).toBe(401);
    expect((await fetch(`${web.url ?? ''}/metrics`, { headers: { Authorization: `Basic ${METRICS_TOKEN}` } })).status).toBe(401);
    expect((await scrape(web.url ?? '')).status).toBe(200);
    expect(bearerTokenMatches(`bearer ${METRICS_TOKEN}`, METRICS_TOKEN)).toBe(true);
    expect(bearerTokenMatches('Bearer ', METRICS_TOKEN)).toBe(false);
    expect(bearerTokenMatches(undefined, METRICS_TOKEN)).toBe(false);
  });

  it('counts and times requests by method, route pattern and status, never by URL', async () => {
    expect((await api.get('/api/v1/certificates')).status).toBe(200);
    expect((await api.get('/api/v1/certificates?limit=5')).status).toBe(200);
    expect((await api.get('/api/v1/certificates/cert_0123456789abcdef01234567')).status).toBe(404);
    expect((await fetch(`${web.url ?? ''}/api/v1/certificates`)).status).toBe(401);
    const portalToken = randomBytes(24).toString('base64url');
    const downloadToken = randomBytes(24).toString('base64url');
    await (await fetch(`${web.url ?? ''}/portal/r/${portalToken}`)).text();
    await (await fetch(`${web.url ?? ''}/downloads/${downloadToken}`)).text();
    expect((await fetch(`${web.url ?? ''}/no/such/${portalToken}?token=${downloadToken}`)).status).toBe(404);

    const text = await metricsText(web.url ?? '');
    const list = { method: 'GET', route: '/api/v1/certificates', status: '200' };
    expect(sample(text, 'exemptions_http_requests_total', list)).toBe(2);
    expect(sample(text, 'exemptions_http_request_duration_seconds_count', list)).toBe(2);
    expect(sample(text, 'exemptions_http_request_duration_seconds_bucket', { ...list, le: '+Inf' })).toBe(2);
    expect(sample(text, 'exemptions_http_request_duration_seconds_sum', list)).toBeGreaterThan(0);
    // Thrown in the route and answered by the app's error handler: still the route's full pattern.
    expect(sample(text, 'exemptions_http_requests_total', { method: 'GET', route: '/api/v1/certificates/:id', status: '404' })).toBe(1);
    // Refused by the router's signature check before any route matched: the mount.
    expect(sample(text, 'exemptions_http_requests_total', { method: 'GET', route: '/api/v1/*', status: '401' })).toBe(1);
    expect(text).toMatch(/exemptions_http_requests_total\{method="GET",route="\/portal\/r\/:token",status="\d+"\} 1/);
    expect(text).toMatch(/exemptions_http_requests_total\{method="GET",route="\/downloads\/:token",status="404"\} 1/);
    expect(sample(text, 'exemptions_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // The scrapes themselves, refused ones included.
    expect(sample(text, 'exemptions_http_requests_total', { method: 'GET', route: '/metrics', status: '401' })).toBeGreaterThanOrEqual(4);

    for (const secret of [portalToken, downloadToken, 'cert_0123456789abcdef01234567', 'limit=5', METRICS_TOKEN, TEST_APP_SECRET, TEST_WEBHOOK_SECRET]) expect(text).not.toContain(secret);
    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1] ?? '');
    for (const route of new Set(routes)) expect(route).toMatch(/^(unmatched|\/[a-z0-9/_.:*-]*)$/i);
    // Process metrics come too.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts webhook deliveries by outcome, and the queue gauges show the jobs they queued', async () => {
    for (const event of events) expect((await deliver(web.url ?? '', event)).status).toBe(200);
    const first = events[0];
    if (first === undefined) throw new Error('no event');
    expect((await deliver(web.url ?? '', first)).status).toBe(200);
    const forgedSignature = signatureFor(first.body, 'whsec_forged_00000000000000000000');
    expect((await deliver(web.url ?? '', first, forgedSignature)).status).toBe(400);
    // Signed, but for no account and with no platform account configured: 503, Stripe retries.
    const accountless = JSON.stringify({ ...(JSON.parse(first.body) as Record<string, unknown>), id: 'evt_NoAccount0001', account: undefined });
    expect((await deliver(web.url ?? '', { id: 'evt_NoAccount0001', body: accountless })).status).toBe(503);
    // Two coverage syncs scheduled for later, as a retry would be.
    const later = new Date(Date.now() + 3_600_000);
    for (const customerId of ['cus_Later1', 'cus_Later2']) await web.scheduler.schedule(later, SYNC_CUSTOMER_COVERAGE, { ...merchant, customerId });

    const text = await metricsText(web.url ?? '');
    expect(sample(text, 'exemptions_webhook_deliveries_total', { outcome: 'accepted' })).toBe(3);
    expect(sample(text, 'exemptions_webhook_deliveries_total', { outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'exemptions_webhook_deliveries_total', { outcome: 'bad_signature' })).toBe(1);
    expect(sample(text, 'exemptions_webhook_deliveries_total', { outcome: 'unavailable' })).toBe(1);
    expect(sample(text, 'exemptions_webhook_duration_seconds_count', { outcome: 'accepted' })).toBe(3);
    expect(sample(text, 'exemptions_http_requests_total', { method: 'POST', route: '/webhooks/stripe', status: '400' })).toBe(1);
    expect(text).not.toContain(forgedSignature);
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);

    // No jobs process yet: the events' jobs wait, and are counted from the shared database.
    expect(sample(text, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'due' })).toBe(3);
    expect(sample(text, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'running' })).toBe(0);
    expect(sample(text, 'exemptions_jobs', { name: SYNC_CUSTOMER_COVERAGE, state: 'waiting' })).toBe(2);
    expect(sample(text, 'exemptions_jobs', { name: SYNC_CUSTOMER_COVERAGE, state: 'due' })).toBe(0);
    expect(sample(text, 'exemptions_jobs_oldest_due_age_seconds')).toBeGreaterThan(0);
    // A web process runs no job.
    expect(text).not.toContain('exemptions_job_runs_total{');
  });

  it('a jobs process serves its job and email counters on METRICS_PORT, and the queue drains', async () => {
    // An email to send (over SMTP, which refuses the first try) and a job whose data is invalid.
    smtp.failNext(1);
    expect((await api.post('/api/v1/certificate-requests', { customerId: 'cus_Metrics' })).status).toBe(201);
    await web.scheduler.now(PROCESS_STRIPE_EVENT, { eventId: 'not-an-event-id' });

    jobs = await startTestService({ role: 'jobs', stripe, config: testConfig({ MONGODB_DB: database, METRICS_TOKEN, METRICS_PORT: '0', SMTP_URL: smtp.url }) });
    expect(jobs.url).toBeNull();
    const metricsUrl = jobs.metricsUrl ?? '';
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const event of events) await processedEvent(web.db, event.id);
    await eventually(async () => smtp.received.length, (n) => n === 1, 15_000);

    const text = await eventually(
      () => metricsText(metricsUrl),
      (t) => sample(t, 'exemptions_job_runs_total', { name: 'send-email', outcome: 'succeeded' }) === 1 && sample(t, 'exemptions_job_runs_total', { name: PROCESS_STRIPE_EVENT, outcome: 'failed' }) === 1,
      15_000,
    );
    expect(sample(text, 'exemptions_job_runs_total', { name: PROCESS_STRIPE_EVENT, outcome: 'succeeded' })).toBe(3);
    expect(sample(text, 'exemptions_job_duration_seconds_count', { name: PROCESS_STRIPE_EVENT, outcome: 'succeeded' })).toBe(3);
    expect(sample(text, 'exemptions_job_runs_total', { name: PROCESS_STRIPE_EVENT, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'exemptions_emails_total', { outcome: 'failed' })).toBe(1);
    expect(sample(text, 'exemptions_emails_total', { outcome: 'sent' })).toBe(1);
    expect(sample(text, 'exemptions_job_runs_total', { name: 'send-email', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'exemptions_job_runs_total', { name: 'send-email', outcome: 'succeeded' })).toBe(1);
    expect(text).not.toContain(METRICS_TOKEN);
    expect(text).not.toContain(smtp.url);

    // The web process sees the queue drained, and the job that failed for good kept.
    const after = await eventually(
      () => metricsText(web.url ?? ''),
      (t) => sample(t, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'due' }) === 0 && sample(t, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'failed' }) === 1,
    );
    expect(sample(after, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'due' })).toBe(0);
    expect(sample(after, 'exemptions_jobs', { name: PROCESS_STRIPE_EVENT, state: 'failed' })).toBe(1);
    expect(sample(after, 'exemptions_jobs', { name: SYNC_CUSTOMER_COVERAGE, state: 'waiting' })).toBe(2);

    // The metrics port is behind the same token, and serves nothing else.
    expect((await scrape(metricsUrl, null)).status).toBe(401);
    expect((await scrape(metricsUrl, 'not-the-token-at-all')).status).toBe(401);
    expect((await scrape(metricsUrl, METRICS_TOKEN, '/healthz')).status).toBe(404);
  });

  it('is not served without METRICS_TOKEN (404), and METRICS_PORT needs one', async () => {
    const plain = await startTestService({ role: 'web', stripe });
    try {
      expect((await scrape(plain.url ?? '', null)).status).toBe(404);
      expect((await scrape(plain.url ?? '', METRICS_TOKEN)).status).toBe(404);
      expect(plain.metricsUrl).toBeNull();
    } finally {
      await plain.dispose();
    }
    expect(() => loadConfig({ METRICS_PORT: '9464' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_PORT: '9464' })).toThrow(/METRICS_PORT: needs METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: expected a random token/);
    expect(() => loadConfig({ METRICS_TOKEN: 'has a space in it, sadly' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN, METRICS_PORT: '9464' })).toMatchObject({ METRICS_TOKEN, METRICS_PORT: 9464 });
  });
});
