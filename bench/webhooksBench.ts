/**
 * Webhook ingestion and events-to-ledger, each against the raw driver doing the nearest equivalent
 * work on the same database in the same run.
 *
 * 1. Acknowledgement. The real worker entry point (`worker/src/main.ts --role=web`, so no job
 *    processing competes) runs as its own process, as in production. Signed `invoice.finalized`
 *    events are POSTed over loopback at a fixed concurrency by a bounded keep-alive client; each
 *    request's latency is recorded. Baseline: `insertOne` of the document the endpoint stores for
 *    the event (same size, same indexes) at the same concurrency through the same loop. The run is
 *    split into rounds that alternate which side goes first, so drift (the database growing, the
 *    machine's other work) falls on both.
 * 2. Events to ledger. The web process stops; a `jobs` process (in this process, with a fake
 *    Stripe serving the tax rates) starts on the same database and drains the queue of stored
 *    events into ledger entries through Agenda. Timed from the start of the service to the last
 *    processed event. Baseline: `insertOne` of the ledger entry the worker books, one at a time
 *    (what `LedgerRepository.append` does per entry), half before the drain and half after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { BSON, type Collection, type Db, type Document } from 'mongodb';
import { pino } from 'pino';
import { loadConfig } from '../worker/src/config.js';
import { findFreePort } from '../worker/src/db/network.js';
import { workerJobs } from '../worker/src/jobs/index.js';
import { PROCESS_STRIPE_EVENT } from '../worker/src/jobs/processStripeEvent.js';
import { newJobDocument } from '../worker/src/jobs/queue.js';
import { createScheduler, JOBS_COLLECTION, type JobDefinition } from '../worker/src/jobs/scheduler.js';
import { repoRoot } from '../worker/src/paths.js';
import { startService } from '../worker/src/service.js';
import { signatureFor, TEST_WEBHOOK_SECRET } from '../test/support/stripeEvents.js';
import type { BenchDatabase } from './lib/database.js';
import { percentile, round } from './lib/stats.js';
import { buildWebhookData, ledgerEntryDocument, storedEventDocument, type BenchEvent, type WebhookData } from './webhooksData.js';

/** Issue 9's targets for these benchmarks, reported next to the figures (never asserted). */
export const TARGETS = { ackShareOfRaw: 0.5, ackP99Ms: 25, ledgerShareOfRaw: 0.25, backlogCostGrowth: 0.2 } as const;

export interface WebhookSettings {
  readonly concurrency: number;
  readonly rounds: number;
  readonly pollIntervalMs: number;
  readonly logLevel: string;
  /** Gives up waiting for the queue to drain after this long. */
  readonly drainTimeoutMs: number;
  /** Where to write CPU profiles (the web process's, and the drain's), if anywhere. */
  readonly profileDir?: string | null;
}

