/**
 * Where the demo's worker comes from. By default the demo starts one itself, in this process:
 * the real service (HTTP routes, Agenda jobs, mailer) on the embedded database `npm start`
 * uses (or MONGODB_URI), with fresh secrets, the outbox route on, and Stripe pointed at the
 * demo's fake Stripe API. With --url it uses a worker already running, which must have been
 * started with the secrets and STRIPE_API_BASE the demo is told about.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../worker/src/config.js';
import { createLogger } from '../../worker/src/logger.js';
import { repoRoot } from '../../worker/src/paths.js';
import { startService } from '../../worker/src/service.js';
import { DemoError } from './demoClient.js';

export interface DemoWorker {
  readonly url: string;
  readonly appSecret: string;
  readonly webhookSecret: string;
  /** What the demo prints about it. */
  readonly description: string;
  stop(): Promise<void>;
}

/** Its own data folder, so the demo can run while `npm start` holds `.data/`. */
export const DEMO_DATA_DIR = path.join(repoRoot, '.data', 'demo');

export async function startOwnWorker(stripeApiBase: string, env: NodeJS.ProcessEnv): Promise<DemoWorker> {
  const appSecret = `absec_demo${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_demo${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    ...env,
    PORT: '0',
    DATA_DIR: env.DEMO_DATA_DIR ?? DEMO_DATA_DIR,
    STRIPE_API_BASE: stripeApiBase,
    STRIPE_SECRET_KEY: 'sk_test_demo',
    STRIPE_APP_SECRETS: appSecret,
    STRIPE_WEBHOOK_SECRETS: webhookSecret,
    // Emails stay in the database outbox, which the demo reads the customer's link from.
    SMTP_URL: '',
    MAIL_OUTBOX_ROUTE: 'true',
    PUBLIC_URL: '',
    JOB_POLL_INTERVAL_MS: '200',
  });
  // The demo's own output is the story; the worker only speaks up when something is wrong.
  const service = await startService({ config, role: 'all', logger: createLogger(env.LOG_LEVEL ?? 'error') });
  if (service.url === null) throw new DemoError('the worker started without HTTP');
  return {
    url: service.url,
    appSecret,
    webhookSecret,
    description: `started in this process on ${service.database.kind === 'external' ? 'MONGODB_URI' : `the embedded database (${service.database.kind}, data in ${config.DATA_DIR})`}`,
    stop: () => service.stop(),
  };
}

function firstSecret(env: NodeJS.ProcessEnv, variable: string, prefix: string): string {
  const secret = (env[variable] ?? '').split(',')[0]?.trim() ?? '';
  if (!secret.startsWith(`${prefix}_`)) throw new DemoError(`${variable} must hold the ${prefix}_… secret the worker at --url was started with`);
  return secret;
}

export function runningWorker(url: string, env: NodeJS.ProcessEnv): DemoWorker {
  return {
    url,
    appSecret: firstSecret(env, 'STRIPE_APP_SECRETS', 'absec'),
    webhookSecret: firstSecret(env, 'STRIPE_WEBHOOK_SECRETS', 'whsec'),
    description: 'already running (started by you)',
    stop: async () => undefined,
  };
}
