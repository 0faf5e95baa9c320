import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from './paths.js';

/** A configuration problem: the message names the variable and what it expects, so the operator can fix it at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const port = z.coerce
  .number({ error: 'expected a TCP port number' })
  .int('expected a whole number')
  .min(0, 'expected a port between 0 and 65535')
  .max(65535, 'expected a port between 0 and 65535');

const milliseconds = z.coerce.number({ error: 'expected milliseconds' }).int('expected whole milliseconds').positive('expected a positive number');

const count = z.coerce.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a positive number');

/** Up to two comma-separated secrets: the current one and, while it is being rotated, the next. */
function secretList(prefix: string, what: string) {
  return z
    .string()
    .transform((value) => value.split(',').map((secret) => secret.trim()).filter((secret) => secret !== ''))
    .pipe(
      z
        .array(z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]+$`), `expected ${what} (${prefix}_…)`))
        .max(2, 'expected at most two comma-separated secrets (the current one and, while rotating, the next)'),
    )
    .default([]);
}

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// connection string')
    .optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'expected a database name of letters, digits, _ or - (at most 63)')
    .default('exemptions'),
  DATA_DIR: z.string().min(1).default(path.join(repoRoot, '.data')),
  CACHE_DIR: z.string().min(1).default(path.join(repoRoot, '.cache')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: milliseconds.default(25_000),
  JOB_POLL_INTERVAL_MS: milliseconds.default(1_000),
  /**
   * Jobs one process holds locked at once (running or about to), across all job names. Each poll
   * locks due jobs one query at a time until a limit is reached; without one, a poll locks the
   * whole backlog before anything runs (see bench/README.md, "Webhooks in detail").
   */
  JOB_LOCK_LIMIT: count.default(500),
  /** The same limit per job name, so a flood of one kind (Stripe events) leaves room for the others. */
  JOB_LOCK_LIMIT_PER_NAME: count.default(250),
  /** Jobs one process runs at once, across all job names (each job also has its own concurrency). */
  JOB_MAX_CONCURRENCY: count.default(60),
  /** How long a job's lock lasts without renewal: a crashed worker's job runs again after this. */
  JOB_LOCK_LIFETIME_MS: milliseconds.default(10 * 60_000),
  STRIPE_APP_SECRETS: secretList('absec', 'app signing secrets'),
  STRIPE_WEBHOOK_SECRETS: secretList('whsec', 'webhook endpoint secrets'),
  STRIPE_PLATFORM_ACCOUNT: z.string().regex(/^acct_[A-Za-z0-9]+$/, 'expected a Stripe account id (acct_…)').optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'expected a Stripe secret or restricted key (sk_… or rk_…)')
    .optional(),
  /** Points the Stripe client elsewhere (stripe-mock in tests); unset in production. */
  STRIPE_API_BASE: z.url({ error: 'expected a URL such as http://127.0.0.1:12111' }).optional(),
  /** Where Stripe file contents are downloaded from; only changed in tests. */
  STRIPE_FILES_BASE: z.url({ error: 'expected a URL such as https://files.stripe.com' }).default('https://files.stripe.com'),
  /**
   * The address customers reach this worker at: every emailed link is built from it, never from
   * a request's Host header (which whoever sends the request chooses). Unset: the worker's own
   * listening address, which only suits local runs.
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected the public base URL, such as https://certificates.example.com' })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  /** Where email goes; unset, emails are kept in the database outbox instead (local runs). */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'expected an SMTP URL such as smtp://user:password@mail.example.com:587 or smtps://…:465')
    .optional(),
  MAIL_FROM: z
    .string()
    .regex(/^[^\r\n]*@[^\r\n]*$/, 'expected a sender address such as "Certificates <certificates@example.com>"')
    .default('Exemption certificates <certificates@localhost>'),
  /** Serves the database outbox at /dev/outbox. Development only: it shows every email, links included. */
  MAIL_OUTBOX_ROUTE: z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .transform((value) => value === 'true' || value === '1')
    .default(false),
  /** Portal form submissions allowed per client address per 15 minutes. */
  PORTAL_SUBMIT_LIMIT: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a positive number').default(10),
  /** Portal requests of any kind allowed per client address per 15 minutes. */
  PORTAL_REQUEST_LIMIT: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a positive number').default(300),
  /** The bearer token Prometheus sends for GET /metrics; unset, /metrics is not served (404). */
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,}$/, 'expected a random token of at least 16 printable characters, no spaces (e.g. `openssl rand -hex 32`)')
    .optional(),
  /** A port of its own for GET /metrics (the jobs role has no other HTTP server); needs METRICS_TOKEN. */
  METRICS_PORT: port.optional(),
}).refine((env) => env.METRICS_PORT === undefined || env.METRICS_TOKEN !== undefined, {
  path: ['METRICS_PORT'],
  message: 'needs METRICS_TOKEN as well: /metrics is only served behind a bearer token',
});

export type Config = z.infer<typeof envSchema>;

export const roles = ['web', 'jobs', 'all'] as const;
export type Role = (typeof roles)[number];

/** Reads configuration from the environment; throws one ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? 'environment');
    const got = env[variable];
    return `${variable}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
  });
  throw new ConfigError(`Invalid configuration — ${problems.join('; ')}`);
}

/** Parses `--role=web|jobs|all` from the command line; `all` when absent. */
export function parseRole(argv: readonly string[]): Role {
  const flag = argv.find((arg) => arg.startsWith('--role'));
  if (flag === undefined) return 'all';
  const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : argv[argv.indexOf(flag) + 1];
  if ((roles as readonly string[]).includes(value ?? '')) return value as Role;
  throw new ConfigError(`--role: expected one of ${roles.join(', ')} (got ${JSON.stringify(value ?? '')})`);
}
