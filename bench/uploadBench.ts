/**
 * Portal upload: a customer answers a certificate request on the portal with a large PDF.
 *
 * The worker under measurement runs in a process of its own (`bench/upload.ts --serve`, forked with
 * an IPC channel): `startService`, role `all`, with `FakeStripe` at the Stripe boundary, on the
 * benchmark's database. This process is the browser: it creates each request through the signed
 * API (as the Stripe App does), reads the emailed link from the outbox (no SMTP configured), and
 * posts the portal form as multipart/form-data with the file, timing each post from the first
 * byte sent to the last byte of the answer. The worker process measures its own memory around
 * each post, when this process asks it to (so the client's copy of the file never counts):
 *
 * - peak RSS: the kernel's VmHWM, reset through /proc/self/clear_refs at the start of the window,
 *   after a forced GC, minus the RSS then;
 * - JS memory: heapUsed + external (Buffers included), sampled every 2 ms; a sample cannot see
 *   inside a synchronous stretch, so this figure is a floor.
 *
 * The worker process runs with MALLOC_MMAP_THRESHOLD_ fixed at 128 KiB, so that large Buffers
 * are mapped and returned when freed: glibc otherwise raises the threshold after the first large
 * free, keeps later ones in its heap, and an upload reusing that memory would show no increase.
 *
 * Baseline (in the worker process, same database, same bytes, already in memory): a raw GridFS
 * `openUploadStream` of the file, `end(bytes)`, to `finish`, into a bucket of its own; timed and
 * measured the same way, alternating with the uploads.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GridFSBucket, type Db } from 'mongodb';
import { pino } from 'pino';
import { ApiClient, TEST_APP_SECRET } from '../test/support/api.js';
import { FakeStripe } from '../test/support/fakeStripe.js';
import { texasAnswer } from '../test/support/portal.js';
import { loadConfig } from '../worker/src/config.js';
import { CERTIFICATE_FILES_BUCKET } from '../worker/src/files/fileStore.js';
import { SYNC_CUSTOMER_COVERAGE } from '../worker/src/jobs/syncCustomerCoverage.js';
import { EMAILS } from '../worker/src/mail/emailOutbox.js';
import { repoRoot } from '../worker/src/paths.js';
import { FILE_FIELD } from '../worker/src/portal/portalForm.js';
import { CERTIFICATE_REQUESTS } from '../worker/src/requests/requestRepository.js';
import { startService, type RunningService } from '../worker/src/service.js';
import type { Tenant } from '../worker/src/tenancy.js';
import type { BenchDatabase } from './lib/database.js';
import { ratio, round, summarise, type Summary } from './lib/stats.js';

/** Issue 9's targets for this benchmark, reported next to the figures (never asserted). */
export const TARGETS = { p95Ms: 500, memoryTimesFile: 2 } as const;

export const MERCHANT: Tenant = { accountId: 'acct_1BenchUpload0001', livemode: false };
const RAW_BUCKET = 'bench_raw_upload';
const FILENAME = 'signed-certificate-scan.pdf';

export const customerId = (index: number): string => `cus_BenchUpload${String(index).padStart(5, '0')}`;

/** What one memory window saw, in bytes. */
export interface MemoryWindow {
  /** RSS when the window opened (after a forced GC). */
  readonly rssStart: number;
  /** The kernel's peak RSS during the window (VmHWM), or the sampled peak where /proc cannot be read. */
  readonly rssPeak: number;
  /** heapUsed + external when the window opened. */
  readonly jsStart: number;
  /** Its sampled peak (a floor). */
  readonly jsPeak: number;
  /** Whether the kernel's peak was read (Linux) or only samples were. */
  readonly kernel: boolean;
  /** CPU time the worker process used in the window (user + system, all its threads), ms: unlike wall time, barely moved by other work on the machine. */
  readonly cpuMs: number;
}

type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'window-started' }
  | { type: 'window'; memory: MemoryWindow }
  | { type: 'raw'; ms: number; memory: MemoryWindow }
  | { type: 'error'; message: string };

