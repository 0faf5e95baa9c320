/**
 * npm run bench:webhooks [-- --events 2000 --concurrency 32 --warmup 50 --rounds 4 --accounts 10 --poll-interval 1000 --drain-timeout 1800 --log-level info --profile <dir> --backlog 50000 --backlog-window 1000 --backlog-rounds 3 --out <file.json>]
 *
 * Starts the database `npm start` would use (MONGODB_URI, else a mongod on PATH, else the embedded
 * FerretDB) with its data in a temporary folder; measures webhook acknowledgement against raw
 * inserts at the same concurrency, then the drain of the queued events into the ledger against raw
 * inserts of ledger entries (see webhooksBench.ts). Prints the table and, for the default size (or
 * with --out), writes bench/results/webhooks-<date>.json and .md. It stops the worker processes and
 * the database and removes the data on the way out.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger } from '../worker/src/logger.js';
import { repoRoot } from '../worker/src/paths.js';
import { installProcessErrorHandlers } from '../worker/src/processErrors.js';
import { openBenchDatabase, type BenchDatabase } from './lib/database.js';
import { describeServer, readCommandLine } from './lib/cli.js';
import { describeMachine } from './lib/environment.js';
import { keepResults } from './lib/results.js';
import { measureAcknowledgement, measureBacklog, measureLedger, startWebProcess, type WebhookSettings, type WebProcess } from './webhooksBench.js';
import { buildWebhookData } from './webhooksData.js';
import { buildReport, formatReport } from './webhooksReport.js';

const FULL = { events: 2_000, concurrency: 32 } as const;

const round1 = (value: number): number => Math.round(value * 10) / 10;

const count = (name: string, min: number) =>
  z.coerce.number({ error: `--${name}: expected a number` }).int(`--${name}: expected a whole number`).min(min, `--${name}: expected at least ${min}`);

const optionsSchema = z.object({
  events: count('events', 1).default(FULL.events),
  concurrency: count('concurrency', 1).default(FULL.concurrency),
  warmup: count('warmup', 0).default(50),
  rounds: count('rounds', 1).default(4),
  accounts: count('accounts', 1).default(10),
  'poll-interval': count('poll-interval', 1).default(1_000),
  'drain-timeout': count('drain-timeout', 1).default(1_800),
  profile: z.string().min(1).optional(),
  backlog: count('backlog', 0).default(50_000),
  'backlog-window': count('backlog-window', 10).default(1_000),
  'backlog-rounds': count('backlog-rounds', 1).default(3),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: '--log-level: expected fatal, error, warn, info, debug, trace or silent' }).default('info'),
  out: z.string().min(1).optional(),
  help: z.boolean().optional(),
});

const USAGE = `usage: npm run bench:webhooks -- [--events N] [--concurrency N] [--warmup N] [--rounds N] [--accounts N] [--poll-interval MS] [--drain-timeout S] [--log-level L] [--profile DIR] [--backlog N] [--backlog-window N] [--backlog-rounds N] [--out file.json]
  --events N          timed webhook deliveries, then drained into the ledger (default ${FULL.events}; a smoke run: 100)
  --concurrency N     requests (and raw inserts) in flight during acknowledgement (default ${FULL.concurrency})
  --warmup N          untimed deliveries and raw inserts first (default 50; drained with the rest)
  --rounds N          acknowledgement rounds, alternating whether the webhook or the raw side goes first (default 4)
  --accounts N        test-mode accounts the events are spread over (default 10)
  --poll-interval MS  JOB_POLL_INTERVAL_MS of the worker processes (default 1000, the worker's own default)
  --drain-timeout S   stop waiting for the ledger drain after S seconds and report what was processed by then (default 1800)
  --log-level L       LOG_LEVEL of the worker processes (default info, the worker's own default); the web process logs to a temporary file read only for errors
  --profile DIR       write CPU profiles (.cpuprofile) of the web process and of the drain (the jobs role, in this process) into DIR
  --backlog N         the large backlog of phase 3, cost per event at a backlog of N against one of --backlog-window (default 50000; 0 skips phase 3)
  --backlog-window N  the small backlog, and how many events of the large one are drained and timed (default 1000)
  --backlog-rounds N  how often each backlog is measured; the ratio is of the medians (default 3)
  --out file.json     where to write the results (default for ${FULL.events} events at concurrency ${FULL.concurrency}: bench/results/webhooks-<date>.json, and .md)`;

function parseOptions(argv: string[]): z.infer<typeof optionsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      accounts: { type: 'string' },
      'poll-interval': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      profile: { type: 'string' },
      backlog: { type: 'string' },
      'backlog-window': { type: 'string' },
      'backlog-rounds': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data.rounds > parsed.data.events) throw new Error('--rounds must not exceed --events');
  return parsed.data;
}

/** The installed version (npm workspaces hoist the worker's dependencies to the root); some packages do not export their package.json. */
function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version?: unknown };
    return String(manifest.version);
  } catch {
    return 'unknown';
  }
}

