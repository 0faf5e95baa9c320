/**
 * The SMTP server is down while emails are composed: the web process stores each email and
 * queues its send job, two jobs processes fail to deliver it and retry with backoff, and when
 * the server comes back (on the same port) each email is delivered exactly once.
 */
import { MongoClient } from 'mongodb';
import { findFreePort } from '../../worker/src/db/network.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { FakeStripeApi } from '../../scripts/demo/fakeStripeApi.js';
import { ApiClient } from '../support/api.js';
import { testServerUri, uniqueDatabaseName } from '../support/database.js';
import { bareMessageId, messageIdOf, recordFaultFigures, sleep } from '../support/faults.js';
import { eventually } from '../support/service.js';
import { TestSmtpServer } from '../support/smtp.js';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess.js';

const merchant: Tenant = { accountId: 'acct_1FaultSmtp0000001', livemode: false };
const EMAILS = 40;
const DOWN_MS = 10_000;

interface EmailRow {
  _id: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

describe('SMTP server down', () => {
  const database = uniqueDatabaseName();
  const stripe = new FakeStripeApi();
  let client: MongoClient;
  let smtp: TestSmtpServer | null = null;
  const workers: WorkerProcess[] = [];

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await smtp?.stop();
    await stripe.close();
    await client?.db(database).dropDatabase();
    await client?.close();
  });

  it('retries every email while the server is down and sends each exactly once when it returns', async () => {
    client = await MongoClient.connect(testServerUri());
    const db = client.db(database);
    for (let n = 0; n < EMAILS; n += 1) {
      const id = `cus_SmtpDown${String(n).padStart(3, '0')}`;
      stripe.addCustomer(merchant.accountId, {
        id,
        name: `Customer ${n}`,
        email: `buyer${n}@example.com`,
        taxExempt: 'none',
        address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: `${n} Congress Ave` },
      });
    }
    const stripeBase = await stripe.listen(0);
    // Nothing listens on this port until the server "comes back".
    const smtpPort = await findFreePort();
    const env = { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, STRIPE_API_BASE: stripeBase };
    const options = { mongoUri: testServerUri(), database, env };
    workers.push(await startWorkerProcess({ ...options, role: 'web' }));
    workers.push(await startWorkerProcess({ ...options, role: 'jobs' }), await startWorkerProcess({ ...options, role: 'jobs' }));
    const api = new ApiClient(workers[0]?.url ?? '', merchant);

    const downSince = Date.now();
    const requestIds: string[] = [];
    for (let n = 0; n < EMAILS; n += 1) {
      const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: `cus_SmtpDown${String(n).padStart(3, '0')}` });
      expect(created.status).toBe(201);
      requestIds.push(created.body.id);
    }
    const emails = db.collection<EmailRow>('emails');
    const keys = requestIds.map((id) => `request:${id}:1`);
    // Every email has been tried and refused at least once before the server returns.
    const triedOnce = await eventually(() => emails.find({}).toArray(), (rows) => rows.length === EMAILS && rows.every((row) => row.attempts >= 1), 60_000);
    expect(triedOnce.map((row) => row._id).sort()).toEqual([...keys].sort());
    expect(triedOnce.every((row) => row.status === 'queued')).toBe(true);
    await sleep(Math.max(0, downSince + DOWN_MS - Date.now()));

    smtp = await TestSmtpServer.start(smtpPort);
    const backAt = Date.now();
    const server = smtp;
    await eventually(async () => server.received.length, (count) => count >= EMAILS, 120_000);
    const allSentAt = Date.now();
    const sent = await eventually(() => emails.find({}).toArray(), (rows) => rows.every((row) => row.status === 'sent'), 30_000);
    // Late duplicates (a second job for one email) would arrive now.
    await sleep(3_000);

    expect(sent.map((row) => row.status)).toEqual(Array.from({ length: EMAILS }, () => 'sent'));
    const received = server.received.map((email) => bareMessageId(email.messageId)).sort();
    expect(received).toEqual(keys.map((key) => messageIdOf(merchant, key)).sort());
    expect(new Set(received).size).toBe(EMAILS);
    for (const worker of workers) expect(worker.running()).toBe(true);

    const failures = (await emails.find({}).toArray()).map((row) => row.attempts);
    await recordFaultFigures('smtp-down', {
      emails: EMAILS,
      jobsProcesses: 2,
      smtpDownSeconds: Math.round((backAt - downSince) / 100) / 10,
      failedAttempts: failures.reduce((sum, count) => sum + count, 0),
      failedAttemptsPerEmailMax: Math.max(...failures),
      failedAttemptsPerEmailMin: Math.min(...failures),
      smtpDataAttemptsAfterReturn: server.attempts,
      emailsReceived: server.received.length,
      duplicatesReceived: server.received.length - new Set(received).size,
      secondsToDeliverAllAfterReturn: Math.round((allSentAt - backAt) / 100) / 10,
      workerErrorLogLines: workers.reduce((sum, worker) => sum + worker.errorLines().length, 0),
      workerErrorSamples: workers.flatMap((worker) => worker.errorLines().slice(0, 3).map((line) => line.slice(0, 600))),
    });
  }, 300_000);
});
