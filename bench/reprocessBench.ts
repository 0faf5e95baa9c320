/**
 * One size of the reprocess benchmark, measured in a process of its own, so the memory peak it
 * reports is this size's alone (bench/reprocess.ts runs one such process per size).
 *
 * 1. Setup (not measured as throughput): the worker's own service (`startService`, role `all`: HTTP
 *    API and Agenda in this process, as `npm start` runs it) on the benchmark database; a
 *    certificate created through the API; N original ledger entries for one customer built by the
 *    ledger's own `entriesForInvoice` and written with `insertMany` in batches; then the older six of
 *    twelve months filed through `FilingPeriodRepository`, so exactly half the transactions sit in
 *    filed periods.
 * 2. The run, exactly as production does it: the API's start request (which builds the preview plan
 *    and checks the acknowledgements), then Agenda picks up the `reprocess-run` job and runs
 *    `reprocessRunJob`. Throughput is transactions per second of the job's own wall time
 *    (`startedAt` → `finishedAt` on the run record). Every database command the service sends is
 *    counted and timed (driver command monitoring), split into the start request, the run's
 *    planning, and its per-transaction phase.
 * 3. Baseline, same process, same server: the entries the run wrote, read back and written again
 *    into a fresh `ledger_entries` collection (same indexes, created by `LedgerRepository`) with
 *    `insertMany` in batches, then a sample of them with sequential `insertOne` (what
 *    `LedgerRepository.append` does).
 *
 * Memory: the peak RSS the kernel records (VmHWM, reset through /proc/self/clear_refs at the start
 * of each window), for this process and for the FerretDB server we started; heapUsed sampled every
 * 50 ms (a sample cannot see inside a long synchronous stretch, so the heap figure is a floor).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { entriesForInvoice, ledgerContext, type InvoiceFactsInput } from '@exemptions/shared';
import { BSON, type Db, type Document, type MongoClient } from 'mongodb';
import { pino } from 'pino';
import { ApiClient, TEST_APP_SECRET } from '../test/support/api.js';
import { FakeStripe } from '../test/support/fakeStripe.js';
import { loadConfig } from '../worker/src/config.js';
import { REPROCESS_MAX_BATCH } from '../worker/src/jobs/reprocessRun.js';
import { SYNC_CUSTOMER_COVERAGE } from '../worker/src/jobs/syncCustomerCoverage.js';
import { LedgerRepository } from '../worker/src/ledger/ledgerRepository.js';
import { repoRoot } from '../worker/src/paths.js';
import { ReprocessRunRepository, type ReprocessRun } from '../worker/src/reprocess/runRepository.js';
import { startService, type RunningService } from '../worker/src/service.js';
import type { Tenant } from '../worker/src/tenancy.js';
import type { BenchDatabase, ServerInfo } from './lib/database.js';
import { describeMachine, type Machine } from './lib/environment.js';
import { round } from './lib/stats.js';

export interface SizeSettings {
  readonly transactions: number;
  /** Documents per `insertMany`, for seeding and for the baseline. */
  readonly batch: number;
  /** Sequential `insertOne` calls in the second baseline (at most 2 × transactions). */
  readonly insertOneSample: number;
  /** JOB_POLL_INTERVAL_MS of the service. */
  readonly pollIntervalMs: number;
  readonly logLevel: string;
  /**
   * `complete`: the whole run. `planning` / `first-batch`: the run is cancelled through the API as
   * soon as it starts (it stops at its first checkpoint, after planning) or once its first batch
   * has begun (it stops after that batch), for sizes whose full run would take far too long.
   */
  readonly stopAfter: 'complete' | 'planning' | 'first-batch';
  /** Per-invoice ledger reads (`LedgerRepository.find`, as the run does) timed after the run. */
  readonly findSamples: number;
}