/** Latencies of one side, in milliseconds, and its rate. */
export interface LoadSummary {
  readonly count: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export interface AckMeasurement {
  readonly concurrency: number;
  readonly rounds: number;
  /** Every timed request, whatever it was answered. */
  readonly webhook: LoadSummary;
  /** Each side's rate in each round, in the order they ran: a rate that falls round after round grows with the data. */
  readonly perRound: ReadonlyArray<{ readonly round: number; readonly side: 'webhook' | 'raw'; readonly perSecond: number }>;
  /** Timed requests not answered 200 (Stripe would retry them; the benchmark delivers them again, untimed). */
  readonly refused: {
    readonly count: number;
    readonly statuses: Readonly<Record<string, number>>;
    readonly examples: ReadonlyArray<{ readonly eventId: string; readonly status: number; readonly body: string }>;
    /** The web process's last error log lines. */
    readonly serverErrors: readonly string[];
  };
  readonly raw: LoadSummary;
  /** Webhook rate ÷ raw rate. */
  readonly shareOfRaw: number;
  /** Webhook p99 ÷ raw p99. */
  readonly p99Ratio: number;
  /** BSON size of the stored event (and of each raw document). */
  readonly documentBytes: number;
  readonly meetsTargets: { readonly shareOfRaw: boolean; readonly p99: boolean };
}

export interface LedgerMeasurement {
  /** Events drained (the warm-up events included: they were queued too). */
  readonly events: number;
  /** False when the drain timeout passed first: the figures are then for the events processed by then. */
  readonly completed: boolean;
  /** Events processed within the time measured. */
  readonly processed: number;
  readonly entries: number;
  /** From starting the jobs service to the last event processed (or to giving up). */
  readonly drainMs: number;
  readonly eventsPerSecond: number;
  /** Until `startService` returned (connect, indexes, scheduler); the queue may already be draining. */
  readonly startupMs: number;
  /** Until the first handler began: Agenda locks due jobs one by one before it runs any. */
  readonly firstJobMs: number | null;
  /** Handler runs beyond one per event (a job locked twice). */
  readonly extraRuns: number;
  readonly failedRuns: number;
  /** Per-event handler time (inside the job, without Agenda's locking and saving). */
  readonly handlerMs: { readonly p50: number; readonly p95: number; readonly p99: number } | null;
  /** Events processed so far, every 5 s. */
  readonly timeline: ReadonlyArray<{ readonly seconds: number; readonly processed: number }>;
  readonly raw: LoadSummary;
  /** Events per second ÷ raw inserts per second. */
  readonly shareOfRaw: number;
  readonly documentBytes: number;
  readonly jobConcurrency: number;
  readonly pollIntervalMs: number;
  readonly meetsTargets: { readonly shareOfRaw: boolean };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function summariseLoad(latencies: readonly number[], elapsedMs: number): LoadSummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    elapsedMs: round(elapsedMs),
    perSecond: Math.round((sorted.length / elapsedMs) * 1000 * 10) / 10,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    max: round(sorted[sorted.length - 1] as number),
  };
}

/** Runs `operation(0..count-1)` with at most `concurrency` in flight; returns each call's latency and the wall time. */
export async function runBounded(count: number, concurrency: number, operation: (index: number) => Promise<void>): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = new Array<number>(count);
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) {
        const began = now();
        await operation(index);
        latencies[index] = now() - began;
      }
    }),
  );
  return { latencies, elapsedMs: now() - start };
}

/** A keep-alive HTTP client for one loopback origin, at most `sockets` connections. */
export class WebhookClient {
  private readonly agent: http.Agent;
  private readonly target: URL;