type ParentMessage = { type: 'window-start' } | { type: 'window-end' } | { type: 'raw' } | { type: 'stop' };

// ————— The worker process —————

function kernelPeakRss(): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

function resetKernelPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Opens a memory window in this process; `end()` closes it. */
function openWindow(): { end(): MemoryWindow } {
  (globalThis as { gc?: () => void }).gc?.();
  const reset = resetKernelPeak();
  const cpu = process.cpuUsage();
  const start = process.memoryUsage();
  let rssPeak = start.rss;
  let jsPeak = start.heapUsed + start.external;
  const sample = (): void => {
    const usage = process.memoryUsage();
    rssPeak = Math.max(rssPeak, usage.rss);
    jsPeak = Math.max(jsPeak, usage.heapUsed + usage.external);
  };
  const timer = setInterval(sample, 2);
  return {
    end() {
      clearInterval(timer);
      sample();
      const kernel = reset ? kernelPeakRss() : null;
      const used = process.cpuUsage(cpu);
      return {
        rssStart: start.rss,
        rssPeak: Math.max(rssPeak, kernel ?? 0),
        jsStart: start.heapUsed + start.external,
        jsPeak,
        kernel: kernel !== null,
        cpuMs: round((used.user + used.system) / 1000),
      };
    },
  };
}

async function rawGridFsUpload(db: Db, bytes: Buffer): Promise<void> {
  const bucket = new GridFSBucket(db, { bucketName: RAW_BUCKET });
  await new Promise<void>((resolve, reject) => {
    const upload = bucket.openUploadStream(FILENAME, { metadata: { accountId: MERCHANT.accountId, livemode: MERCHANT.livemode } });
    upload.once('finish', () => resolve());
    upload.once('error', reject);
    upload.end(bytes);
  });
}

export interface ServeOptions {
  readonly uri: string;
  readonly db: string;
  readonly customers: number;
  readonly file: string;
  readonly logLevel: string;
}

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