export interface CommandStat {
  readonly command: string;
  readonly count: number;
  readonly perTransaction: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

export interface Decile {
  /** Ledger entries of the tenant when the decile's middle transaction ran. */
  readonly ledgerSize: number;
  readonly msPerTransaction: number;
  /** Mean time of the per-invoice `find ledger_entries`. */
  readonly findMs: number;
}

export interface MemoryWindow {
  /** Peak resident set of this process (kernel VmHWM), MiB. */
  readonly peakRssMiB: number;
  /** heapUsed at the start of the window and its sampled peak, MiB. */
  readonly heapStartMiB: number;
  readonly peakHeapUsedMiB: number;
  readonly rssStartMiB: number;
  /** Peak resident set of the database server we started (VmHWM), MiB; null when external. */
  readonly serverPeakRssMiB: number | null;
  /**
   * The largest heapUsed measured right after a forced collection (every 10 s in the job window):
   * what the process holds, as opposed to garbage V8 has not collected yet.
   */
  readonly peakLiveHeapMiB?: number;
}

export interface SizeResult {
  readonly ranAt: string;
  readonly machine: Machine;
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly server: ServerInfo;
  readonly settings: SizeSettings;
  readonly dataset: {
    readonly transactions: number;
    readonly inFiledPeriods: number;
    readonly inOpenPeriods: number;
    readonly filedPeriods: string[];
    readonly openPeriods: string[];
    readonly currentPeriod: string;
    readonly jurisdiction: string;
  };
  readonly seeding: { readonly ms: number; readonly entries: number; readonly batches: number; readonly filingMs: number; readonly documentBytes: number };
  /** The API's start request (POST /certificates/:id/reprocess): it builds the preview plan once. */
  readonly startRequest: { readonly ms: number; readonly dbMs: number; readonly commands: CommandStat[] };
  readonly run: {
    readonly status: string;
    readonly total: number;
    readonly processed: number;
    readonly changed: number;
    readonly skipped: Record<string, number>;
    readonly entriesWritten: number;
    /** startedAt → finishedAt of the run record: the job's own wall time. */
    readonly wallMs: number;
    /** From sending the start request to seeing the run completed (polled every 250 ms). */
    readonly endToEndMs: number;
    /** From the job's start to its first transaction: reading the certificate, settings, filings and the customer's ledger, planning. */
    readonly planMs: number;
    readonly planDbMs: number;
    readonly transactionsMs: number;
    readonly transactionsPerSecond: number;
    readonly entriesPerSecond: number;
  };
  /** The run's per-invoice read (`LedgerRepository.find` by invoiceId), timed after the run on the ledger it left. */
  readonly perInvoiceRead: { readonly ledgerSize: number; readonly samples: number; readonly meanMs: number };
  readonly baseline: {
    /** `written`: the entries the run wrote; `seeded`: the seeded originals, twice (a partial run wrote too few). */
    readonly documents: 'written' | 'seeded';
    readonly documentBytes: number;
    readonly insertMany: { readonly documents: number; readonly batch: number; readonly ms: number; readonly documentsPerSecond: number };
    readonly insertOne: { readonly documents: number; readonly ms: number; readonly documentsPerSecond: number };
    /**
     * The read a run cannot do without: each transaction's invoice, by invoiceId, under its lock
     * (`LedgerRepository.find`'s query, raw), `concurrency` at a time, on the ledger the run left.
     */
    readonly invoiceFind?: { readonly reads: number; readonly concurrency: number; readonly ms: number; readonly readsPerSecond: number };
    /**
     * The same invoices read as the run now reads them: a full batch's invoices with one `$in`
     * (`LedgerRepository.findByInvoices`'s query, raw), one batch at a time, as the run reads one
     * batch while the previous one writes.
     */
    readonly invoiceBatchFind?: { readonly invoices: number; readonly perQuery: number; readonly ms: number; readonly invoicesPerSecond: number };
  };
  readonly ratios: {
    /** Entries the run wrote per second ÷ raw insertMany documents per second. */
    readonly runEntriesVsInsertMany: number;
    readonly runEntriesVsInsertOne: number;
    /**
     * A run reading its invoices by `$in` (`invoiceBatchFind`) and inserting two entries per
     * transaction, one after the other, at the raw rates measured here, as a share of the insertMany rate.
     */
    readonly ceilingVsInsertMany?: number;
  };
  readonly memory: { readonly startRequest: MemoryWindow; readonly run: MemoryWindow; readonly method: string };
  readonly profile: {
    readonly plan: CommandStat[];
    readonly transactions: CommandStat[];
    /**
     * Per transaction, in the per-transaction phase: wall; database, summed over commands (`dbMs`)
     * and as time with at least one command in flight (`dbBusyMs`: the run sends some in parallel);
     * and the rest (`nodeMs` = wall − dbBusyMs: this process, the loopback).
     */
    readonly perTransaction: { readonly wallMs: number; readonly dbMs: number; readonly dbBusyMs?: number; readonly nodeMs: number; readonly commands: number };
    /** Agenda's own commands on \`jobs\` (polling, locking, touching), concurrent with the run: listed, not counted in dbMs. */
    readonly scheduler: CommandStat[];
    readonly deciles: Decile[];
    /** Least squares over the deciles: ms per transaction = fixedMs + perThousandEntriesMs × ledger size / 1000. */
    readonly model: { readonly fixedMs: number; readonly perThousandEntriesMs: number };
  };
  readonly checks: {
    readonly originals: number;
    readonly negations: number;
    readonly revisions: number;
    /** Entries in the filed periods after the run: must be the originals there, untouched. */
    readonly entriesInFiledPeriods: number;
    readonly ok: boolean;
  };
}

const MERCHANT: Tenant = { accountId: 'acct_1ReprocessBench01', livemode: false };
const CUSTOMER = 'cus_BenchReprocess';
const JURISDICTION = 'US-TX';
const MiB = 2 ** 20;

type Phase = 'startRequest' | 'plan' | 'transactions';

const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;
const perSecond = (count: number, ms: number): number => (ms <= 0 ? 0 : Math.round((count / ms) * 1000 * 10) / 10);
/** a ÷ b to three significant digits (ratios here can be far below 0.01). */
const ratio3 = (a: number, b: number): number => (b === 0 || a === 0 ? 0 : Number((a / b).toPrecision(3)));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function monthKey(year: number, monthIndex: number): string {
  const date = new Date(Date.UTC(year, monthIndex, 1));
  return date.toISOString().slice(0, 7);
}

function lastDayOf(key: string): string {
  const [year, month] = key.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

/** The twelve whole months before this one: the older six get filed, the newer six stay open. */
function calendar(now: Date): { filed: string[]; open: string[]; current: string } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const back = (offset: number): string => monthKey(year, month - offset);
  return { filed: [12, 11, 10, 9, 8, 7].map(back), open: [6, 5, 4, 3, 2, 1].map(back), current: back(0) };
}

/** Transaction `i`: even ones in a filed month, odd ones in an open month, interleaved, so both kinds run throughout. */
function sale(i: number, months: { filed: string[]; open: string[] }): InvoiceFactsInput {
  const slot = Math.floor(i / 2) % 6;
  const month = (i % 2 === 0 ? months.filed : months.open)[slot] as string;
  const day = String(1 + (Math.floor(i / 12) % 28)).padStart(2, '0');
  return {
    invoiceId: `in_Bench${String(i).padStart(7, '0')}`,
    invoiceNumber: `BENCH-${i}`,
    customerId: CUSTOMER,
    currency: 'usd',
    finalizedAt: `${month}-${day}T15:00:00.000Z`,
    totalExcludingTax: 10_000,
    customerTaxExempt: 'none',
    taxes: [{ jurisdiction: JURISDICTION, level: 'state', taxableAmount: 10_000, amount: 625, taxabilityReason: 'standard_rated' }],
    address: { country: 'US', state: 'TX', postalCode: '78701', line1: '1 Congress Ave', city: 'Austin' },
    addressSource: 'customer_address',
    addressJurisdiction: JURISDICTION,
    purchaseOrder: null,
  };
}

/** Kernel-recorded peak resident set of a process, in bytes; null if it cannot be read. */
function peakRss(pid: number | 'self'): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** Starts a new peak-RSS window for a process (Linux: writing 5 to clear_refs resets VmHWM). */
function resetPeakRss(pid: number | 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The FerretDB (or mongod) process this process started (through a watchdog shell), found by ancestry; null when external. */
function serverPid(): number | null {
  const parents = new Map<number, { ppid: number; comm: string }>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // "pid (comm) state ppid …": comm may hold spaces, so split after the closing parenthesis.
        const close = stat.lastIndexOf(')');
        parents.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    return null;
  }
  for (const [pid, { comm }] of parents) {
    if (!/^(ferretdb|mongod)/.test(comm)) continue;
    for (let up = parents.get(pid)?.ppid, hops = 0; up !== undefined && up > 1 && hops < 5; up = parents.get(up)?.ppid, hops += 1) {
      if (up === process.pid) return pid;
    }
  }
  return null;
}

const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
};

