/**
 * A reprocess run survives its jobs process being killed outright (SIGKILL) mid-run: after a
 * restart it completes with no duplicate and no missing entries. test/faults/reprocessKills.test.ts
 * kills it at five random points (`npm run test:faults`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Tenant } from '../../worker/src/tenancy.js';
import { repoRoot } from '../../worker/src/paths.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { crashSaleEntries } from '../support/reprocessSales.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const merchant: Tenant = { accountId: 'acct_1CrashTest000001', livemode: false };
const INVOICES = 200;

interface Run {
  id: string;
  status: string;
  total: number;
  processed: number;
  changed: number;
}

function startJobsProcess(config: ReturnType<typeof testConfig>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker/src/main.ts'), '--role=jobs'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      MONGODB_URI: config.MONGODB_URI,
      MONGODB_DB: config.MONGODB_DB,
      JOB_LOCK_LIFETIME_MS: '4000',
      JOB_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

describe('a reprocess run killed mid-way', () => {
  let web: TestService;
  let api: ApiClient;
  const config = testConfig();
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Crash', address: { country: 'US', state: 'TX' } });

  beforeAll(async () => {
    web = await startTestService({ role: 'web', config, stripe });
    api = new ApiClient(web.url ?? '', merchant);
    for (let n = 0; n < INVOICES; n += 1) await web.context.ledger.append(merchant, crashSaleEntries(n, 'cus_Crash'), new Date());
  }, 120_000);
  afterAll(() => web.dispose());

  it('completes after a restart with exactly one correction per transaction', async () => {
    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: 'cus_Crash',
      reason: 'resale',
      form: 'single_state',
      number: 'TX-CRASH',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect(created.status).toBe(201);
    const range = { startDate: '2026-06-01', endDate: '2026-08-31', acknowledgedWarnings: ['refunds_due', 'changes_in_filed_periods', 'past_refund_statute'] };
    const started = await api.post<Run>(`/api/v1/certificates/${created.body.id}/reprocess`, range);
    expect(started.status).toBe(201);
    const read = async () => (await api.get<Run>(`/api/v1/reprocess/${started.body.id}`)).body;

    const first = startJobsProcess(config);
    const midway = await eventually(read, (run) => run.processed > 0, 60_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // The kill must land mid-run for this test to mean anything.
    expect(midway.processed).toBeLessThan(INVOICES);
    expect((await read()).status).toBe('running');

    const second = startJobsProcess(config);
    try {
      const done = await eventually(read, (run) => run.status === 'completed', 90_000);
      expect(done).toMatchObject({ status: 'completed', total: INVOICES, processed: INVOICES });

      const entries = await web.db.collection('ledger_entries').find({ accountId: merchant.accountId, customerId: 'cus_Crash' }).toArray();
      const byInvoice = new Map<string, string[]>();
      for (const entry of entries) byInvoice.set(String(entry.invoiceId), [...(byInvoice.get(String(entry.invoiceId)) ?? []), String(entry.kind)]);
      expect(byInvoice.size).toBe(INVOICES);
      for (const kinds of byInvoice.values()) expect(kinds.sort()).toEqual(['negation', 'original', 'revision']);
      expect(entries.reduce((sum, e) => sum + Number(e.tax), 0)).toBe(0);
      expect(entries.reduce((sum, e) => sum + Number(e.exempt), 0)).toBe(INVOICES * 10_000);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
  }, 240_000);
});
