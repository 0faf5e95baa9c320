/**
 * npm run bench:upload [-- --uploads 20 --warmup 2 --megabytes 5 --pages 4 --seed 1 --log-level info --profile <dir> --out <file.json>]
 *
 * Starts the database `npm start` would use (MONGODB_URI, else a mongod on PATH, else the embedded
 * FerretDB) with its data in a temporary folder, and the worker (role all, FakeStripe) in a process
 * of its own; creates certificate requests through the API and answers each on the portal with the
 * same PDF, timing each upload end to end and reading the worker process's memory around it, next
 * to raw GridFS uploads of the same bytes (see uploadBench.ts). Prints the table and, for the
 * default size (or with --out), writes bench/results/upload-<date>.json and .md.
 *
 * `--serve` is the worker process's own mode (started by the benchmark, not by hand).
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openBenchDatabase, type BenchDatabase } from './lib/database.js';
import { describeServer, readCommandLine } from './lib/cli.js';
import { describeMachine } from './lib/environment.js';
import { keepResults } from './lib/results.js';
import { measureUploads, serveUploads } from './uploadBench.js';
import { buildScannedPdf } from './uploadData.js';
import { buildReport, formatReport } from './uploadReport.js';

const FULL = { megabytes: 5, uploads: 20 } as const;

const round1 = (value: number): number => Math.round(value * 10) / 10;

const count = (name: string, min: number) =>
  z.coerce.number({ error: `--${name}: expected a number` }).int(`--${name}: expected a whole number`).min(min, `--${name}: expected at least ${min}`);

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: '--log-level: expected fatal, error, warn, info, debug, trace or silent' });

const optionsSchema = z.object({
  uploads: count('uploads', 1).default(FULL.uploads),
  warmup: count('warmup', 0).default(2),
  megabytes: z.coerce.number({ error: '--megabytes: expected a number' }).positive('--megabytes: expected more than 0').max(10, '--megabytes: the portal takes files of at most 10 MiB').default(FULL.megabytes),
  pages: count('pages', 1).default(4),
  seed: count('seed', 0).default(1),
  'log-level': logLevel.default('info'),
  profile: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  help: z.boolean().optional(),
  // The worker process's mode.
  serve: z.boolean().default(false),
  uri: z.string().min(1).optional(),
  db: z.string().min(1).optional(),
  customers: count('customers', 1).optional(),
  file: z.string().min(1).optional(),
});

const USAGE = `usage: npm run bench:upload -- [--uploads N] [--warmup N] [--megabytes M] [--pages N] [--seed N] [--log-level L] [--profile DIR] [--out file.json]
  --uploads N      timed portal uploads, each next to a raw GridFS upload (default ${FULL.uploads})
  --warmup N       untimed ones first (default 2)
  --megabytes M    the PDF's size in MiB, at most 10 (default ${FULL.megabytes}; 5 MiB = 5,242,880 bytes)
  --pages N        scanned pages in it (default 4)
  --seed N         seeds the page images (default 1)
  --log-level L    the worker's LOG_LEVEL; its logs are discarded (default info, the worker's own default)
  --profile DIR    write the worker process's CPU profile (.cpuprofile) into DIR
  --out file.json  where to write the results (default for ${FULL.uploads} uploads of ${FULL.megabytes} MiB: bench/results/upload-<date>.json, and .md)`;

function parseOptions(argv: string[]): z.infer<typeof optionsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: {
      uploads: { type: 'string' },
      warmup: { type: 'string' },
      megabytes: { type: 'string' },
      pages: { type: 'string' },
      seed: { type: 'string' },
      'log-level': { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      serve: { type: 'boolean' },
      uri: { type: 'string' },
      db: { type: 'string' },
      customers: { type: 'string' },
      file: { type: 'string' },
    },
    strict: true,
  });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data.serve && [parsed.data.uri, parsed.data.db, parsed.data.customers, parsed.data.file].includes(undefined)) throw new Error('--serve needs --uri, --db, --customers and --file');
  return parsed.data;
}

const options = readCommandLine(parseOptions, USAGE);

if (options.serve) {
  await serveUploads({ uri: options.uri ?? '', db: options.db ?? '', customers: options.customers ?? 1, file: options.file ?? '', logLevel: options['log-level'] });
} else {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  let database: BenchDatabase | null = null;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (database?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  try {
    const bytes = Math.round(options.megabytes * 1024 * 1024);
    log(`building a ${bytes.toLocaleString('en-US')}-byte PDF of ${options.pages} scanned pages…`);
    const pdf = await buildScannedPdf({ bytes, pages: options.pages, seed: options.seed });
    database = await openBenchDatabase('upload');
    const { server } = database;
    log(
      `database: ${describeServer(server)}`,
    );
    if (options.profile !== undefined) await mkdir(options.profile, { recursive: true });
    const ranAt = new Date().toISOString();
    const loadBefore = os.loadavg();
    const measurements = await measureUploads(
      database,
      pdf,
      { uploads: options.uploads, warmup: options.warmup, logLevel: options['log-level'], profileDir: options.profile === undefined ? null : path.resolve(options.profile) },
      log,
    );
    const load = { before: loadBefore.map(round1), after: os.loadavg().map(round1) };
    const report = buildReport({ ranAt, machine: describeMachine(), load, server, ...measurements });
    const markdown = formatReport(report);
    log('');
    log(markdown);

    const defaultSize = options.megabytes === FULL.megabytes && options.uploads === FULL.uploads;
    await keepResults({ name: 'upload', out: options.out, defaultSize, report, markdown }, log);
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`bench:upload failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  } finally {
    await database?.close();
  }
}