/** A memory window: resets the kernel peaks, samples heapUsed every 50 ms until `end`. */
function memoryWindow(server: number | null, liveEveryMs = 0): { end(): MemoryWindow } {
  collect();
  resetPeakRss('self');
  if (server !== null) resetPeakRss(server);
  const start = process.memoryUsage();
  let peakHeap = start.heapUsed;
  let peakSampledRss = start.rss;
  let peakLive: number | null = null;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakSampledRss = Math.max(peakSampledRss, usage.rss);
  }, 50);
  // What the process holds, garbage aside: heapUsed right after a forced collection, now and then.
  const live =
    liveEveryMs > 0
      ? setInterval(() => {
          collect();
          peakLive = Math.max(peakLive ?? 0, process.memoryUsage().heapUsed);
        }, liveEveryMs)
      : null;
  return {
    end() {
      clearInterval(timer);
      if (live !== null) {
        clearInterval(live);
        collect();
        peakLive = Math.max(peakLive ?? 0, process.memoryUsage().heapUsed);
      }
      const usage = process.memoryUsage();
      peakHeap = Math.max(peakHeap, usage.heapUsed);
      const kernel = peakRss('self');
      const serverPeak = server === null ? null : peakRss(server);
      return {
        peakRssMiB: mib(Math.max(kernel ?? 0, peakSampledRss, usage.rss)),
        heapStartMiB: mib(start.heapUsed),
        peakHeapUsedMiB: mib(peakHeap),
        rssStartMiB: mib(start.rss),
        serverPeakRssMiB: serverPeak === null ? null : mib(serverPeak),
        ...(peakLive === null ? {} : { peakLiveHeapMiB: mib(peakLive) }),
      };
    },
  };
}

interface Recorder {
  phase: Phase | null;
  readonly stats: Record<Phase, Map<string, { count: number; ms: number }>>;
  /**
   * Each lock insert of the run: performance.now() and how many invoices it locks. The run locks
   * the invoices it changes (one `insertOne` per transaction before batching, one `insertMany` per
   * batch since), so these mark where its transactions start.
   */
  readonly lockInserts: Array<{ readonly at: number; readonly invoices: number }>;
  /** Each per-invoice read in the run (`find ledger_entries` by invoiceId): performance.now() at its end, and its duration. */
  readonly invoiceReads: Array<{ readonly at: number; readonly ms: number }>;
  /** Date.now() of the first lock insert: the end of planning. */
  firstLockAt: number | null;
  /** Per phase, the time during which at least one of the service's commands (Agenda's left out) was in flight. */
  readonly busyMs: Record<Phase, number>;
}

