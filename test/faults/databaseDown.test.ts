/**
 * The database goes away for 10 s in the middle of a webhook burst. The web and jobs processes
 * reach it through a TCP proxy, which the test cuts (every connection dropped, new ones refused)
 * and restores, so no data is lost and nothing else on the server is touched. While it is down
 * the endpoint answers 503; the sender retries as Stripe does; in the end every event is
 * processed, and every 2xx was for an event already stored.
 */
import { MongoClient } from 'mongodb';
import type { Tenant } from '../../worker/src/tenancy.js';
import { FakeStripeApi } from '../../scripts/demo/fakeStripeApi.js';
import { testServerUri, uniqueDatabaseName } from '../support/database.js';
import { deliverUntilAcknowledged, finalizedInvoice, inParallel, recordFaultFigures, sleep, TEXAS_RATE, waitFor, type Delivery } from '../support/faults.js';
import { stripeEvent } from '../support/stripeEvents.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess.js';

const merchant: Tenant = { accountId: 'acct_1FaultDbDown00001', livemode: false };
const EVENTS = Number(process.env.FAULTS_DB_DOWN_EVENTS ?? 600);
const CONCURRENCY = 16;
const DOWN_MS = 10_000;
const LOCK_LIFETIME_MS = 20_000;

describe('database down during a webhook burst', () => {
  const database = uniqueDatabaseName();
  const stripe = new FakeStripeApi();
  let client: MongoClient;
  let proxy: TcpProxy;
  const workers: WorkerProcess[] = [];

  afterAll(async () => {
    await proxy?.restore();
    await Promise.all(workers.map((worker) => worker.stop()));
    await proxy?.close();
    await stripe.close();
    await client?.db(database).dropDatabase();
    await client?.close();
  });

  it('answers 503 while it is down, acknowledges only stored events, and processes every event once it is back', async () => {
    // The test's own connection goes straight to the server: it sees what is really stored.
    client = await MongoClient.connect(testServerUri());
    const db = client.db(database);
    const server = new URL(testServerUri());
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const throughProxy = new URL(server);
    throughProxy.host = `127.0.0.1:${proxy.port}`;

    stripe.addTaxRate(merchant.accountId, TEXAS_RATE);
    const env = { STRIPE_API_BASE: await stripe.listen(0) };
    const options = { mongoUri: throughProxy.href, database, env };
    const web = await startWorkerProcess({ ...options, role: 'web' });
    // A lock taken just as the connection drops can be stored with its answer lost: Agenda never
    // runs that job, and it waits for its lock to expire. 20 s here (10 minutes by default).
    workers.push(web, await startWorkerProcess({ ...options, role: 'jobs', env: { ...env, JOB_LOCK_LIFETIME_MS: String(LOCK_LIFETIME_MS) } }));

    const events = Array.from({ length: EVENTS }, (_, n) =>
      stripeEvent('invoice.finalized', finalizedInvoice(`in_DbDown${String(n).padStart(5, '0')}`, `cus_DbDown${n % 40}`, 10_000 + n), merchant, `evt_DbDown${String(n).padStart(6, '0')}`),
    );

    // Each 2xx: is the event in the database at that moment (read directly, not through the proxy)?
    const storedWhenAcknowledged: Array<Promise<{ eventId: string; stored: boolean }>> = [];
    const onAcknowledged = (eventId: string): void => {
      storedWhenAcknowledged.push(
        db
          .collection('stripe_events')
          .findOne({ _id: eventId as never }, { projection: { _id: 1 } })
          .then((found) => ({ eventId, stored: found !== null })),
      );
    };

    let acknowledged = 0;
    let cutAt = 0;
    let restoredAt = 0;
    let locksLeftByOutage = 0;
    const outage = (async () => {
      // The cut comes once a third of the burst is in.
      while (acknowledged < EVENTS / 3) await sleep(20);
      proxy.cut();
      cutAt = Date.now();
      await sleep(DOWN_MS);
      await proxy.restore();
      restoredAt = Date.now();
      // Jobs still locked a few seconds after the restore, by locks taken before it: left by the outage.
      await sleep(3_000);
      locksLeftByOutage = await db.collection('jobs').countDocuments({ name: 'process-stripe-event', lockedAt: { $ne: null, $lt: new Date(restoredAt) } });
    })();

    const deliveries: Delivery[] = new Array<Delivery>(EVENTS);
    const began = Date.now();
    await inParallel(EVENTS, CONCURRENCY, async (index) => {
      const event = events[index];
      if (event === undefined) return;
      const delivery = await deliverUntilAcknowledged(web.url ?? '', event, {
        giveUpAfterMs: 60_000,
        onAcknowledged: (eventId) => {
          acknowledged += 1;
          onAcknowledged(eventId);
        },
      });
      deliveries[index] = delivery;
    });
    const sentIn = Date.now() - began;
    await outage;

    const histogram: Record<string, number> = {};
    for (const delivery of deliveries) for (const status of delivery?.statuses ?? []) histogram[status] = (histogram[status] ?? 0) + 1;
    const checks = await Promise.all(storedWhenAcknowledged);
    expect(checks).toHaveLength(EVENTS);
    expect(checks.filter((check) => !check.stored)).toEqual([]);
    expect(deliveries.every((delivery) => delivery.acknowledged !== null)).toBe(true);

    const statuses = deliveries.flatMap((delivery) => delivery.statuses);
    const refused = statuses.filter((status) => status < 200 || status >= 300);
    // While the database is away the answer is 503 — never a 500, never a dropped request.
    expect(refused.length).toBeGreaterThan(0);
    expect([...new Set(refused)]).toEqual([503]);
    const acknowledgedDuringOutage = deliveries.filter((d) => d.acknowledgedAt !== null && d.acknowledgedAt > cutAt + 1_000 && d.acknowledgedAt < restoredAt).length;

    const drained = await waitFor(
      'every event processed',
      () => db.collection('stripe_events').countDocuments({ processedAt: { $ne: null } }),
      (count) => count === EVENTS,
      120_000 + EVENTS * 300 + LOCK_LIFETIME_MS,
      workers,
    ).catch(async (error: unknown) => {
      const stuck = await db.collection('stripe_events').find({ processedAt: null }, { projection: { _id: 1 } }).toArray();
      const jobs = await db.collection('jobs').find({ 'data.eventId': { $in: stuck.map((event) => event._id) } }).toArray();
      throw new Error(`${String(error)}\nunprocessed: ${JSON.stringify(stuck)}\ntheir jobs: ${JSON.stringify(jobs)}`);
    });
    const drainedAt = Date.now();
    expect(drained).toBe(EVENTS);
    expect(await db.collection('stripe_events').countDocuments({})).toBe(EVENTS);
    const entryIds = (await db.collection('ledger_entries').find({}, { projection: { _id: 1 } }).toArray()).map((entry) => String(entry._id)).sort();
    expect(entryIds).toEqual(events.map((_, n) => `in_DbDown${String(n).padStart(5, '0')}:US-TX`).sort());
    for (const worker of workers) expect(worker.running()).toBe(true);

    await recordFaultFigures('database-down', {
      events: EVENTS,
      senderConcurrency: CONCURRENCY,
      databaseDownSeconds: Math.round((restoredAt - cutAt) / 100) / 10,
      deliveryAttempts: statuses.length,
      answers: histogram,
      answered503: refused.filter((status) => status === 503).length,
      answeredOther: refused.filter((status) => status !== 503).length,
      retries: statuses.length - EVENTS,
      eventsRetried: deliveries.filter((delivery) => delivery.statuses.length > 1).length,
      maxAttemptsOneEvent: Math.max(...deliveries.map((delivery) => delivery.statuses.length)),
      acknowledgedDuringOutage,
      acknowledgedNotStored: checks.filter((check) => !check.stored).length,
      acknowledgedAsDuplicate: deliveries.filter((delivery) => delivery.acknowledged?.duplicate === true).length,
      eventsProcessed: drained,
      ledgerEntries: entryIds.length,
      secondsToSendBurst: Math.round(sentIn / 100) / 10,
      secondsFromRestoreToAllProcessed: Math.round((drainedAt - restoredAt) / 100) / 10,
      jobLockLifetimeSeconds: LOCK_LIFETIME_MS / 1000,
      jobsLeftLockedByOutage: locksLeftByOutage,
      workerErrorLogLines: workers.reduce((sum, worker) => sum + worker.errorLines().length, 0),
      workerErrorSamples: workers.flatMap((worker) => worker.errorLines().slice(0, 3).map((line) => line.slice(0, 600))),
    });
  }, 900_000);
});
