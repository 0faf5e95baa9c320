/**
 * One web process and two jobs processes (the real entry point, `worker/src/main.ts --role=…`)
 * on one database. A burst of 2,000 Stripe events, each delivered three times in shuffled order,
 * must end in exactly one set of effects per event, however the work was shared out (on FerretDB
 * two jobs processes may both run one job):
 *
 * - ledger entries: `invoice.finalized` books exactly the expected entry ids;
 * - Stripe writes, counted by idempotency key by the fake Stripe API the processes call over HTTP
 *   (STRIPE_API_BASE): `customer.updated` and `invoice.created` make a certified customer
 *   `tax_exempt: exempt` (one key per customer), and `invoice.created` tags each draft with its
 *   certificate (one key per draft);
 * - emails, counted by Message-ID at a real SMTP server: certificate requests sent through the
 *   web API during the burst, and the daily job (run three times, by whichever process locks it)
 *   reminding customers whose certificates expire in 5 days and sending the merchant's digest.
 */
import { addDays, calendarDateIn, certificateInputSchema, createCertificate, dueReminderStep, reminderKey, type CalendarDate } from '@exemptions/shared';
import { MongoClient, type Db } from 'mongodb';
import { CertificateRepository } from '../../worker/src/certificates/certificateRepository.js';
import { CERTIFICATE_REQUESTS_DAILY } from '../../worker/src/jobs/certificateRequestsDaily.js';
import { agendaQueue } from '../../worker/src/jobs/queue.js';
import { createScheduler } from '../../worker/src/jobs/scheduler.js';
import { createLogger } from '../../worker/src/logger.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { FakeStripeApi } from '../../scripts/demo/fakeStripeApi.js';
import { ApiClient } from '../support/api.js';
import { testServerUri, uniqueDatabaseName } from '../support/database.js';
import {
  bareMessageId,
  deliverUntilAcknowledged,
  faultSeed,
  finalizedInvoice,
  inParallel,
  messageIdOf,
  recordFaultFigures,
  shuffle,
  sleep,
  TEXAS_RATE,
  waitFor,
  type Delivery,
} from '../support/faults.js';
import { seededRandom } from '../../bench/lib/stats.js';
import { TestSmtpServer } from '../support/smtp.js';
import { stripeEvent, type EventFixture } from '../support/stripeEvents.js';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess.js';

const merchant: Tenant = { accountId: 'acct_1FaultBurst000001', livemode: false };
const EVENTS = Number(process.env.FAULTS_BURST_EVENTS ?? 2_000);
const DELIVERIES_PER_EVENT = 3;
const SENDER_CONCURRENCY = 24;
/** One `customer.updated` per customer (10% of the events), `invoice.created` for 20%, `invoice.finalized` for the rest. */
const CUSTOMERS = Math.floor(EVENTS / 10);
const DRAFTS = Math.floor(EVENTS / 5);
const FINALIZED = EVENTS - CUSTOMERS - DRAFTS;
/** The first half of the customers hold a Texas certificate; the first quarter's expires in 5 days. */
const CERTIFIED = Math.floor(CUSTOMERS / 2);
const EXPIRING = Math.floor(CUSTOMERS / 4);
/** Customers asked for a certificate through the API during the burst (from the uncertified half). */
const REQUESTED = Math.floor(CUSTOMERS / 4);
const DAILY_RUNS = 3;
const MERCHANT_EMAIL = 'tax@merchant.example';

const pad = (n: number, width = 5): string => String(n).padStart(width, '0');
const customerId = (n: number): string => `cus_Burst${pad(n)}`;
const draftId = (n: number): string => `in_BurstDraft${pad(n)}`;
const finalizedId = (n: number): string => `in_BurstFinal${pad(n)}`;
const certificateId = (n: number): string => `cert_${pad(n, 24)}`;