/** The per-invoice read, by its key (`find ledger_entries` before the key named the filter). */
export const isInvoiceRead = (command: string): boolean => command === 'find ledger_entries by invoiceId' || command === 'find ledger_entries';

/** `find <collection> by <filter fields>` (the tenant's own fields left out), else `<command> <collection>`. */
function commandKey(command: Document, name: string): string {
  const target: unknown = command[name];
  const collection = typeof target === 'string' ? target : typeof command.collection === 'string' ? command.collection : '';
  const key = `${name} ${collection}`.trim();
  const filter: unknown = command.filter;
  if (name !== 'find' || collection === 'jobs' || typeof filter !== 'object' || filter === null) return key;
  const fields = Object.keys(filter).filter((field) => field !== 'accountId' && field !== 'livemode');
  return fields.length === 0 ? key : `${key} by ${fields.join(', ')}`;
}

/** Counts and times every command the service's client sends, by phase. */
function monitor(client: MongoClient): Recorder {
  const recorder: Recorder = {
    phase: null,
    stats: { startRequest: new Map(), plan: new Map(), transactions: new Map() },
    lockInserts: [],
    invoiceReads: [],
    firstLockAt: null,
    busyMs: { startRequest: 0, plan: 0, transactions: 0 },
  };
  const pending = new Map<number, { key: string; phase: Phase }>();
  // Commands of the service in flight (Agenda's left out): busy time counts overlapping ones once.
  let inFlight = 0;
  let busySince = 0;
  let busyPhase: Phase = 'startRequest';
  client.on('commandStarted', (event) => {
    if (recorder.phase === null) return;
    const key = commandKey(event.command, event.commandName);
    if (key === 'insert locks' && recorder.phase !== 'startRequest') {
      if (recorder.phase === 'plan') {
        recorder.phase = 'transactions';
        recorder.firstLockAt = Date.now();
      }
      const documents: unknown = event.command.documents;
      recorder.lockInserts.push({ at: performance.now(), invoices: Array.isArray(documents) ? documents.length : 1 });
    }
    if (!isScheduler(key)) {
      if (inFlight === 0) {
        busySince = performance.now();
        busyPhase = recorder.phase;
      }
      inFlight += 1;
    }
    pending.set(event.requestId, { key, phase: recorder.phase });
  });
  const finish = (requestId: number, duration: number): void => {
    const started = pending.get(requestId);
    if (started === undefined) return;
    pending.delete(requestId);
    const stats = recorder.stats[started.phase];
    const stat = stats.get(started.key) ?? { count: 0, ms: 0 };
    stat.count += 1;
    stat.ms += duration;
    stats.set(started.key, stat);
    if (started.phase === 'transactions' && isInvoiceRead(started.key)) recorder.invoiceReads.push({ at: performance.now(), ms: duration });
    if (!isScheduler(started.key)) {
      inFlight -= 1;
      if (inFlight === 0) recorder.busyMs[busyPhase] += performance.now() - busySince;
    }
  };
  client.on('commandSucceeded', (event) => finish(event.requestId, event.duration));
  client.on('commandFailed', (event) => finish(event.requestId, event.duration));
  return recorder;
}