const options = readCommandLine(parseOptions, USAGE);

const log = (line: string): void => void process.stdout.write(`${line}\n`);
let database: BenchDatabase | null = null;
let web: WebProcess | null = null;
const cleanUp = async (): Promise<void> => {
  await web?.stop();
  web = null;
  await database?.close();
  database = null;
};
// The jobs role runs in this process: like the worker (main.ts), it logs Agenda's stray rejections and carries on.
installProcessErrorHandlers(createLogger('warn'));
// Ctrl-C stops the web process and the database and removes its data folder too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  const settings: WebhookSettings = {
    concurrency: options.concurrency,
    rounds: options.rounds,
    pollIntervalMs: options['poll-interval'],
    logLevel: options['log-level'],
    drainTimeoutMs: options['drain-timeout'] * 1000,
    profileDir: options.profile === undefined ? null : path.resolve(options.profile),
  };
  if (settings.profileDir != null) await mkdir(settings.profileDir, { recursive: true });
  database = await openBenchDatabase('webhooks');
  const { server } = database;
  log(
    `database: ${describeServer(server)}`,
  );
  const data = buildWebhookData({ events: options.events, warmup: options.warmup, accounts: options.accounts, run: randomBytes(3).toString('hex') });
  web = await startWebProcess(database, settings);
  log(`web process (role web) pid ${web.pid} on ${web.url}`);
  const ranAt = new Date().toISOString();
  const loadBefore = os.loadavg();
  log(`acknowledgement: ${options.warmup} warm-up, then ${options.events} events at concurrency ${options.concurrency} in ${options.rounds} rounds…`);
  const acknowledgement = await measureAcknowledgement(database, web, data, settings, log);
  await web.stop();
  web = null;
  log('events → ledger:');
  const ledger = await measureLedger(database, data, settings, log);
  let backlog = null;
  if (options.backlog > 0 && ledger.completed) {
    log('cost per event by backlog:');
    backlog = await measureBacklog(database, { small: options['backlog-window'], large: Math.max(options.backlog, options['backlog-window']), window: options['backlog-window'], rounds: options['backlog-rounds'], accounts: options.accounts }, settings, log);
  }
  const load = { before: loadBefore.map(round1), after: os.loadavg().map(round1) };
  const report = buildReport({
    ranAt,
    machine: describeMachine(),
    versions: { agenda: packageVersion('agenda'), '@agendajs/mongo-backend': packageVersion('@agendajs/mongo-backend'), express: packageVersion('express') },
    load,
    server,
    dataset: { events: options.events, warmup: options.warmup, accounts: options.accounts, eventType: 'invoice.finalized' },
    settings,
    acknowledgement,
    ledger,
    backlog,
  });
  const markdown = formatReport(report);
  log('');
  log(markdown);

  const defaultSize = options.events === FULL.events && options.concurrency === FULL.concurrency;
  await keepResults({ name: 'webhooks', out: options.out, defaultSize, report, markdown }, log);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`bench:webhooks failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await cleanUp();
}
// Agenda 6 leaves a timer per job run (its lock watchdog, lockLifetime / 2 = 5 min) that stop()
// does not clear; without this the script would idle for minutes after its work is done.
process.exit();