/** A zone where it is about noon now, so the daily job sends (from 08:00 local) and "today" holds through the test. */
function noonZone(): string {
  const offset = 12 - new Date().getUTCHours();
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

async function seedCertificates(db: Db, today: CalendarDate): Promise<void> {
  const certificates = new CertificateRepository(db);
  const basis = { today, windowDays: 30 };
  for (let n = 0; n < CERTIFIED; n += 1) {
    const certificate = createCertificate(
      certificateInputSchema.parse({
        customerId: customerId(n),
        reason: 'resale',
        form: 'single_state',
        number: `TX-${n}`,
        purchase: { type: 'blanket' },
        jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: n < EXPIRING ? addDays(today, 5) : null }],
        notes: '',
      }),
      { id: certificateId(n), accountId: merchant.accountId, livemode: merchant.livemode, source: 'merchant', now: new Date().toISOString() },
    );
    await certificates.insert(certificate, { name: `Customer ${n}`, email: `buyer${n}@example.com` }, basis, { type: 'system', id: 'fault-test' });
  }
}

describe('several processes', () => {
  const database = uniqueDatabaseName();
  const stripe = new FakeStripeApi();
  let client: MongoClient;
  let smtp: TestSmtpServer;
  const workers: WorkerProcess[] = [];
  let scheduler: Awaited<ReturnType<typeof createScheduler>> | null = null;

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await scheduler?.stop(false).catch(() => undefined);
    await smtp?.stop();
    await stripe.close();
    await client?.db(database).dropDatabase();
    await client?.close();
  });

  it('turns 2,000 events delivered three times each into exactly one set of effects', async () => {
    const seed = faultSeed();
    const random = seededRandom(seed);
    client = await MongoClient.connect(testServerUri());
    const db = client.db(database);
    const zone = noonZone();
    const today = calendarDateIn(new Date(), zone);

    stripe.addTaxRate(merchant.accountId, TEXAS_RATE);
    for (let n = 0; n < CUSTOMERS; n += 1) {
      stripe.addCustomer(merchant.accountId, {
        id: customerId(n),
        name: `Customer ${n}`,
        email: `buyer${n}@example.com`,
        taxExempt: 'none',
        address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: `${n} Congress Ave` },
      });
    }
    for (let n = 0; n < DRAFTS; n += 1) stripe.addInvoice(merchant.accountId, { id: draftId(n), object: 'invoice', livemode: false, status: 'draft', customer: customerId(n % CUSTOMERS) });
    smtp = await TestSmtpServer.start();
    const env = { STRIPE_API_BASE: await stripe.listen(0), SMTP_URL: smtp.url };
    const options = { mongoUri: testServerUri(), database, env };
    // Each jobs process's "stripe event processed" lines: an event handled to the end twice was run by both.
    const handled = new Map<string, number>();
    const countHandled = (line: string): void => {
      if (!line.includes('"msg":"stripe event processed"')) return;
      const eventId = /"eventId":"(evt_[A-Za-z0-9_]+)"/.exec(line)?.[1];
      if (eventId !== undefined) handled.set(eventId, (handled.get(eventId) ?? 0) + 1);
    };
    const web = await startWorkerProcess({ ...options, role: 'web' });
    workers.push(web);
    for (let n = 0; n < 2; n += 1) workers.push(await startWorkerProcess({ ...options, role: 'jobs', onLine: countHandled }));
    const api = new ApiClient(web.url ?? '', merchant);
    expect((await api.patch('/api/v1/settings', { timeZone: zone, merchantNotificationEmail: MERCHANT_EMAIL })).status).toBe(200);
    await seedCertificates(db, today);

    const events: EventFixture[] = [];
    for (let n = 0; n < CUSTOMERS; n += 1) {
      const customer = { id: customerId(n), name: `Customer ${n}`, email: `buyer${n}@example.com` };
      events.push(stripeEvent('customer.updated', customer, merchant, `evt_BurstCustomer${pad(n)}`));
    }
    for (let n = 0; n < DRAFTS; n += 1) events.push(stripeEvent('invoice.created', { id: draftId(n), customer: customerId(n % CUSTOMERS), status: 'draft' }, merchant, `evt_BurstDraft${pad(n)}`));
    for (let n = 0; n < FINALIZED; n += 1) {
      events.push(stripeEvent('invoice.finalized', finalizedInvoice(finalizedId(n), customerId(n % CUSTOMERS), 5_000 + n), merchant, `evt_BurstFinal${pad(n)}`));
    }
    const deliveries = shuffle(
      events.flatMap((event) => Array.from({ length: DELIVERIES_PER_EVENT }, () => event)),
      random,
    );

    // The daily job, enqueued as the hourly schedule would, three times during the burst.
    scheduler = createScheduler({ db, logger: createLogger('silent'), pollIntervalMs: 60_000, lockLimit: 1, lockLimitPerName: 1, maxConcurrency: 1 });
    await scheduler.ready;
    const queue = agendaQueue(scheduler);
    let delivered = 0;
    const dailyRuns = (async () => {
      for (let run = 0; run < DAILY_RUNS; run += 1) {
        while (delivered < (deliveries.length * run) / DAILY_RUNS) await sleep(50);
        await queue.enqueue(CERTIFICATE_REQUESTS_DAILY, { accountId: merchant.accountId, livemode: merchant.livemode });
      }
    })();
    // Certificate requests through the web API, one after another while the burst goes on.
    const requestIds: string[] = [];
    const requests = (async () => {
      for (let n = CERTIFIED; n < CERTIFIED + REQUESTED; n += 1) {
        const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: customerId(n) });
        expect(created.status).toBe(201);
        requestIds.push(created.body.id);
      }
    })();

    const results: Delivery[] = new Array<Delivery>(deliveries.length);
    const began = Date.now();
    await inParallel(deliveries.length, SENDER_CONCURRENCY, async (index) => {
      const event = deliveries[index];
      if (event === undefined) return;
      results[index] = await deliverUntilAcknowledged(web.url ?? '', event, { giveUpAfterMs: 120_000 });
      delivered += 1;
    });
    const sentIn = Date.now() - began;
    await Promise.all([dailyRuns, requests]);

    // Every event processed, every email sent, and no job left to run.
    const expectedEmails = REQUESTED + EXPIRING + 1;
    const allDone = async () => ({
      processed: await db.collection('stripe_events').countDocuments({ processedAt: { $ne: null } }),
      emails: await db.collection('emails').countDocuments({}),
      sent: await db.collection('emails').countDocuments({ status: 'sent' }),
      received: smtp.received.length,
      pendingJobs: await db.collection('jobs').countDocuments({ type: { $ne: 'single' }, $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }] }),
    });
    const done = await waitFor(
      'every event processed, every email sent and no job waiting',
      allDone,
      (state) => state.processed === EVENTS && state.sent === expectedEmails && state.received >= expectedEmails && state.pendingJobs === 0,
      600_000,
      workers,
      500,
    );
    const drainedIn = Date.now() - began;
    // A late duplicate (a second run of some job) would show now.
    await sleep(5_000);
    expect(await allDone()).toEqual(done);
    for (const worker of workers) expect(worker.running()).toBe(true);

    // Webhooks: every delivery acknowledged; all but the first of each event acknowledged as duplicates.
    expect(results.every((result) => result.acknowledged !== null)).toBe(true);
    const statuses = results.flatMap((result) => result.statuses);
    const duplicatesAcknowledged = results.filter((result) => result.acknowledged?.duplicate === true).length;
    expect(await db.collection('stripe_events').countDocuments({})).toBe(EVENTS);
    const outcomes = await db.collection('stripe_events').distinct('outcome');
    expect(outcomes).toEqual(['processed']);

    // Ledger: exactly the expected entries.
    const entryIds = (await db.collection('ledger_entries').find({}, { projection: { _id: 1 } }).toArray()).map((entry) => String(entry._id)).sort();
    const expectedEntries = Array.from({ length: FINALIZED }, (_, n) => `${finalizedId(n)}:US-TX`).sort();
    expect(entryIds).toEqual(expectedEntries);

    // Stripe: each write under its own key, each key applied once, no key reused for another write.
    const writes = stripe.writesByKey(merchant.accountId);
    const postCalls = stripe.calls.filter((call) => call.method === 'POST');
    expect(postCalls.filter((call) => call.idempotencyKey === undefined)).toEqual([]);
    expect(writes.filter((write) => write.mismatches > 0)).toEqual([]);
    const expectedKeys = [
      ...Array.from({ length: CERTIFIED }, (_, n) => `tax_exempt:${customerId(n)}:1:exempt`),
      ...Array.from({ length: DRAFTS }, (_, n) => `invoice_metadata:${draftId(n)}:${n % CUSTOMERS < CERTIFIED ? certificateId(n % CUSTOMERS) : 'none'}`),
    ].sort();
    expect(writes.map((write) => write.key).sort()).toEqual(expectedKeys);
    for (let n = 0; n < CUSTOMERS; n += 1) expect(stripe.taxExemptOf(merchant.accountId, customerId(n))).toBe(n < CERTIFIED ? 'exempt' : 'none');
    const conflicts = await db.collection('tax_exempt_sync').countDocuments({ conflict: { $ne: null } });

    // Emails: each key's message received exactly once.
    const received = smtp.received.map((email) => bareMessageId(email.messageId)).sort();
    const emailKeys = [
      ...requestIds.map((id) => `request:${id}:1`),
      ...Array.from({ length: EXPIRING }, (_, n) => {
        const expiration = addDays(today, 5);
        return reminderKey(certificateId(n), expiration, dueReminderStep(expiration, [30, 7], today) ?? -1);
      }),
      `expiring_digest:${merchant.accountId}:test:${today}`,
    ];
    expect(received).toEqual(emailKeys.map((key) => messageIdOf(merchant, key)).sort());

    const runsPerEvent = [...handled.values()];
    await recordFaultFigures('several-processes', {
      seed,
      webProcesses: 1,
      jobsProcesses: 2,
      events: EVENTS,
      eventsByType: { 'customer.updated': CUSTOMERS, 'invoice.created': DRAFTS, 'invoice.finalized': FINALIZED },
      deliveries: deliveries.length,
      deliveryAttempts: statuses.length,
      answeredNon2xx: statuses.filter((status) => status < 200 || status >= 300).length,
      duplicatesSuppressed: duplicatesAcknowledged,
      eventsProcessed: done.processed,
      eventsHandledByBothProcesses: runsPerEvent.filter((runs) => runs > 1).length,
      handlerRunsBeyondOnePerEvent: runsPerEvent.reduce((sum, runs) => sum + runs - 1, 0),
      ledgerEntries: entryIds.length,
      ledgerEntriesExpected: expectedEntries.length,
      stripeWriteKeys: writes.length,
      stripeWriteKeysExpected: expectedKeys.length,
      stripeWriteRequests: postCalls.length,
      stripeWritesReplayedByKey: writes.reduce((sum, write) => sum + write.requests - 1, 0),
      stripeKeysReusedForOtherWrites: writes.filter((write) => write.mismatches > 0).length,
      emailsExpected: emailKeys.length,
      emailsReceived: received.length,
      emailsDuplicated: received.length - new Set(received).size,
      emailsByKind: { request: REQUESTED, reminder: EXPIRING, digest: 1 },
      dailyJobRuns: DAILY_RUNS,
      taxExemptConflictsRecorded: conflicts,
      secondsToDeliver: Math.round(sentIn / 100) / 10,
      secondsUntilAllEffects: Math.round(drainedIn / 100) / 10,
      // A job locked by both processes: the one that starts it after the other has finished (and removed it) cannot save it, logs so, and drops it.
      jobsRemovedUnderSecondLock: workers.reduce((sum, worker) => sum + worker.errorLines().filter((line) => line.includes('cannot be updated in the database')).length, 0),
      workerErrorLogLines: workers.reduce((sum, worker) => sum + worker.errorLines().length, 0),
      workerErrorSamples: workers.flatMap((worker) => worker.errorLines().slice(0, 3).map((line) => line.slice(0, 600))),
    });
    expect(conflicts).toBe(0);
  }, 1_200_000);
});