function commandStats(stats: Map<string, { count: number; ms: number }>, transactions: number): CommandStat[] {
  return [...stats.entries()]
    .map(([command, { count, ms }]) => ({ command, count, perTransaction: Math.round((count / transactions) * 1000) / 1000, totalMs: Math.round(ms), meanMs: round(ms / count) }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** Agenda's collection: its polling runs concurrently with the (sequential) run, so its time is not the run's. */
const isScheduler = (command: string): boolean => command.endsWith(' jobs');

function only(stats: Map<string, { count: number; ms: number }>, keep: (command: string) => boolean): Map<string, { count: number; ms: number }> {
  return new Map([...stats.entries()].filter(([command]) => keep(command)));
}

const totalMs = (stats: Map<string, { count: number; ms: number }>): number => [...only(stats, (c) => !isScheduler(c)).values()].reduce((sum, stat) => sum + stat.ms, 0);

/** Ten slices of the run's lock inserts (a transaction each, or a batch each), with the ledger size in the middle of each. */
function deciles(recorder: Recorder, seeded: number, finishedAt: number): Decile[] {
  const inserts = recorder.lockInserts;
  const count = inserts.length;
  if (count < 10) return [];
  const result: Decile[] = [];
  let before = 0;
  for (let d = 0; d < 10; d += 1) {
    const from = Math.floor((d * count) / 10);
    const to = Math.floor(((d + 1) * count) / 10);
    const slice = inserts.slice(from, to);
    const transactions = slice.reduce((sum, insert) => sum + insert.invoices, 0);
    const startAt = (inserts[from] as { at: number }).at;
    const endAt = inserts[to]?.at ?? finishedAt;
    const reads = recorder.invoiceReads.filter((read) => read.at >= startAt && read.at < endAt);
    // Each finished transaction added a negation and a revision before the next ran.
    result.push({
      ledgerSize: seeded + 2 * (before + Math.floor(transactions / 2)),
      msPerTransaction: round((endAt - startAt) / Math.max(1, transactions)),
      findMs: reads.length === 0 ? 0 : round(reads.reduce((sum, read) => sum + read.ms, 0) / reads.length),
    });
    before += transactions;
  }
  return result;
}

function fit(points: readonly Decile[]): { fixedMs: number; perThousandEntriesMs: number } {
  if (points.length < 2) return { fixedMs: points[0]?.msPerTransaction ?? 0, perThousandEntriesMs: 0 };
  const xs = points.map((p) => p.ledgerSize / 1000);
  const ys = points.map((p) => p.msPerTransaction);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { fixedMs: round(my - slope * mx), perThousandEntriesMs: round(slope) };
}

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface SeedResult {
  readonly ms: number;
  readonly batches: number;
  /** BSON size of one seeded entry. */
  readonly documentBytes: number;
}

/**
 * The seeded ledger: one original entry per transaction for the benchmark's customer, made by the
 * ledger's own `entriesForInvoice` as if booked before any period was filed, stored in the shape
 * `LedgerRepository.append` stores, with `insertMany` in batches. Only the insertMany calls are timed.
 */
export async function seedLedger(db: Db, transactions: number, batch: number, now: Date, log: (line: string) => void = () => undefined): Promise<SeedResult> {
  const months = calendar(now);
  const context = ledgerContext({ timeZone: 'UTC', today: now.toISOString().slice(0, 10) });
  const ledger = db.collection<Document>('ledger_entries');
  let ms = 0;
  let batches = 0;
  let documentBytes = 0;
  for (let start = 0; start < transactions; start += batch) {
    const documents: Document[] = [];
    for (let i = start; i < Math.min(transactions, start + batch); i += 1) {
      for (const { id, ...entry } of entriesForInvoice({ invoice: sale(i, months), certificates: [], eventId: `evt_bench_${i}` }, context)) {
        documents.push({ _id: id, accountId: MERCHANT.accountId, livemode: MERCHANT.livemode, ...entry, recordedAt: now });
      }
    }
    if (start === 0) documentBytes = BSON.calculateObjectSize(documents[0] as Document);
    const began = performance.now();
    await ledger.insertMany(documents);
    ms += performance.now() - began;
    batches += 1;
    if (batches % 20 === 0) log(`  ${Math.min(transactions, start + batch).toLocaleString('en-US')} seeded`);
  }
  return { ms: Math.round(ms), batches, documentBytes };
}

/** Runs `seedLedger` in a child process (bench/reprocess.ts --seed) against the same server and database. */
function seedInOwnProcess(database: BenchDatabase, transactions: number, batch: number, now: Date): Promise<SeedResult> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'exemptions-bench-reprocess-seed-'));
  const resultFile = path.join(folder, 'seed.json');
  const args = ['--import', 'tsx', path.join(repoRoot, 'bench', 'reprocess.ts'), '--seed', '--uri', database.uri, '--db', database.db.databaseName];
  args.push('--transactions', String(transactions), '--batch', String(batch), '--now', now.toISOString(), '--result', resultFile);
  return new Promise<SeedResult>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
    child.once('exit', (code, signal) => {
      try {
        if (code !== 0) throw new Error(`the seeding process exited with ${signal ?? code}`);
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as SeedResult);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });
}

