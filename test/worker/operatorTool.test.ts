/**
 * The operator tool (`npm run api`, scripts/api.ts) as an operator runs it: a real process
 * signing real calls to a running worker.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../worker/src/paths.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

const merchant: Tenant = { accountId: 'acct_1Operator0000001', livemode: false };
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `scripts/api.ts` with these arguments and only the environment given (plus PATH). */
function runTool(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/api.ts'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the operator tool (npm run api)', () => {
  let service: TestService;
  let env: Record<string, string>;
  let dir: string;
  const account = ['--account', merchant.accountId];

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe: new FakeStripe().addCustomer(merchant, { id: 'cus_Ops', name: 'Ops Outfitters' }) });
    env = { STRIPE_APP_SECRETS: service.config.STRIPE_APP_SECRETS.join(','), API_URL: service.url ?? '' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'operator-tool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await service.dispose();
  });

  it('lists certificates: prints the status line and the answer as pretty JSON, and exits 0', async () => {
    const run = await runTool(['GET', '/certificates?sort=updated', ...account], env);
    expect(run.stderr.trim()).toBe('HTTP 200 OK');
    expect(JSON.parse(run.stdout)).toEqual({ data: [], nextCursor: null });
    expect(run.stdout).toContain('\n  "data": []');
    expect(run.code).toBe(0);
  });

  it('creates a certificate from --data @file, uploads a file with --file and downloads it with --out', async () => {
    const input = path.join(dir, 'certificate.json');
    await writeFile(
      input,
      JSON.stringify({
        customerId: 'cus_Ops',
        reason: 'resale',
        form: 'single_state',
        purchase: { type: 'blanket' },
        jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: null }],
      }),
    );
    const created = await runTool(['POST', '/api/v1/certificates', '--data', `@${input}`, ...account, '--user', 'usr_OnCall1'], env);
    expect(created.stderr.trim()).toBe('HTTP 201 Created');
    expect(created.code).toBe(0);
    const certificate = JSON.parse(created.stdout) as { id: string; customer: { name: string } };
    expect(certificate.customer.name).toBe('Ops Outfitters');

    const listed = await runTool(['get', '/certificates', ...account], env);
    expect((JSON.parse(listed.stdout) as { data: Array<{ id: string }> }).data.map((c) => c.id)).toEqual([certificate.id]);

    const scan = path.join(dir, 'scan.png');
    await writeFile(scan, PNG);
    const uploaded = await runTool(['POST', `/certificates/${certificate.id}/files/upload`, '--file', scan, ...account], env);
    expect(uploaded.stderr.trim()).toBe('HTTP 201 Created');
    expect(uploaded.code).toBe(0);
    const file = (JSON.parse(uploaded.stdout) as { file: { id: string; filename: string; contentType: string } }).file;
    expect(file).toMatchObject({ filename: 'scan.png', contentType: 'image/png' });

    const out = path.join(dir, 'downloaded.png');
    const downloaded = await runTool(['GET', `/certificates/${certificate.id}/files/${file.id}`, '--out', out, ...account], env);
    expect(downloaded.code).toBe(0);
    expect(downloaded.stderr).toContain(`Wrote ${PNG.length} bytes (image/png) to ${out}`);
    expect(await readFile(out)).toEqual(PNG);

    const history = await runTool(['GET', `/certificates/${certificate.id}`, ...account], env);
    const actors = (JSON.parse(history.stdout) as { history: Array<{ actor: { id: string } }> }).history.map((entry) => entry.actor.id);
    expect(actors).toEqual(['usr_OnCall1', 'usr_operator']);
  });

  it('exports the certificates with --out, checks the file with a dry run and imports it with --csv', async () => {
    const exported = path.join(dir, 'certificates.csv');
    const saved = await runTool(['GET', '/certificates/export.csv', '--out', exported, ...account], env);
    expect(saved.code).toBe(0);
    expect(saved.stderr).toContain('(text/csv; charset=utf-8)');
    const csv = await readFile(exported, 'utf8');
    const edited = path.join(dir, 'edited.csv');
    // One more row, for a certificate the account does not have yet, under the export's own header.
    const header = csv.replace(/^\uFEFF/, '').split('\r\n')[0] ?? '';
    const values: Record<string, string> = { externalId: 'new-1', customerId: 'cus_Ops', reason: 'resale', form: 'single_state', purchaseType: 'blanket', jurisdiction1Code: 'US-CA', jurisdiction1EffectiveDate: '2026-01-01' };
    const row = header.split(',').map((name) => values[name] ?? '');
    await writeFile(edited, `${csv}${row.join(',')}\r\n`);
    const checked = await runTool(['POST', '/certificates/import/dry-run', '--csv', edited, ...account], env);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ dryRun: true, errors: [], counts: { create: 1, unchanged: 1 } });
    const imported = await runTool(['POST', '/certificates/import', '--csv', edited, ...account], env);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ dryRun: false, counts: { create: 1, unchanged: 1 } });
    expect((await runTool(['POST', '/certificates/import', '--csv', edited, '--data', '{}', ...account], env)).stderr).toContain('cannot be used together');
  });

  it('acts in live mode only with --live: test-mode data is not found there', async () => {
    const run = await runTool(['GET', '/certificates', ...account, '--live'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ data: [], nextCursor: null });
  });

  it('exits 1 with the worker’s 401 when signed with a secret the worker does not have', async () => {
    const run = await runTool(['GET', '/certificates', ...account], { ...env, STRIPE_APP_SECRETS: 'absec_not_the_right_one' });
    expect(run.stderr.trim()).toBe('HTTP 401 Unauthorized');
    expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message).toMatch(/^Signature mismatch/);
    expect(run.code).toBe(1);
  });

  it('exits 1 on any other non-2xx answer, printing the error', async () => {
    const run = await runTool(['GET', '/certificates/cert_000000000000000000000000', ...account], env);
    expect(run.stderr.trim()).toBe('HTTP 404 Not Found');
    expect(JSON.parse(run.stdout)).toEqual({ error: { message: 'No certificate cert_000000000000000000000000 in this account' } });
    expect(run.code).toBe(1);
  });

  it('says the secret is missing, and calls nothing, when STRIPE_APP_SECRETS is unset', async () => {
    const run = await runTool(['GET', '/certificates', ...account], { API_URL: env.API_URL ?? '' });
    expect(run.stderr).toContain('STRIPE_APP_SECRETS is not set');
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });

  it('says the account is missing when neither --account nor STRIPE_ACCOUNT_ID names one', async () => {
    const run = await runTool(['GET', '/certificates'], env);
    expect(run.stderr).toContain('no account: pass --account acct_…');
    expect(run.code).toBe(1);
  });

  it('refuses a --data that is not JSON before calling the worker', async () => {
    const run = await runTool(['POST', '/certificates', '--data', '{customerId:', ...account], env);
    expect(run.stderr).toContain('--data: not valid JSON');
    expect(run.code).toBe(1);
  });

  it('says so when no worker answers at API_URL', async () => {
    const run = await runTool(['GET', '/certificates', ...account], { ...env, API_URL: 'http://127.0.0.1:1' });
    expect(run.stderr).toContain('could not reach the worker at http://127.0.0.1:1/');
    expect(run.code).toBe(1);
  });
});