  constructor(baseUrl: string, sockets: number) {
    this.target = new URL('/webhooks/stripe', baseUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(this.target.hostname)) throw new Error(`the benchmark only sends to loopback, not ${this.target.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** Delivers a signed event; resolves with the status and the body when it is not 200. */
  deliver(event: BenchEvent): Promise<{ status: number; body: string }> {
    const signature = signatureFor(event.body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        this.target,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(event.body), 'Stripe-Signature': signature },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      request.setTimeout(30_000, () => request.destroy(new Error('webhook request timed out after 30 s')));
      request.on('error', reject);
      request.end(event.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WebProcess {
  readonly url: string;
  readonly pid: number;
  /** The process's log lines at level error or above (pino's level 50), last ones last. */
  errors(limit?: number): Promise<string[]>;
  /** Stops the process and removes its log. */
  stop(): Promise<void>;
}

/** A pino line as "message: error type: error message (code)", without the request's headers. */
function describeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; err?: { type?: unknown; message?: unknown; code?: unknown } };
    const err = entry.err;
    const error = err === undefined ? '' : `: ${String(err.type ?? 'Error')}: ${String(err.message ?? '')}${err.code === undefined ? '' : ` (code ${String(err.code)})`}`;
    return `${String(entry.msg ?? '')}${error}`;
  } catch {
    return line.slice(0, 500);
  }
}

/**
 * `npm start -- --role=web` on the benchmark's database: its own process and event loop, as in
 * production. Its log goes to a file (as to a log shipper), read only for errors. Ready once
 * /readyz answers 200.
 */
export async function startWebProcess(database: BenchDatabase, settings: WebhookSettings): Promise<WebProcess> {
  const port = await findFreePort();
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'exemptions-bench-webhooks-log-'));
  const logFile = path.join(logDir, 'web.log');
  const logHandle = await open(logFile, 'a');
  const profile = settings.profileDir == null ? [] : ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', 'worker/src/main.ts', '--role=web'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      MONGODB_URI: database.uri,
      MONGODB_DB: database.db.databaseName,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: settings.logLevel,
      JOB_POLL_INTERVAL_MS: String(settings.pollIntervalMs),
      STRIPE_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
    },
    stdio: ['ignore', logHandle.fd, 'pipe'],
  });
  await logHandle.close();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const errors = async (limit = 5): Promise<string[]> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => /"level":(5|6)\d/.test(line));
    return [...lines.slice(-limit).map(describeLogLine), ...(stderr.trim() === '' ? [] : [stderr.trim()])];
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(logDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  while (Date.now() < deadline && !exitedEarly) {
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return { url, pid: child.pid ?? -1, errors, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const said = (await errors()).join('\n');
  await stop();
  throw new Error(`the web process did not become ready${exitedEarly ? ` (it exited: ${said || 'no output'})` : ' within 60 s'}`);
}

/** A baseline document: string ids, as the worker's own collections use. */
interface RawDocument extends Document {
  _id: string;
}

/** A fresh collection with the same secondary indexes as `like`, so the baseline pays the same index upkeep. */
async function rawCollection(db: Db, name: string, like: string): Promise<Collection<RawDocument>> {
  const collection = db.collection<RawDocument>(name);
  await collection.drop().catch(() => undefined);
  await db.createCollection(name);
  for (const index of await db.collection(like).listIndexes().toArray()) {
    if (index.name === '_id_') continue;
    await collection.createIndex(index.key as Document, { name: index.name as string });
  }
  return collection;
}

/** A delivery that did not get its 200, and what it got instead. */
interface FailedDelivery {
  readonly index: number;
  readonly status: number;
  readonly body: string;
}

/**
 * One batch of deliveries on fresh keep-alive connections: a connection left idle while the raw
 * side ran could reach the server's keep-alive timeout (5 s) just as a request goes out on it.
 * A request that does not get a 200 is timed like the others and listed.
 */
async function ackSide(url: string, events: readonly BenchEvent[], concurrency: number): Promise<{ latencies: number[]; elapsedMs: number; failed: FailedDelivery[] }> {
  const client = new WebhookClient(url, concurrency);
  const failed: FailedDelivery[] = [];
  try {
    const result = await runBounded(events.length, concurrency, async (index) => {
      const response = await client.deliver(events[index] as BenchEvent).catch((error: unknown) => ({ status: 0, body: error instanceof Error ? error.message : String(error) }));
      if (response.status !== 200) failed.push({ index, status: response.status, body: response.body.slice(0, 300) });
    });
    return { ...result, failed };
  } finally {
    client.close();
  }
}

/** Delivers failed events again, untimed, as Stripe would retry them, so the drain gets every event. */
async function redeliver(url: string, events: readonly BenchEvent[], attempts = 5): Promise<void> {
  let pending = [...events];
  for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    const result = await ackSide(url, pending, 1);
    pending = result.failed.map((failure) => pending[failure.index] as BenchEvent);
  }
  if (pending.length > 0) throw new Error(`${pending.length} events were still refused after ${attempts} redeliveries`);
}

async function rawSide(collection: Collection<RawDocument>, events: readonly BenchEvent[], concurrency: number, prefix: string): Promise<{ latencies: number[]; elapsedMs: number }> {
  return runBounded(events.length, concurrency, async (index) => {
    const event = events[index] as BenchEvent;
    await collection.insertOne({ ...storedEventDocument(event, `${prefix}${event.id}`) });
  });
}

/** Phase 1: webhook acknowledgement against raw inserts at the same concurrency. */
export async function measureAcknowledgement(
  database: BenchDatabase,
  web: WebProcess,
  data: WebhookData,
  settings: WebhookSettings,
  log: (line: string) => void = () => undefined,
): Promise<AckMeasurement> {
  const { concurrency, rounds } = settings;
  const raw = await rawCollection(database.db, 'bench_raw_stripe_events', 'stripe_events');
  const failures: Array<FailedDelivery & { eventId: string }> = [];
  if (data.warmup.length > 0) {
    const warm = await ackSide(web.url, data.warmup, concurrency);
    await redeliver(web.url, warm.failed.map((failure) => data.warmup[failure.index] as BenchEvent));
    await rawSide(raw, data.warmup, concurrency, 'warm_');
  }
  const webhookLatencies: number[] = [];
  const rawLatencies: number[] = [];
  const perRound: Array<{ round: number; side: 'webhook' | 'raw'; perSecond: number }> = [];
  let webhookMs = 0;
  let rawMs = 0;
  const size = Math.ceil(data.events.length / rounds);
  for (let round = 0; round < rounds; round += 1) {
    const chunk = data.events.slice(round * size, (round + 1) * size);
    if (chunk.length === 0) break;
    const sides = [
      async () => {
        const result = await ackSide(web.url, chunk, concurrency);
        webhookLatencies.push(...result.latencies);
        webhookMs += result.elapsedMs;
        const refused = result.failed.map((failure) => ({ ...failure, eventId: (chunk[failure.index] as BenchEvent).id }));
        failures.push(...refused);
        await redeliver(web.url, refused.map((failure) => chunk[failure.index] as BenchEvent));
        perRound.push({ round: round + 1, side: 'webhook', perSecond: Math.round((chunk.length / result.elapsedMs) * 10_000) / 10 });
        return `webhook ${Math.round((chunk.length / result.elapsedMs) * 1000)}/s${refused.length === 0 ? '' : ` (${refused.length} not 200, delivered again untimed)`}`;
      },
      async () => {
        const result = await rawSide(raw, chunk, concurrency, 'raw_');
        rawLatencies.push(...result.latencies);
        rawMs += result.elapsedMs;
        perRound.push({ round: round + 1, side: 'raw', perSecond: Math.round((chunk.length / result.elapsedMs) * 10_000) / 10 });
        return `raw ${Math.round((chunk.length / result.elapsedMs) * 1000)}/s`;
      },
    ];
    if (round % 2 === 1) sides.reverse();
    const said = [];
    for (const side of sides) said.push(await side());
    log(`  round ${round + 1}/${rounds}: ${chunk.length} each, ${said.join(', ')}`);
  }
  const webhook = summariseLoad(webhookLatencies, webhookMs);
  const rawSummary = summariseLoad(rawLatencies, rawMs);
  const stored = await database.db.collection('stripe_events').findOne({ _id: data.events[0]?.id as never });
  const shareOfRaw = Math.round((webhook.perSecond / rawSummary.perSecond) * 100) / 100;
  const p99Ratio = Math.round((webhook.p99 / rawSummary.p99) * 100) / 100;
  const statuses: Record<string, number> = {};
  for (const failure of failures) statuses[String(failure.status)] = (statuses[String(failure.status)] ?? 0) + 1;
  return {
    concurrency,
    rounds,
    webhook,
    perRound,
    refused: { count: failures.length, statuses, examples: failures.slice(0, 3).map(({ eventId, status, body }) => ({ eventId, status, body })), serverErrors: failures.length === 0 ? [] : await web.errors(5) },
    raw: rawSummary,
    shareOfRaw,
    p99Ratio,
    documentBytes: stored === null ? 0 : BSON.calculateObjectSize(stored),
    meetsTargets: { shareOfRaw: shareOfRaw >= TARGETS.ackShareOfRaw, p99: webhook.p99 <= TARGETS.ackP99Ms },
  };
}

/** Sequential inserts of the ledger entry's document under new ids: what `append` does per entry. */
async function ledgerBaseline(collection: Collection<RawDocument>, template: Document, count: number, prefix: string): Promise<{ latencies: number[]; elapsedMs: number }> {
  return runBounded(count, 1, async (index) => {
    await collection.insertOne({ ...template, _id: `${prefix}${index}`, recordedAt: new Date() });
  });
}

/** Discards log lines (the web process's go to /dev/null too): logging costs what it costs, nothing is printed. */
const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * A CPU profile of this process (where the jobs role runs) from now until the returned function
 * is called, which writes it into `dir` as a .cpuprofile (Chrome DevTools, speedscope).
 */
async function profileThisProcess(dir: string | null | undefined, name: string): Promise<() => Promise<void>> {
  if (dir == null) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  };
}

/** What one drain through a `jobs` process saw, its times in ms from starting the service. */
interface TimedDrain {
  readonly completed: boolean;
  readonly drainMs: number;
  readonly startupMs: number;
  readonly firstJobMs: number | null;
  /** When each event's first successful run ended, in order. */
  readonly finishes: readonly number[];
  readonly runs: ReadonlyMap<string, number>;
  readonly handlerLatencies: readonly number[];
  readonly failedRuns: number;
  readonly timeline: ReadonlyArray<{ readonly seconds: number; readonly processed: number }>;
  readonly jobConcurrency: number;
}

/**
 * Starts a `jobs` process (the worker's own jobs, the event handler wrapped only to time it) on
 * the benchmark's database, lets it process `until` of the `expected` events (or gives up after
 * the drain timeout), and stops it.
 */
async function timedDrain(
  database: BenchDatabase,
  stripe: WebhookData['stripe'],
  expected: ReadonlySet<string>,
  until: number,
  settings: WebhookSettings,
  log: (line: string) => void,
  profileName: string | null,
): Promise<TimedDrain> {
  const runs = new Map<string, number>();
  const handlerLatencies: number[] = [];
  const finishes: number[] = [];
  let failedRuns = 0;
  let firstStart = Number.NaN;
  let started = Number.NaN;
  let done: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (done = resolve));
  let lastDone = Number.NaN;
  // The worker's own jobs, with the event handler timed: the service starts draining before
  // startService returns, so listeners attached afterwards could miss the first jobs.
  const jobs = (context: Parameters<typeof workerJobs>[0]): readonly JobDefinition[] =>
    workerJobs(context).map((definition) =>
      definition.name !== PROCESS_STRIPE_EVENT
        ? definition
        : {
            ...definition,
            handler: async (input, job, log) => {
              const began = now();
              if (Number.isNaN(firstStart)) firstStart = began;
              try {
                await definition.handler(input, job, log);
              } catch (error) {
                failedRuns += 1;
                throw error;
              }
              const finished = now();
              handlerLatencies.push(finished - began);
              const { eventId } = input as { eventId: string };
              const before = runs.get(eventId) ?? 0;
              runs.set(eventId, before + 1);
              if (before === 0 && expected.has(eventId)) finishes.push(finished - started);
              if (finishes.length >= until && Number.isNaN(lastDone)) {
                lastDone = finished;
                done();
              }
            },
          },
    );

  const config = loadConfig({
    MONGODB_URI: database.uri,
    MONGODB_DB: database.db.databaseName,
    PORT: '0',
    LOG_LEVEL: settings.logLevel,
    JOB_POLL_INTERVAL_MS: String(settings.pollIntervalMs),
    STRIPE_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
  });
  const stopProfile = await profileThisProcess(profileName === null ? null : settings.profileDir, profileName ?? 'drain');
  started = now();
  const service = await startService({ config, role: 'jobs', logger: pino({ level: settings.logLevel }, nowhere), stripe, jobs });
  const startupMs = now() - started;
  const timeline: Array<{ seconds: number; processed: number }> = [];
  let timer: NodeJS.Timeout | undefined;
  const progress = setInterval(() => {
    const seconds = Math.round((now() - started) / 1000);
    timeline.push({ seconds, processed: finishes.length });
    if (timeline.length % 6 === 0) log(`    ${finishes.length} of ${until} processed after ${seconds} s (${failedRuns} failed runs so far)`);
  }, 5_000);
  let completed: boolean;
  try {
    completed = await Promise.race([
      drained.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), settings.drainTimeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
  }
  const drainMs = completed ? lastDone - started : now() - started;
  if (!completed) log(`    gave up after ${(drainMs / 1000).toFixed(0)} s: ${finishes.length} of ${until} processed`);
  await service.stop();
  await stopProfile();
  return {
    completed,
    drainMs,
    startupMs,
    firstJobMs: Number.isNaN(firstStart) ? null : firstStart - started,
    finishes,
    runs,
    handlerLatencies,
    failedRuns,
    timeline,
    jobConcurrency: workerJobs(service.context).find((job) => job.name === PROCESS_STRIPE_EVENT)?.concurrency ?? 5,
  };
}

/** Phase 2: drain the queue of stored events into the ledger through Agenda, against sequential raw inserts. */
export async function measureLedger(database: BenchDatabase, data: WebhookData, settings: WebhookSettings, log: (line: string) => void = () => undefined): Promise<LedgerMeasurement> {
  const expected = new Set([...data.warmup, ...data.events].map((event) => event.id));
  const events = database.db.collection('stripe_events');
  // Each acknowledged event has a job (a redelivered one may have two).
  const queuedJobs = await database.db.collection<{ data?: { eventId?: string } }>('jobs').find({ name: PROCESS_STRIPE_EVENT }, { projection: { 'data.eventId': 1 } }).toArray();
  const queued = new Set(queuedJobs.map((job) => job.data?.eventId)).size;
  if (queued !== expected.size) throw new Error(`expected ${expected.size} queued events before the drain, found ${queued}`);

  const template = await ledgerEntryDocument(data.events[0] as BenchEvent, data.stripe);
  const raw = await rawCollection(database.db, 'bench_raw_ledger_entries', 'ledger_entries');
  const half = Math.ceil(expected.size / 2);
  log(`  raw baseline, first half: ${half} sequential inserts…`);
  const before = await ledgerBaseline(raw, template, half, 'before_');

  log(`  draining ${expected.size} events (Agenda polling every ${settings.pollIntervalMs} ms)…`);
  const drain = await timedDrain(database, data.stripe, expected, expected.size, settings, log, 'drain');
  const { completed, drainMs, runs } = drain;
  const processedInTime = drain.finishes.length;

  const processed = await events.countDocuments({ processedAt: { $ne: null }, outcome: 'processed' });
  const entries = await database.db.collection('ledger_entries').countDocuments();
  // Exactly one entry per processed event, whatever ran twice.
  if (entries !== processed || (completed && processed !== expected.size)) {
    throw new Error(`after the drain: ${processed} of ${expected.size} events processed, ${entries} ledger entries (expected one per processed event)`);
  }
  const booked = await database.db.collection('ledger_entries').findOne({ _id: template._id as never });

  log(`  raw baseline, second half: ${expected.size - half} sequential inserts…`);
  const after = await ledgerBaseline(raw, template, expected.size - half, 'after_');
  const rawSummary = summariseLoad([...before.latencies, ...after.latencies], before.elapsedMs + after.elapsedMs);
  const eventsPerSecond = Math.round((processedInTime / drainMs) * 1000 * 10) / 10;
  const shareOfRaw = Math.round((eventsPerSecond / rawSummary.perSecond) * 1000) / 1000;
  const handlers = [...drain.handlerLatencies].sort((a, b) => a - b);
  const totalRuns = [...runs.values()].reduce((sum, count) => sum + count, 0);
  return {
    events: expected.size,
    completed,
    processed: processedInTime,
    entries,
    drainMs: round(drainMs),
    eventsPerSecond,
    startupMs: round(drain.startupMs),
    firstJobMs: drain.firstJobMs === null ? null : round(drain.firstJobMs),
    extraRuns: totalRuns - runs.size,
    failedRuns: drain.failedRuns,
    handlerMs: handlers.length === 0 ? null : { p50: round(percentile(handlers, 50)), p95: round(percentile(handlers, 95)), p99: round(percentile(handlers, 99)) },
    timeline: drain.timeline,
    raw: rawSummary,
    shareOfRaw,
    documentBytes: booked === null ? BSON.calculateObjectSize(template) : BSON.calculateObjectSize(booked),
    jobConcurrency: drain.jobConcurrency,
    pollIntervalMs: settings.pollIntervalMs,
    meetsTargets: { shareOfRaw: shareOfRaw >= TARGETS.ledgerShareOfRaw },
  };
}

/** One backlog size of phase 3. */
export interface BacklogRun {
  /** Events queued (stored, each with its job) when the jobs process started. */
  readonly backlog: number;
  /** Events processed in this run: the whole backlog, or the window. */
  readonly processed: number;
  /** Events timed: those after the first `skipped`, which include the start-up. */
  readonly timed: number;
  readonly skipped: number;
  /** Wall time per event over the timed events, and its inverse. */
  readonly msPerEvent: number;
  readonly eventsPerSecond: number;
  readonly handlerP50Ms: number | null;
  readonly seedMs: number;
  readonly loadAverage: number;
  readonly failedRuns: number;
}

export interface BacklogMeasurement {
  readonly window: number;
  /** Each round of each backlog: a fresh small backlog each time; the large one seeded once, drained a window at a time. */
  readonly small: readonly BacklogRun[];
  readonly large: readonly BacklogRun[];
  /** The median cost per event at the large backlog ÷ the median at the small one. */
  readonly costRatio: number;
  readonly meetsTarget: boolean;
}

/**
 * Stores `events` as the webhook would have (each event, then its job, as `agenda.now` stores
 * it), in `insertMany` batches, without a web process: a backlog of 50,000 would take minutes
 * through the endpoint and measure nothing more.
 */
async function seedBacklog(database: BenchDatabase, events: readonly BenchEvent[], log: (line: string) => void): Promise<number> {
  const started = now();
  const agenda = createScheduler({ db: database.db, logger: pino({ level: 'silent' }), pollIntervalMs: 3_600_000, lockLimit: 1, lockLimitPerName: 1, maxConcurrency: 1 });
  await agenda.ready;
  const stored = database.db.collection<RawDocument>('stripe_events');
  const jobs = database.db.collection(JOBS_COLLECTION);
  for (let from = 0; from < events.length; from += 1_000) {
    const batch = events.slice(from, from + 1_000);
    await stored.insertMany(batch.map((event) => ({ ...storedEventDocument(event, event.id) })));
    await jobs.insertMany(batch.map((event) => newJobDocument(agenda, PROCESS_STRIPE_EVENT, { eventId: event.id })));
    if ((from / 1_000) % 10 === 9) log(`    ${from + batch.length} of ${events.length} stored`);
  }
  return now() - started;
}

/** Drains `target` more of `data`'s events with a fresh `jobs` process and times them (one round of phase 3). */
async function drainRound(database: BenchDatabase, data: WebhookData, waiting: number, target: number, seedMs: number, settings: WebhookSettings, log: (line: string) => void): Promise<BacklogRun> {
  log(`  backlog of ${waiting.toLocaleString('en-US')}: draining ${target === waiting ? 'all of it' : `${target.toLocaleString('en-US')} of it`}…`);
  const drain = await timedDrain(database, data.stripe, new Set(data.events.map((event) => event.id)), target, settings, log, null);
  const skipped = Math.min(100, Math.floor(target / 10));
  // Events that finish while the service stops are left out, so both backlogs are timed over the same number.
  const finishes = drain.finishes.slice(0, target);
  const last = finishes.length - 1;
  const timed = last - (skipped - 1);
  const spanMs = (finishes[last] ?? Number.NaN) - (skipped === 0 ? 0 : (finishes[skipped - 1] ?? Number.NaN));
  const handlers = [...drain.handlerLatencies].sort((a, b) => a - b);
  return {
    backlog: waiting,
    processed: drain.finishes.length,
    timed,
    skipped,
    msPerEvent: round(spanMs / timed),
    eventsPerSecond: Math.round((timed / spanMs) * 1000 * 10) / 10,
    handlerP50Ms: handlers.length === 0 ? null : round(percentile(handlers, 50)),
    seedMs: round(seedMs),
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
    failedRuns: drain.failedRuns,
  };
}

async function seededBacklog(database: BenchDatabase, size: number, accounts: number, log: (line: string) => void): Promise<{ data: WebhookData; seedMs: number }> {
  const data = buildWebhookData({ events: size, warmup: 0, accounts, run: `b${size}${randomBytes(2).toString('hex')}` });
  log(`  backlog of ${size.toLocaleString('en-US')}: storing the events and their jobs…`);
  return { data, seedMs: await seedBacklog(database, data.events, log) };
}

/** The run whose cost per event is the median of `runs` (the lower middle one of an even number). */
export function medianRun(runs: readonly BacklogRun[]): BacklogRun {
  const sorted = [...runs].sort((a, b) => a.msPerEvent - b.msPerEvent);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('no backlog runs');
  return median;
}

/**
 * Phase 3: does an event cost more when many wait? Events are queued, then a `jobs` process
 * drains them; the cost per event is the wall time per event after the first tenth (at most
 * 100; they include Agenda's start-up). The small backlog is drained whole; of the large one,
 * the first `window` events are (the rest are left), so both are measured over the same number
 * of events, the large one with its whole backlog waiting. Run after phase 2, on its database.
 */
export async function measureBacklog(
  database: BenchDatabase,
  sizes: { readonly small: number; readonly large: number; readonly window: number; readonly rounds: number; readonly accounts: number },
  settings: WebhookSettings,
  log: (line: string) => void = () => undefined,
): Promise<BacklogMeasurement> {
  const small: BacklogRun[] = [];
  for (let round = 1; round <= sizes.rounds; round += 1) {
    const { data, seedMs } = await seededBacklog(database, sizes.small, sizes.accounts, log);
    const run = await drainRound(database, data, sizes.small, Math.min(sizes.small, sizes.window), seedMs, settings, log);
    small.push(run);
    log(`    round ${round}: ${run.msPerEvent} ms per event (${run.eventsPerSecond}/s)`);
  }
  const large: BacklogRun[] = [];
  const { data, seedMs } = await seededBacklog(database, sizes.large, sizes.accounts, log);
  let waiting = sizes.large;
  for (let round = 1; round <= sizes.rounds; round += 1) {
    const run = await drainRound(database, data, waiting, Math.min(waiting, sizes.window), seedMs, settings, log);
    large.push(run);
    waiting -= run.processed;
    log(`    round ${round}: ${run.msPerEvent} ms per event (${run.eventsPerSecond}/s)`);
  }
  const costRatio = Math.round((medianRun(large).msPerEvent / medianRun(small).msPerEvent) * 100) / 100;
  return { window: sizes.window, small, large, costRatio, meetsTarget: costRatio <= 1 + TARGETS.backlogCostGrowth };
}