/** Seeds, runs and measures one size; the caller owns the database. */
export async function measureSize(database: BenchDatabase, settings: SizeSettings, log: (line: string) => void): Promise<SizeResult> {
  const { transactions: n, batch } = settings;
  const ranAt = new Date().toISOString();
  const loadBefore = os.loadavg();
  const now = new Date();
  const months = calendar(now);
  const stripe = new FakeStripe().addCustomer(MERCHANT, { id: CUSTOMER, name: 'Bench Buyer', address: { country: 'US', state: 'TX' } });
  const config = loadConfig({
    MONGODB_URI: `${database.uri.replace(/\/$/, '')}/?monitorCommands=true`,
    MONGODB_DB: database.db.databaseName,
    PORT: '0',
    LOG_LEVEL: settings.logLevel,
    JOB_POLL_INTERVAL_MS: String(settings.pollIntervalMs),
    STRIPE_APP_SECRETS: TEST_APP_SECRET,
  });
  const server = serverPid();
  let service: RunningService | null = null;
  try {
    service = await startService({ config, role: 'all', logger: pino({ level: settings.logLevel }, quiet), stripe });
    const recorder = monitor(service.client);
    const api = new ApiClient(service.url ?? '', MERCHANT);

    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: CUSTOMER,
      reason: 'resale',
      form: 'single_state',
      number: 'TX-BENCH-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: JURISDICTION, registrationId: null, effectiveDate: `${months.filed[0] as string}-01`, expirationDate: null }],
    });
    if (created.status !== 201) throw new Error(`creating the certificate answered ${created.status}: ${JSON.stringify(created.body)}`);

    // Seeding, in a process of its own so that this one's memory is not left holding its garbage.
    log(`seeding ${n.toLocaleString('en-US')} transactions (insertMany, ${batch} per batch, in a separate process)…`);
    const seeded = await seedInOwnProcess(database, n, batch, now);
    const ledger = database.db.collection<Document>('ledger_entries');
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s (${perSecond(n, seeded.ms)} docs/s; not measured as throughput)`);
    const filingStarted = performance.now();
    for (const key of months.filed) await service.context.filing.file(MERCHANT, JURISDICTION, key, { type: 'user', id: 'usr_bench' }, new Date());
    const filingMs = performance.now() - filingStarted;
    log(`filed ${months.filed.join(', ')} for ${JURISDICTION}; open: ${months.open.join(', ')}`);
    // The certificate's coverage sync (queued by its creation) must be out of the way.
    const jobs = database.db.collection('jobs');
    // A finished job is removed; one that ran and failed keeps its lastFinishedAt.
    for (let waited = 0; (await jobs.countDocuments({ name: SYNC_CUSTOMER_COVERAGE, lastFinishedAt: null })) > 0; waited += 100) {
      if (waited > 60_000) throw new Error('the certificate coverage sync did not finish within 60 s');
      await sleep(100);
    }

    // The run, as the Stripe App starts it.
    const range = {
      startDate: `${months.filed[0] as string}-01`,
      endDate: lastDayOf(months.open[months.open.length - 1] as string),
      acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due', 'past_refund_statute'],
    };
    log('start request (works out the preview summary, writes the work list)…');
    let window = memoryWindow(server);
    recorder.phase = 'startRequest';
    const sentAt = performance.now();
    const started = await api.post<{ id: string; total: number }>(`/api/v1/certificates/${created.body.id}/reprocess`, range);
    const startRequestMs = performance.now() - sentAt;
    const startMemory = window.end();
    if (started.status !== 201) throw new Error(`starting the run answered ${started.status}: ${JSON.stringify(started.body).slice(0, 500)}`);
    log(`  ${started.status} in ${(startRequestMs / 1000).toFixed(1)} s; total ${started.body.total}; the job runs…`);
    window = memoryWindow(server, 10_000);
    recorder.phase = 'plan';
    const cancel = async (): Promise<void> => {
      const answer = await api.post(`/api/v1/reprocess/${started.body.id}/cancel`);
      if (answer.status !== 200) throw new Error(`cancelling answered ${answer.status}`);
    };
    let cancelled = false;
    if (settings.stopAfter === 'planning') {
      // Before the job has planned: it stops at its first checkpoint, having planned and written nothing.
      await cancel();
      cancelled = true;
      log('  cancellation requested: the job stops at its first checkpoint, after planning');
    }
    const runs = new ReprocessRunRepository(database.db);
    let run: ReprocessRun | null = null;
    let lastReport = Date.now();
    for (;;) {
      run = await runs.getById(started.body.id);
      if (run !== null && ['completed', 'cancelled', 'failed'].includes(run.status)) break;
      if (!cancelled && settings.stopAfter === 'first-batch' && recorder.firstLockAt !== null) {
        await cancel();
        cancelled = true;
        log('  first batch under way: cancellation requested, the job stops after it');
      }
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        log(`  ${run?.status ?? '?'}: ${run?.processed ?? 0}/${run?.total ?? 0}`);
      }
      await sleep(250);
    }
    const endToEndMs = performance.now() - sentAt;
    const finishedAtPerf = performance.now();
    recorder.phase = null;
    const runMemory = window.end();
    const expected = settings.stopAfter === 'complete' ? 'completed' : 'cancelled';
    if (run.status !== expected) throw new Error(`the run ended ${run.status}, expected ${expected}: ${run.error ?? ''}`);
    const startedAt = run.startedAt?.getTime() ?? 0;
    const finishedAt = run.finishedAt?.getTime() ?? 0;
    const wallMs = finishedAt - startedAt;
    const firstLockAt = recorder.firstLockAt ?? finishedAt;
    const planMs = firstLockAt - startedAt;
    const transactionsMs = finishedAt - firstLockAt;
    const processed = run.processed;
    log(`  ${run.status}: ${processed}/${run.total} in ${(wallMs / 1000).toFixed(1)} s (planning ${(planMs / 1000).toFixed(1)} s)`);

    // The run's per-invoice read, on the ledger as the run left it.
    const ledgerSize = n + 2 * processed;
    const readStarted = performance.now();
    for (let k = 0; k < settings.findSamples; k += 1) {
      await service.context.ledger.find(MERCHANT, { invoiceId: sale(Math.floor(((k + 0.5) * n) / settings.findSamples), months).invoiceId });
    }
    const readMs = (performance.now() - readStarted) / Math.max(1, settings.findSamples);
    log(`per-invoice read on ${ledgerSize.toLocaleString('en-US')} entries: ${readMs.toFixed(1)} ms (${settings.findSamples} samples)`);

    // Checks, outside every measurement.
    const tenant = { accountId: MERCHANT.accountId, livemode: MERCHANT.livemode };
    const countKind = (kind: string) => ledger.countDocuments({ ...tenant, kind });
    const originals = await countKind('original');
    const negations = await countKind('negation');
    const revisions = await countKind('revision');
    const entriesInFiledPeriods = await ledger.countDocuments({ ...tenant, periodKey: { $in: months.filed } });
    const filedCount = Math.ceil(n / 2);
    const checks = {
      originals,
      negations,
      revisions,
      entriesInFiledPeriods,
      ok: originals === n && negations === processed && revisions === processed && entriesInFiledPeriods === filedCount && run.changed === processed,
    };

    // Baseline: 2 ledger entries per transaction, raw, into a fresh ledger_entries with the same indexes.
    const written = settings.stopAfter === 'complete';
    log(`baseline: ${written ? 'the entries the run wrote' : 'the seeded entries, twice'}, raw insertMany into a fresh ledger_entries…`);
    const rawDb = database.client.db(`${database.db.databaseName}_raw`);
    await rawDb.dropDatabase();
    await new LedgerRepository(rawDb).ensureIndexes();
    const raw = rawDb.collection<Document>('ledger_entries');
    const sample: Document[] = [];
    const sampleSize = Math.min(settings.insertOneSample, 2 * n);
    let rawMs = 0;
    let rawDocuments = 0;
    let rawBytes = 0;
    let pendingBatch: Document[] = [];
    const flush = async (): Promise<void> => {
      if (pendingBatch.length === 0) return;
      const began = performance.now();
      await raw.insertMany(pendingBatch);
      rawMs += performance.now() - began;
      rawDocuments += pendingBatch.length;
      pendingBatch = [];
    };
    const add = async (document: Document): Promise<void> => {
      if (rawBytes === 0 && (!written || document.kind === 'revision')) rawBytes = BSON.calculateObjectSize(document);
      if (sample.length < sampleSize) sample.push(document);
      pendingBatch.push(document);
      if (pendingBatch.length >= batch) await flush();
    };
    if (written) {
      for await (const document of ledger.find({ ...tenant, cause: 'reprocess' }).batchSize(batch)) await add(document);
    } else {
      for await (const document of ledger.find({ ...tenant, kind: 'original' }).batchSize(batch)) {
        await add({ ...document, _id: `${String(document._id)}:raw1` });
        await add({ ...document, _id: `${String(document._id)}:raw2` });
      }
    }
    await flush();
    log(`  ${rawDocuments.toLocaleString('en-US')} documents in ${(rawMs / 1000).toFixed(1)} s (${perSecond(rawDocuments, rawMs)}/s)`);
    log(`baseline: sequential insertOne of ${sample.length.toLocaleString('en-US')} of them…`);
    await rawDb.dropDatabase();
    await new LedgerRepository(rawDb).ensureIndexes();
    const oneStarted = performance.now();
    for (const document of sample) await raw.insertOne(document);
    const insertOneMs = performance.now() - oneStarted;
    log(`  in ${(insertOneMs / 1000).toFixed(1)} s (${perSecond(sample.length, insertOneMs)}/s)`);
    await rawDb.dropDatabase();

    // Baseline: the one read per transaction the run must make under the invoice's lock, raw.
    const readCount = Math.min(n, settings.insertOneSample);
    const readConcurrency = 64;
    log(`baseline: ${readCount.toLocaleString('en-US')} raw finds by invoiceId, ${readConcurrency} at a time…`);
    let nextRead = 0;
    const readsStarted = performance.now();
    await Promise.all(
      Array.from({ length: readConcurrency }, async () => {
        while (nextRead < readCount) {
          const invoiceId = sale(Math.floor((nextRead++ * n) / readCount), months).invoiceId;
          await ledger.find({ ...tenant, invoiceId }).sort({ transactionDate: 1, _id: 1 }).toArray();
        }
      }),
    );
    const readsMs = performance.now() - readsStarted;
    log(`  in ${(readsMs / 1000).toFixed(1)} s (${perSecond(readCount, readsMs)}/s)`);
    log(`baseline: the same ${readCount.toLocaleString('en-US')} invoices read by $in, ${REPROCESS_MAX_BATCH} to a query, one query at a time…`);
    const batchReadsStarted = performance.now();
    for (let first = 0; first < readCount; first += REPROCESS_MAX_BATCH) {
      const invoiceIds = Array.from({ length: Math.min(REPROCESS_MAX_BATCH, readCount - first) }, (_, k) => sale(Math.floor(((first + k) * n) / readCount), months).invoiceId);
      await ledger.find({ ...tenant, invoiceId: { $in: invoiceIds } }).sort({ transactionDate: 1, _id: 1 }).toArray();
    }
    const batchReadsMs = performance.now() - batchReadsStarted;
    log(`  in ${(batchReadsMs / 1000).toFixed(1)} s (${perSecond(readCount, batchReadsMs)} invoices/s)`);

    const entriesWritten = negations + revisions;
    const planDbMs = totalMs(recorder.stats.plan);
    const transactionsDbMs = totalMs(recorder.stats.transactions);
    const points = deciles(recorder, n, finishedAtPerf);
    const runStats = only(recorder.stats.transactions, (c) => !isScheduler(c));
    const runCommands = [...runStats.values()].reduce((sum, stat) => sum + stat.count, 0);
    const perTx = Math.max(1, processed);
    const insertManyRate = perSecond(rawDocuments, rawMs);
    const insertOneRate = perSecond(sample.length, insertOneMs);
    const readRate = perSecond(readCount, readsMs);
    const batchReadRate = perSecond(readCount, batchReadsMs);
    // Per transaction: its invoice's share of a batch read and two inserted entries at the raw rates; as entries/s over insertMany's docs/s.
    const floorMsPerTransaction = 1000 / batchReadRate + 2000 / insertManyRate;
    const entriesRate = perSecond(entriesWritten, wallMs);
    const schedulerStats = new Map<string, { count: number; ms: number }>();
    for (const phase of ['plan', 'transactions'] as const) {
      for (const [command, stat] of only(recorder.stats[phase], isScheduler)) {
        const sum = schedulerStats.get(command) ?? { count: 0, ms: 0 };
        schedulerStats.set(command, { count: sum.count + stat.count, ms: sum.ms + stat.ms });
      }
    }
    return {
      ranAt,
      machine: describeMachine(),
      load: { before: loadBefore.map((v) => Math.round(v * 10) / 10), after: os.loadavg().map((v) => Math.round(v * 10) / 10) },
      server: database.server,
      settings,
      dataset: {
        transactions: n,
        inFiledPeriods: filedCount,
        inOpenPeriods: n - filedCount,
        filedPeriods: months.filed,
        openPeriods: months.open,
        currentPeriod: months.current,
        jurisdiction: JURISDICTION,
      },
      seeding: { ms: seeded.ms, entries: n, batches: seeded.batches, filingMs: Math.round(filingMs), documentBytes: seeded.documentBytes },
      startRequest: {
        ms: Math.round(startRequestMs),
        dbMs: Math.round(totalMs(recorder.stats.startRequest)),
        commands: commandStats(only(recorder.stats.startRequest, (c) => !isScheduler(c)), n),
      },
      run: {
        status: run.status,
        total: run.total,
        processed,
        changed: run.changed,
        skipped: run.skipped,
        entriesWritten,
        wallMs,
        endToEndMs: Math.round(endToEndMs),
        planMs,
        planDbMs: Math.round(planDbMs),
        transactionsMs,
        transactionsPerSecond: perSecond(processed, settings.stopAfter === 'complete' ? wallMs : transactionsMs),
        entriesPerSecond: entriesRate,
      },
      perInvoiceRead: { ledgerSize, samples: settings.findSamples, meanMs: round(readMs) },
      baseline: {
        documents: written ? 'written' : 'seeded',
        documentBytes: rawBytes,
        insertMany: { documents: rawDocuments, batch, ms: Math.round(rawMs), documentsPerSecond: insertManyRate },
        insertOne: { documents: sample.length, ms: Math.round(insertOneMs), documentsPerSecond: insertOneRate },
        invoiceFind: { reads: readCount, concurrency: readConcurrency, ms: Math.round(readsMs), readsPerSecond: readRate },
        invoiceBatchFind: { invoices: readCount, perQuery: REPROCESS_MAX_BATCH, ms: Math.round(batchReadsMs), invoicesPerSecond: batchReadRate },
      },
      ratios: {
        runEntriesVsInsertMany: ratio3(entriesRate, insertManyRate),
        runEntriesVsInsertOne: ratio3(entriesRate, insertOneRate),
        ceilingVsInsertMany: ratio3(2000 / floorMsPerTransaction, insertManyRate),
      },
      memory: {
        startRequest: startMemory,
        run: runMemory,
        method:
          'peak RSS: kernel VmHWM of this process (and of the database server we started), reset via /proc/<pid>/clear_refs at the start of each window, after a forced GC; heapUsed sampled every 50 ms (a floor). One process per size.',
      },
      profile: {
        plan: commandStats(only(recorder.stats.plan, (c) => !isScheduler(c)), n),
        transactions: commandStats(runStats, perTx),
        perTransaction: {
          wallMs: round(transactionsMs / perTx),
          dbMs: round(transactionsDbMs / perTx),
          dbBusyMs: round(recorder.busyMs.transactions / perTx),
          // Commands still in flight as the run ends can make the busy time a hair longer than the wall.
          nodeMs: round(Math.max(0, transactionsMs - recorder.busyMs.transactions) / perTx),
          commands: Math.round((runCommands / perTx) * 100) / 100,
        },
        scheduler: commandStats(schedulerStats, perTx),
        deciles: points,
        model: fit(points),
      },
      checks,
    };
  } finally {
    await service?.stop();
  }
}
