/**
 * npm run bench:reprocess [-- --transactions 10000,100000 --batch 1000 --insert-one-sample 20000 --max-minutes 25 --fit-minutes 20 --force --poll-interval 1000 --out <file.json>]
 *
 * Reprocesses N transactions of one customer, half of them in filed periods, through the worker's
 * real code path (API start request, then the Agenda `reprocess-run` job), next to raw inserts of
 * the same entries on the same server in the same run (see reprocessBench.ts). Each size runs in a
 * process of its own, with its own database (MONGODB_URI, else a mongod on PATH, else the embedded
 * FerretDB in a temporary folder), so each reports its own memory peak.
 *
 * Sizes run smallest first. Before a larger size starts, its time is estimated from the largest
 * one measured; beyond --max-minutes it is not started (unless --force), and the largest size
 * estimated to fit in --fit-minutes runs instead. Prints the table and, for the default sizes (or
 * with --out), writes bench/results/reprocess-<date>.json and .md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { repoRoot } from '../worker/src/paths.js';
import { openBenchDatabase, type BenchDatabase } from './lib/database.js';
import { describeServer, readCommandLine } from './lib/cli.js';
import { keepResults } from './lib/results.js';
import { REPROCESS_BATCH } from '../worker/src/jobs/reprocessRun.js';
import { isInvoiceRead, measureSize, seedLedger, type SizeResult } from './reprocessBench.js';
import { estimate, formatReport, type ReprocessReport, type SkippedSize } from './reprocessReport.js';

const DEFAULT_SIZES = [10_000, 100_000];

const count = (name: string, min: number) =>
  z.coerce.number({ error: `--${name}: expected a number` }).int(`--${name}: expected a whole number`).min(min, `--${name}: expected at least ${min}`);

const optionsSchema = z.object({
  transactions: z
    .string()
    .default(DEFAULT_SIZES.join(','))
    .transform((value) => value.split(',').map((part) => Number(part.trim().replace(/_/g, ''))))
    .pipe(z.array(z.number().int('--transactions: expected whole numbers').min(2, '--transactions: expected at least 2')).min(1)),
  batch: count('batch', 1).default(1_000),
  'insert-one-sample': count('insert-one-sample', 1).default(20_000),
  'max-minutes': z.coerce.number({ error: '--max-minutes: expected a number' }).positive('--max-minutes: expected more than 0').default(25),
  'fit-minutes': z.coerce.number({ error: '--fit-minutes: expected a number' }).positive('--fit-minutes: expected more than 0').default(20),
  force: z.boolean().default(false),
  calibrate: count('calibrate', 0).default(500),
  'partial-minutes': z.coerce.number({ error: '--partial-minutes: expected a number' }).nonnegative('--partial-minutes: expected 0 or more').default(5),
  'find-samples': count('find-samples', 1).default(5),
  'stop-after': z.enum(['complete', 'planning', 'first-batch']).default('complete'),
  'poll-interval': count('poll-interval', 1).default(1_000),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: '--log-level: expected fatal, error, warn, info, debug, trace or silent' }).default('info'),
  out: z.string().min(1).optional(),
  child: z.boolean().default(false),
  seed: z.boolean().default(false),
  uri: z.string().min(1).optional(),
  db: z.string().min(1).optional(),
  now: z.iso.datetime().optional(),
  result: z.string().min(1).optional(),
  help: z.boolean().optional(),
});

type Options = z.infer<typeof optionsSchema>;

const USAGE = `usage: npm run bench:reprocess -- [--transactions N[,N…]] [--calibrate N] [--batch N] [--insert-one-sample N] [--max-minutes M] [--fit-minutes M] [--partial-minutes M] [--force] [--find-samples N] [--poll-interval MS] [--log-level L] [--out file.json]
  --transactions N,N     sizes, each in its own process, smallest first (default ${DEFAULT_SIZES.join(',')}; a smoke run: --transactions 300 --calibrate 0)
  --calibrate N          first, a complete run of N to estimate the others from (default 500; 0: none)
  --batch N              documents per insertMany, for seeding and the baseline (default 1000)
  --insert-one-sample N  sequential insertOne calls in the second baseline (default 20000, at most 2 per transaction)
  --max-minutes M        do not run in full a size estimated to take longer than this (default 25); instead run the
                         largest size estimated to fit in --fit-minutes, and run this size only up to its first
                         checkpoint (cancelled through the API), to measure its start request, planning and memory
  --fit-minutes M        (default 20)
  --partial-minutes M    such a partial run also does its first batch of transactions when that is estimated to take
                         at most M minutes (default 5)
  --force                run every size in full whatever its estimate
  --find-samples N       per-invoice ledger reads timed after each run (default 5)
  --poll-interval MS     JOB_POLL_INTERVAL_MS of the service (default 1000, the worker's own default)
  --log-level L          the service's LOG_LEVEL; its logs are discarded (default info, the worker's own default)
  --out file.json        where to write the results (default for the default sizes: bench/results/reprocess-<date>.json, and .md)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string' },
      batch: { type: 'string' },
      'insert-one-sample': { type: 'string' },
      'max-minutes': { type: 'string' },
      'fit-minutes': { type: 'string' },
      force: { type: 'boolean' },
      calibrate: { type: 'string' },
      'partial-minutes': { type: 'string' },
      'find-samples': { type: 'string' },
      'stop-after': { type: 'string' },
      'poll-interval': { type: 'string' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
      child: { type: 'boolean' },
      seed: { type: 'boolean' },
      uri: { type: 'string' },
      db: { type: 'string' },
      now: { type: 'string' },
      result: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data['fit-minutes'] > parsed.data['max-minutes']) throw new Error('--fit-minutes must not exceed --max-minutes');
  // Internal modes: --child measures one size; --seed seeds one size's ledger for it.
  if (parsed.data.child && (parsed.data.result === undefined || parsed.data.transactions.length !== 1)) throw new Error('--child needs one --transactions size and --result');
  if (parsed.data.seed && [parsed.data.uri, parsed.data.db, parsed.data.now, parsed.data.result].includes(undefined)) throw new Error('--seed needs --uri, --db, --now and --result');
  return parsed.data;
}

const options = readCommandLine(parseOptions, USAGE);

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** One size, in this process: the child side. */
async function runChild(opts: Options): Promise<void> {
  const transactions = opts.transactions[0] as number;
  let database: BenchDatabase | null = null;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (database?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  try {
    database = await openBenchDatabase('reprocess');
    const { server } = database;
    log(
      `[${transactions.toLocaleString('en-US')}] database: ${describeServer(server)}; pid ${process.pid}`,
    );
    const result = await measureSize(
      database,
      {
        transactions,
        batch: opts.batch,
        insertOneSample: opts['insert-one-sample'],
        pollIntervalMs: opts['poll-interval'],
        logLevel: opts['log-level'],
        stopAfter: opts['stop-after'],
        findSamples: opts['find-samples'],
      },
      (line) => log(`[${transactions.toLocaleString('en-US')}] ${line}`),
    );
    writeFileSync(opts.result as string, JSON.stringify(result));
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`bench:reprocess (${transactions}) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  } finally {
    await database?.close();
  }
}

let current: ChildProcess | null = null;

/** One size in a process of its own (GC exposed, so each memory window starts after a collection). */
function runSize(transactions: number, stopAfter: Options['stop-after'], opts: Options, deadlineMs: number): Promise<SizeResult> {
  if (stopping) return Promise.reject(new Error('stopped by a signal'));
  log(`(this process gives up on it after ${Math.round(deadlineMs / 60_000)} min)`);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'exemptions-bench-reprocess-'));
  const resultFile = path.join(folder, 'result.json');
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    path.join(repoRoot, 'bench', 'reprocess.ts'),
    '--child',
    '--result',
    resultFile,
    '--transactions',
    String(transactions),
    '--batch',
    String(opts.batch),
    '--insert-one-sample',
    String(opts['insert-one-sample']),
    '--poll-interval',
    String(opts['poll-interval']),
    '--log-level',
    opts['log-level'],
    '--find-samples',
    String(opts['find-samples']),
    '--stop-after',
    stopAfter,
  ];
  return new Promise<SizeResult>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
    current = child;
    const timer = setTimeout(() => {
      log(`[${transactions}] past its deadline of ${Math.round(deadlineMs / 60_000)} min: stopping it`);
      child.kill('SIGTERM');
    }, deadlineMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      current = null;
      try {
        if (code !== 0) throw new Error(`the ${transactions} process exited with ${signal ?? code}`);
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as SizeResult);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });
}

/** The largest size (a round number) estimated to fit in `budgetMs`, above `above`; null if none. */
function largestFitting(from: SizeResult, budgetMs: number, above: number, below: number): number | null {
  let low = above;
  let high = below;
  if (estimate(from, low + 1).totalMs > budgetMs) return null;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (estimate(from, middle).totalMs <= budgetMs) low = middle;
    else high = middle;
  }
  // Two significant digits: 1,137 → 1,100; 86 → 86.
  const step = 10 ** Math.max(0, Math.floor(Math.log10(low)) - 1);
  const rounded = Math.floor(low / step) * step;
  return rounded > above ? rounded : null;
}

function skipReason(from: SizeResult, size: number, estimated: number, maxMinutes: number): string {
  const find = from.profile.transactions.find((stat) => isInvoiceRead(stat.command));
  const scan =
    from.server.product === 'ferretdb' && from.server.handler !== 'postgresql'
      ? `FerretDB on SQLite uses no index, so the run's per-invoice read (\`find ledger_entries\` by invoiceId, once per transaction${find === undefined ? '' : `, ${find.meanMs.toFixed(0)} ms on average in the ${from.dataset.transactions.toLocaleString('en-US')} run`}) scans the whole ledger collection, which the run itself grows by two entries per transaction: the cost per transaction grows with the ledger, the run's with the square of its size.`
      : `Estimated from the complete ${from.dataset.transactions.toLocaleString('en-US')} run's cost per transaction, ${from.profile.perTransaction.wallMs.toFixed(1)} ms.`;
  return `A complete run is estimated at ${(estimated / 60_000).toFixed(0)} min, over the ${maxMinutes} min limit. ${scan}`;
}

/** What a partial run (seeding, start request, planning, perhaps one batch, baselines) should take. */
function partialEstimateMs(from: SizeResult, size: number, withBatch: boolean, planFrom: SizeResult): number {
  const whole = estimate(from, size, planFrom);
  const linear = size / planFrom.dataset.transactions;
  // Linear, as in `estimate`: the planner no longer searches the whole ledger per transaction.
  const planning = (total: number, _db: number): number => total * linear;
  const { fixedMs, perThousandEntriesMs } = from.profile.model;
  const batchMs = withBatch ? REPROCESS_BATCH * (fixedMs + (Math.max(0, perThousandEntriesMs) * size) / 1000) : 0;
  const startMs = planning(planFrom.startRequest.ms, planFrom.startRequest.dbMs);
  const setupMs = whole.totalMs - whole.runMs - startMs;
  return setupMs + startMs + planning(planFrom.run.planMs, planFrom.run.planDbMs) + batchMs;
}

let stopping = false;

async function runParent(opts: Options): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // No further size starts while the current one stops.
      stopping = true;
      current?.kill('SIGTERM');
      setTimeout(() => process.exit(130), 5_000).unref();
    });
  }
  const sizes = [...new Set(opts.transactions)].sort((a, b) => a - b);
  const ranAt = new Date().toISOString();
  const results: SizeResult[] = [];
  const skipped: SkippedSize[] = [];
  const failed: ReprocessReport['failed'] = [];
  const maxMs = opts['max-minutes'] * 60_000;
  const fitMs = opts['fit-minutes'] * 60_000;
  // A child past twice the ceiling is stuck, not slow.
  const deadlineMs = opts.force ? 24 * 3_600_000 : 2 * maxMs + 10 * 60_000;
  const attempt = async (size: number, stopAfter: Options['stop-after'], expectedMs = 0): Promise<SizeResult | null> => {
    log(`— ${size.toLocaleString('en-US')} transactions${stopAfter === 'complete' ? '' : ` (up to ${stopAfter === 'planning' ? 'its first checkpoint' : 'its first batch'})`} —`);
    try {
      const result = await runSize(size, stopAfter, opts, Math.max(deadlineMs, 3 * expectedMs));
      results.push(result);
      return result;
    } catch (error) {
      failed.push({ transactions: size, error: error instanceof Error ? error.message : String(error) });
      return null;
    }
  };
  let basis: SizeResult | undefined;
  const first = sizes[0] as number;
  if (opts.calibrate > 0 && opts.calibrate < first && !opts.force) basis = (await attempt(opts.calibrate, 'complete')) ?? undefined;
  for (const size of sizes) {
    if (basis !== undefined && !opts.force) {
      const planFrom = (): SizeResult => results.reduce((a, b) => (b.dataset.transactions > a.dataset.transactions ? b : a), basis as SizeResult);
      let estimated = estimate(basis, size, planFrom());
      log(`estimate for ${size.toLocaleString('en-US')}: ${(estimated.totalMs / 60_000).toFixed(1)} min (run ${(estimated.runMs / 60_000).toFixed(1)} min; ${estimated.basis})`);
      if (estimated.totalMs > maxMs) {
        const fitting = largestFitting(basis, fitMs, basis.dataset.transactions, size);
        // Once: a later size would find about the same fitting size again.
        if (fitting !== null && fitting >= 1.25 * basis.dataset.transactions && !sizes.includes(fitting)) {
          log(`too slow to run in full; first the largest size estimated to fit in ${opts['fit-minutes']} min: ${fitting.toLocaleString('en-US')}`);
          basis = (await attempt(fitting, 'complete')) ?? basis;
          estimated = estimate(basis, size, planFrom());
        }
        const reason = skipReason(basis, size, estimated.totalMs, opts['max-minutes']);
        skipped.push({ transactions: size, estimate: estimated, reason });
        log(`not run in full: ${reason}`);
        const batchMs = REPROCESS_BATCH * (basis.profile.model.fixedMs + (Math.max(0, basis.profile.model.perThousandEntriesMs) * size) / 1000);
        const withBatch = batchMs <= opts['partial-minutes'] * 60_000;
        const expectedMs = partialEstimateMs(basis, size, withBatch, planFrom());
        log(`partial run of ${size.toLocaleString('en-US')} (${withBatch ? 'through its first batch' : `to its first checkpoint: one batch alone is estimated at ${(batchMs / 60_000).toFixed(0)} min`}), estimated ${(expectedMs / 60_000).toFixed(1)} min`);
        await attempt(size, withBatch ? 'first-batch' : 'planning', expectedMs);
        continue;
      }
    }
    const result = await attempt(size, 'complete');
    if (result !== null) basis = result;
  }
  // Memory at the requested sizes (10k vs 100k by default), whatever part of the run each could do.
  const requested = results.filter((r) => sizes.includes(r.dataset.transactions));
  const compared = requested.length >= 2 ? requested : results;
  const smaller = compared[0];
  const larger = compared.at(-1);
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const report: ReprocessReport = {
    benchmark: 'reprocess',
    ranAt,
    requested: sizes,
    limits: { maxMinutes: opts['max-minutes'], fitMinutes: opts['fit-minutes'] },
    sizes: results,
    skipped,
    failed,
    memory:
      smaller !== undefined && larger !== undefined && larger !== smaller
        ? {
            smaller: smaller.dataset.transactions,
            larger: larger.dataset.transactions,
            startRequestRssRatio: ratio(larger.memory.startRequest.peakRssMiB, smaller.memory.startRequest.peakRssMiB),
            runRssRatio: ratio(larger.memory.run.peakRssMiB, smaller.memory.run.peakRssMiB),
            runHeapRatio: ratio(larger.memory.run.peakHeapUsedMiB, smaller.memory.run.peakHeapUsedMiB),
            startRequestRssGrowthMiB: Math.round((larger.memory.startRequest.peakRssMiB - smaller.memory.startRequest.peakRssMiB) * 10) / 10,
            runRssGrowthMiB: Math.round((larger.memory.run.peakRssMiB - smaller.memory.run.peakRssMiB) * 10) / 10,
            ...(larger.memory.run.peakLiveHeapMiB === undefined || smaller.memory.run.peakLiveHeapMiB === undefined
              ? {}
              : { runLiveHeapGrowthMiB: Math.round((larger.memory.run.peakLiveHeapMiB - smaller.memory.run.peakLiveHeapMiB) * 10) / 10 }),
          }
        : null,
  };
  const markdown = formatReport(report);
  log('');
  log(markdown);
  const defaultSize = sizes.length === DEFAULT_SIZES.length && sizes.every((size, i) => size === DEFAULT_SIZES[i]);
  await keepResults({ name: 'reprocess', out: opts.out, defaultSize, report, markdown }, log);
  if (failed.length > 0 || results.some((result) => !result.checks.ok)) process.exitCode = 1;
}

/** Seeds one size's ledger, in a process of its own (see `seedLedger`). */
async function runSeed(opts: Options): Promise<void> {
  const transactions = opts.transactions[0] as number;
  const client = await MongoClient.connect(opts.uri as string, { appName: 'exemptions-bench-reprocess-seed' });
  try {
    const result = await seedLedger(client.db(opts.db), transactions, opts.batch, new Date(opts.now as string), (line) => log(`[${transactions.toLocaleString('en-US')}] ${line}`));
    writeFileSync(opts.result as string, JSON.stringify(result));
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`seeding failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  } finally {
    await client.close();
  }
}

if (options.seed) await runSeed(options);
else if (options.child) await runChild(options);
else await runParent(options);
// Agenda 6 leaves a timer per job run (its lock watchdog) that stop() does not clear.
process.exit();
