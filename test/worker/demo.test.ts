/**
 * `npm run demo` (scripts/demo.ts) as a newcomer runs it: a real process that starts its own
 * worker and fake Stripe API and walks through the product to the end. Here its worker uses the
 * test database server (MONGODB_URI), in a database of its own, dropped afterwards.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { findFreePort } from '../../worker/src/db/network.js';
import { repoRoot } from '../../worker/src/paths.js';
import { testServerUri, uniqueDatabaseName } from '../support/database.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/demo.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  const database = uniqueDatabaseName();
  afterAll(async () => {
    const client = await MongoClient.connect(testServerUri());
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('walks through every step to the end and exits 0', async () => {
    const run = await runDemo([], { ...process.env, MONGODB_URI: testServerUri(), MONGODB_DB: database, LOG_LEVEL: 'error' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { stdout } = run;
    for (let step = 1; step <= 7; step += 1) expect(stdout).toContain(`[${step}/7] `);
    // 1: five certificates in five states, and a customer without one.
    for (const status of ['active', 'expiring_soon', 'expired', 'not_yet_effective', 'archived']) expect(stdout).toMatch(new RegExp(`US-(TX|CA) .* ${status} `));
    // 2: the worker set tax_exempt and tagged drafts through the Stripe API, and left a hand-set value alone.
    expect(stdout).toMatch(/POST \/v1\/customers +cus_demoAcme +tax_exempt=exempt/);
    expect(stdout).toMatch(/POST \/v1\/invoices +in_demoAcme1 +metadata\[exemption_certificate\]=cert_/);
    expect(stdout).toContain('Left alone: Cedar Clinic is tax_exempt=exempt in Stripe by hand');
    // 3–6: filed, requested, answered through the portal, approved, reprocessed.
    expect(stdout).toMatch(/Filed US-TX \d{4}-\d{2} at /);
    expect(stdout).toContain('The customer opens the link: status opened.');
    expect(stdout).toMatch(/The customer submits the form with a signed PDF, effective \d{4}-\d{2}-01: status submitted\./);
    expect(stdout).toMatch(/Approved: certificate cert_[0-9a-f]{24} \(active\)/);
    expect(stdout).toContain('Warnings to acknowledge: changes_in_filed_periods, refunds_due.');
    expect(stdout).toContain('completed: 2/2 processed, 2 changed');
    // 7: the ledger with its corrections and flags, and the summary counting them.
    expect(stdout).toMatch(/in_demoNorth1:US-TX:negation .* negation/);
    expect(stdout).toMatch(/in_demoCedar1:US-TX .* EXPOSURE/);
    expect(stdout).toMatch(/in_demoAcme2:US-TX .* OVER-COLLECTED/);
    expect(stdout).toMatch(/invoices flagged for exposure +1\n/);
    expect(stdout).toMatch(/invoices flagged for over-collection +1\n/);
    expect(stdout).toContain('audit-cus_demoNorth/manifest.csv');
    expect(stdout).toContain('Demo complete');
  }, 240_000);

  it('fails with exit 1 and says which step and why when the worker cannot be reached', async () => {
    const port = await findFreePort();
    const run = await runDemo(['--url', `http://127.0.0.1:${port}`, '--stripe-port', String(await findFreePort())], {
      PATH: process.env.PATH ?? '',
      STRIPE_APP_SECRETS: 'absec_demo',
      STRIPE_WEBHOOK_SECRETS: 'whsec_demo',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Demo failed while seeding customers and certificates: could not reach the worker at http://127.0.0.1:${port}`);
  }, 60_000);

  it('refuses to drive a worker without the secrets it was started with', async () => {
    const run = await runDemo(['--url', 'http://127.0.0.1:3000'], { PATH: process.env.PATH ?? '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('STRIPE_APP_SECRETS must hold the absec_… secret the worker at --url was started with');
  }, 60_000);
});
