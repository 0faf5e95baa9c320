/**
 * npm run bench:coverage [-- --certificates 100000 --accounts 1000 --iterations 2000 --min-iterations 200 --budget 120 --warmup 50 --seed 1 --out <file.json>]
 *
 * Starts the database `npm start` would use (MONGODB_URI, else a mongod on PATH, else the embedded
 * FerretDB) with its data in a temporary folder, seeds the search benchmark's certificates, compares
 * the worker's coverage lookup (the certificate read and the coverage decision of a sync) with the raw
 * driver reading the customer's certificates, prints the table and, for the full dataset (or with
 * --out), writes bench/results/coverage-<date>.json and .md. It stops the database and removes the
 * data on the way out.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { measureCoverage } from './coverageBench.js';
import { buildReport, formatReport } from './coverageReport.js';
import { openBenchDatabase, type BenchDatabase } from './lib/database.js';
import { describeServer, readCommandLine } from './lib/cli.js';
import { describeMachine } from './lib/environment.js';
import { keepResults } from './lib/results.js';
import { seedCertificates } from './searchData.js';

const FULL = { certificates: 100_000, accounts: 1_000 } as const;

const round1 = (value: number): number => Math.round(value * 10) / 10;

const count = (name: string, min: number) =>
  z.coerce.number({ error: `--${name}: expected a number` }).int(`--${name}: expected a whole number`).min(min, `--${name}: expected at least ${min}`);

const optionsSchema = z.object({
  certificates: count('certificates', 1).default(FULL.certificates),
  accounts: count('accounts', 1).default(FULL.accounts),
  iterations: count('iterations', 1).default(2000),
  'min-iterations': count('min-iterations', 1).default(200),
  budget: count('budget', 0).default(120),
  warmup: count('warmup', 0).default(50),
  seed: count('seed', 0).default(1),
  out: z.string().min(1).optional(),
  help: z.boolean().optional(),
});

const USAGE = `usage: npm run bench:coverage -- [--certificates N] [--accounts N] [--iterations N] [--min-iterations N] [--budget S] [--warmup N] [--seed N] [--out file.json]
  --certificates, --accounts  dataset size (default ${FULL.certificates} in ${FULL.accounts} accounts, as the search benchmark)
  --iterations N              timed lookups per side, at most (default 2000)
  --min-iterations N          ... and at least (default 200)
  --budget S                  after the minimum, stop once the timed calls took S seconds (default 120)
  --warmup N                  untimed calls per side first (default 50)
  --seed N                    data and parameter seed (default 1)
  --out file.json             where to write the results (default for the full dataset: bench/results/coverage-<date>.json, and .md)`;

function parseOptions(argv: string[]): z.infer<typeof optionsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: {
      certificates: { type: 'string' },
      accounts: { type: 'string' },
      iterations: { type: 'string' },
      'min-iterations': { type: 'string' },
      budget: { type: 'string' },
      warmup: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data.certificates < parsed.data.accounts) throw new Error('--certificates must be at least --accounts');
  if (parsed.data['min-iterations'] > parsed.data.iterations) throw new Error('--min-iterations must not exceed --iterations');
  return parsed.data;
}

const options = readCommandLine(parseOptions, USAGE);

const log = (line: string): void => void process.stdout.write(`${line}\n`);
let database: BenchDatabase | null = null;
// Ctrl-C stops the database and removes its data folder too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (database?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

try {
  database = await openBenchDatabase('coverage');
  const { server } = database;
  log(
    `database: ${describeServer(server)}`,
  );
  const today = new Date().toISOString().slice(0, 10);
  log(`seeding ${options.certificates.toLocaleString('en-US')} certificates in ${options.accounts.toLocaleString('en-US')} accounts…`);
  const data = await seedCertificates(database.db, { certificates: options.certificates, accounts: options.accounts, seed: options.seed, today }, log);
  log(`seeded in ${(data.summary.seedingMs / 1000).toFixed(1)} s (not measured)`);
  log(`measuring: ${options.warmup} warm-up calls per side, then ${options['min-iterations']} to ${options.iterations} timed calls (stopping after ${options.budget} s of them)…`);
  const ranAt = new Date().toISOString();
  const loadBefore = os.loadavg();
  const measurements = await measureCoverage(
    database,
    data,
    {
      iterations: options.iterations,
      minIterations: options['min-iterations'],
      budgetMs: options.budget * 1000,
      warmup: options.warmup,
      seed: options.seed + 1,
      today,
    },
    log,
  );
  const load = { before: loadBefore.map(round1), after: os.loadavg().map(round1) };
  const report = buildReport({ ranAt, machine: describeMachine(), load, server, dataset: data.summary, ...measurements });
  const markdown = formatReport(report);
  log('');
  log(markdown);

  const defaultSize = options.certificates === FULL.certificates && options.accounts === FULL.accounts;
  await keepResults({ name: 'coverage', out: options.out, defaultSize, report, markdown }, log);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`bench:coverage failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await database?.close();
}