/** The worker process: starts the service, then answers the measuring process over IPC until told to stop. */
export async function serveUploads(options: ServeOptions): Promise<void> {
  const send = (message: ChildMessage): void => void process.send?.(message);
  const stripe = new FakeStripe();
  for (let index = 0; index < options.customers; index += 1) {
    stripe.addCustomer(MERCHANT, { id: customerId(index), name: `Upload Buyer ${index}`, email: `buyer${index}@customer.example`, address: { country: 'US', state: 'TX' } });
  }
  const config = loadConfig({
    MONGODB_URI: options.uri,
    MONGODB_DB: options.db,
    PORT: '0',
    LOG_LEVEL: options.logLevel,
    STRIPE_APP_SECRETS: TEST_APP_SECRET,
    PORTAL_SUBMIT_LIMIT: '1000000',
    PORTAL_REQUEST_LIMIT: '1000000',
  });
  let service: RunningService | null = null;
  try {
    service = await startService({ config, role: 'all', logger: pino({ level: options.logLevel }, quiet), stripe });
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  }
  const running = service;
  // The baseline's bytes, in memory before any window opens (the upload's arrive over HTTP).
  const bytes = readFileSync(options.file);
  let window: { end(): MemoryWindow } | null = null;
  process.on('message', (message: ParentMessage) => {
    void (async () => {
      try {
        switch (message.type) {
          case 'window-start':
            window = openWindow();
            send({ type: 'window-started' });
            return;
          case 'window-end': {
            const memory = window?.end();
            window = null;
            if (memory === undefined) throw new Error('no window open');
            send({ type: 'window', memory });
            return;
          }
          case 'raw': {
            const opened = openWindow();
            const start = process.hrtime.bigint();
            await rawGridFsUpload(running.db, bytes);
            const ms = Number(process.hrtime.bigint() - start) / 1e6;
            send({ type: 'raw', ms, memory: opened.end() });
            return;
          }
          case 'stop':
            await running.stop();
            // Agenda's lock watchdog timers outlive stop(): leave now.
            process.exit(0);
        }
      } catch (error) {
        send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  send({ type: 'ready', url: running.url ?? '' });
}

// ————— The measuring process —————

export interface UploadSettings {
  /** Timed uploads (and as many raw GridFS uploads). */
  readonly uploads: number;
  /** Untimed uploads and raw uploads first. */
  readonly warmup: number;
  readonly logLevel: string;
  /** Where to write the worker process's CPU profile, if anywhere. */
  readonly profileDir: string | null;
}

export interface MemoryFigures {
  /** Peak RSS minus RSS at the start, per call, MiB. */
  readonly rssIncreaseMiB: Summary;
  /** The same as a multiple of the file's size (the largest). */
  readonly rssIncreaseTimesFile: { readonly p50: number; readonly max: number };
  /** Sampled peak of heapUsed + external minus its start, per call, MiB (a floor). */
  readonly jsIncreaseMiB: Summary;
  /** RSS at the start of the windows, MiB. */
  readonly rssStartMiB: Summary;
  readonly kernelPeak: boolean;
  /** The worker process's CPU time per call, ms (its 2 ms memory sampler included, on both sides alike). */
  readonly cpuMs: Summary;
}

export interface UploadMeasurements {
  readonly settings: Omit<UploadSettings, 'profileDir'> & { readonly memoryMethod: string; readonly mallocMmapThreshold: number };
  readonly file: { readonly bytes: number; readonly pages: number; readonly seed: number; readonly inflatedImageBytes: number; readonly sha256: string };
  /** End to end, client side, ms. */
  readonly upload: Summary;
  /** Raw GridFS upload in the worker process, ms. */
  readonly raw: Summary;
  readonly ratio: { readonly p50: number; readonly p95: number };
  readonly memory: { readonly upload: MemoryFigures; readonly raw: MemoryFigures };
  /** What the database holds afterwards: every upload stored whole. */
  readonly stored: { readonly files: number; readonly allWhole: boolean; readonly submitted: number };
  readonly meetsTargets: { readonly p95: boolean; readonly memory: boolean };
}

const MIB = 1024 * 1024;
const MALLOC_MMAP_THRESHOLD = 128 * 1024;

function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 100) / 100;
}

/** The worker process, with a typed request/answer over its IPC channel. */
class WorkerProcess {
  private readonly waiting: Array<(message: ChildMessage) => void> = [];
  private failure: Error | null = null;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'error') this.failure = new Error(`worker process: ${message.message}`);
      this.waiting.shift()?.(message);
    });
    child.once('exit', (code, signal) => {
      this.failure ??= new Error(`the worker process exited with ${signal ?? code}`);
      for (const resolve of this.waiting.splice(0)) resolve({ type: 'error', message: this.failure.message });
    });
  }

  static async start(database: BenchDatabase, file: string, customers: number, settings: UploadSettings): Promise<{ worker: WorkerProcess; url: string }> {
    const execArgv = ['--expose-gc', '--import', 'tsx'];
    if (settings.profileDir !== null) execArgv.push('--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`);
    const args = ['--serve', '--uri', database.uri, '--db', database.db.databaseName, '--customers', String(customers), '--file', file, '--log-level', settings.logLevel];
    const child = fork(path.join(repoRoot, 'bench', 'upload.ts'), args, {
      cwd: repoRoot,
      execArgv,
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(MALLOC_MMAP_THRESHOLD) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess(child);
    const ready = await worker.next();
    if (ready.type !== 'ready') throw new Error(`the worker process did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
    return { worker, url: ready.url };
  }

  next(): Promise<ChildMessage> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async ask<T extends ChildMessage['type']>(message: ParentMessage, expected: T): Promise<Extract<ChildMessage, { type: T }>> {
    const answer = this.next();
    this.child.send(message);
    const received = await answer;
    if (received.type !== expected) throw new Error(received.type === 'error' ? received.message : `expected ${expected} from the worker process, got ${received.type}`);
    return received as Extract<ChildMessage, { type: T }>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const timeout = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timeout);
  }
}

/** The portal form as a browser posts it: the fields of a complete Texas answer, then the file. */
export function multipartBody(fields: Readonly<Record<string, string>>, file: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----BenchUploadBoundary${createHash('sha256').update(file).digest('hex').slice(0, 16)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${FILE_FIELD}"; filename="${FILENAME}"\r\nContent-Type: application/pdf\r\n\r\n`, 'utf8'));
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs `body` and reads the whole answer; the time runs from the request's start to the answer's last byte. */
function post(url: string, body: Buffer, contentType: string): Promise<{ status: number; text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const request = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': contentType, 'Content-Length': body.length } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - start) / 1e6 }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates a request through the API and returns its portal path, read from the email in the outbox. */
async function requestLink(api: ApiClient, db: Db, customer: string): Promise<{ id: string; path: string }> {
  const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: customer, jurisdictions: ['US-TX'] });
  if (created.status !== 201) throw new Error(`creating a request answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
  for (let waited = 0; ; waited += 50) {
    const email = await db.collection<{ _id: string; text: string }>(EMAILS).findOne({ _id: `request:${created.body.id}:1` });
    const found = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(email?.text ?? '')?.[0];
    if (found !== undefined) return { id: created.body.id, path: found };
    if (waited > 10_000) throw new Error(`no portal link in the outbox for request ${created.body.id}`);
    await sleep(50);
  }
}

/** Waits until the coverage syncs queued by earlier submissions have run, so none runs inside a window. */
async function jobsSettled(db: Db): Promise<void> {
  for (let waited = 0; (await db.collection('jobs').countDocuments({ name: SYNC_CUSTOMER_COVERAGE, lastFinishedAt: null })) > 0; waited += 50) {
    if (waited > 60_000) throw new Error('queued coverage syncs did not run within 60 s');
    await sleep(50);
  }
}

function memoryFigures(windows: readonly MemoryWindow[], fileBytes: number): MemoryFigures {
  const increases = windows.map((w) => Math.max(0, w.rssPeak - w.rssStart));
  const sorted = [...increases].sort((a, b) => a - b);
  return {
    rssIncreaseMiB: summarise(increases.map(mib)),
    rssIncreaseTimesFile: { p50: round((sorted[Math.ceil(sorted.length / 2) - 1] ?? 0) / fileBytes), max: round((sorted.at(-1) ?? 0) / fileBytes) },
    jsIncreaseMiB: summarise(windows.map((w) => mib(Math.max(0, w.jsPeak - w.jsStart)))),
    rssStartMiB: summarise(windows.map((w) => mib(w.rssStart))),
    kernelPeak: windows.every((w) => w.kernel),
    cpuMs: summarise(windows.map((w) => w.cpuMs)),
  };
}

/**
 * Starts the worker process, creates the requests, then alternates timed uploads with raw GridFS
 * uploads of the same file, and checks what was stored.
 */
export async function measureUploads(
  database: BenchDatabase,
  pdf: { readonly bytes: Buffer; readonly pages: number; readonly seed: number; readonly inflatedImageBytes: number },
  settings: UploadSettings,
  log: (line: string) => void = () => undefined,
): Promise<UploadMeasurements> {
  const total = settings.warmup + settings.uploads;
  const file = path.join(os.tmpdir(), `exemptions-bench-upload-${process.pid}.pdf`);
  writeFileSync(file, pdf.bytes);
  const sha256 = createHash('sha256').update(pdf.bytes).digest('hex');
  const { body, contentType } = multipartBody(texasAnswer(), pdf.bytes);
  log(`starting the worker (role all, FakeStripe) in its own process…`);
  // The worker process reads the file before it reports ready: then (or on failure) it can go.
  const { worker, url } = await WorkerProcess.start(database, file, total, settings).finally(() => rmSync(file, { force: true }));
  try {
    const api = new ApiClient(url, MERCHANT);
    log(`creating ${total} certificate requests through the API…`);
    const links: Array<{ id: string; path: string }> = [];
    for (let index = 0; index < total; index += 1) links.push(await requestLink(api, database.db, customerId(index)));
    await jobsSettled(database.db);

    const times = { upload: [] as number[], raw: [] as number[] };
    const windows = { upload: [] as MemoryWindow[], raw: [] as MemoryWindow[] };
    log(`uploading: ${settings.warmup} untimed, then ${settings.uploads} timed posts of ${pdf.bytes.length.toLocaleString('en-US')} bytes, each next to a raw GridFS upload…`);
    for (let index = 0; index < total; index += 1) {
      const measuring = index >= settings.warmup;
      const link = links[index] as { id: string; path: string };
      const sides = [
        async () => {
          await worker.ask({ type: 'window-start' }, 'window-started');
          const answer = await post(new URL(link.path, url).toString(), body, contentType);
          const { memory } = await worker.ask({ type: 'window-end' }, 'window');
          if (answer.status !== 200 || !answer.text.includes('your certificate was sent')) {
            throw new Error(`upload ${index + 1} answered ${answer.status}: ${answer.text.replace(/\s+/g, ' ').slice(0, 300)}`);
          }
          if (measuring) {
            times.upload.push(answer.ms);
            windows.upload.push(memory);
          }
          log(
            `  ${measuring ? 'upload' : 'warm-up upload'} ${index + 1}: ${answer.ms.toFixed(0)} ms (worker CPU ${memory.cpuMs.toFixed(0)} ms), ` +
              `peak RSS +${mib(memory.rssPeak - memory.rssStart)} MiB, JS +${mib(memory.jsPeak - memory.jsStart)} MiB`,
          );
        },
        async () => {
          const { ms, memory } = await worker.ask({ type: 'raw' }, 'raw');
          if (measuring) {
            times.raw.push(ms);
            windows.raw.push(memory);
          }
        },
      ];
      if (index % 2 === 1) sides.reverse();
      for (const side of sides) {
        await jobsSettled(database.db);
        await side();
      }
    }

    const files = await database.db
      .collection<{ length: number; metadata: { sha256: string } }>(`${CERTIFICATE_FILES_BUCKET}.files`)
      .find({}, { projection: { length: 1, 'metadata.sha256': 1 } })
      .toArray();
    const submitted = await database.db.collection(CERTIFICATE_REQUESTS).countDocuments({ status: 'submitted', 'submission.file.sha256': sha256 });
    const upload = summarise(times.upload);
    const raw = summarise(times.raw);
    const memory = { upload: memoryFigures(windows.upload, pdf.bytes.length), raw: memoryFigures(windows.raw, pdf.bytes.length) };
    return {
      settings: {
        uploads: settings.uploads,
        warmup: settings.warmup,
        logLevel: settings.logLevel,
        mallocMmapThreshold: MALLOC_MMAP_THRESHOLD,
        memoryMethod:
          'In the worker process, per call: peak RSS = kernel VmHWM (reset through /proc/self/clear_refs after a forced GC when the window opens) minus RSS then; ' +
          'JS = heapUsed + external sampled every 2 ms (a floor). MALLOC_MMAP_THRESHOLD_ fixed, so freed large Buffers leave the RSS.',
      },
      file: { bytes: pdf.bytes.length, pages: pdf.pages, seed: pdf.seed, inflatedImageBytes: pdf.inflatedImageBytes, sha256 },
      upload,
      raw,
      ratio: { p50: ratio(upload.p50, raw.p50), p95: ratio(upload.p95, raw.p95) },
      memory,
      stored: { files: files.length, allWhole: files.every((f) => f.length === pdf.bytes.length && f.metadata.sha256 === sha256), submitted },
      meetsTargets: {
        p95: upload.p95 <= TARGETS.p95Ms,
        memory: memory.upload.rssIncreaseTimesFile.max <= TARGETS.memoryTimesFile && memory.upload.jsIncreaseMiB.max * MIB <= TARGETS.memoryTimesFile * pdf.bytes.length,
      },
    };
  } finally {
    await worker.stop();
  }
}
