/**
 * A reprocess run whose jobs process is killed outright (SIGKILL) at five random points, and
 * restarted after each: the run completes, and the ledger holds its invariants — no duplicate
 * and no missing entry, the filed period exactly as it was, and each invoice × jurisdiction
 * summing to its current treatment. (test/worker/reprocessCrash.test.ts kills it once.)
 */
import { currentRevision, groupByInvoiceJurisdiction, ledgerEntrySchema, sumAmounts, type LedgerEntry } from '@exemptions/shared';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { seededRandom } from '../../bench/lib/stats.js';
import { faultSeed, recordFaultFigures, sleep, waitFor } from '../support/faults.js';
import { crashSaleEntries } from '../support/reprocessSales.js';
import { startTestService, type TestService } from '../support/service.js';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess.js';

const merchant: Tenant = { accountId: 'acct_1FaultKills000001', livemode: false };
const CUSTOMER = 'cus_Kills';
const INVOICES = Number(process.env.FAULTS_REPROCESS_INVOICES ?? 1_200);
const KILLS = 5;
/** Kill points fall in the first 60% of the run, so the last kill (a batch or two later) still lands before the end. */
const KILL_SPAN = 0.6;
const FILED = { jurisdiction: 'US-TX', periodKey: '2026-06' } as const;

interface Run {
  id: string;
  status: string;
  error?: string;
  total: number;
  processed: number;
  changed: number;
}

interface KillPoint {
  kill: number;
  /** The progress it waited for (transactions done, of INVOICES). */
  target: number;
  /** Progress when it was seen reached, and the extra wait before the kill. */
  seenAt: number;
  extraDelayMs: number;
  /** The checkpoint the killed process left. */
  checkpointAfterKill: number;
  /** From starting the process to killing it. */
  processLifetimeMs: number;
}

function entriesOf(documents: ReadonlyArray<Record<string, unknown>>): LedgerEntry[] {
  return documents.map((document) => ledgerEntrySchema.parse({ ...document, id: document._id }));
}

describe('a reprocess run killed at five random points', () => {
  let web: TestService;
  let api: ApiClient;
  const config = testConfig();
  const stripe = new FakeStripe().addCustomer(merchant, { id: CUSTOMER, address: { country: 'US', state: 'TX' } });
  const workers: WorkerProcess[] = [];

  const ledgerDocuments = async () => web.db.collection('ledger_entries').find({ accountId: merchant.accountId, livemode: false }).toArray();
  const filedPeriodEntries = async () =>
    (await web.db.collection('ledger_entries').find({ accountId: merchant.accountId, livemode: false, periodKey: FILED.periodKey, jurisdiction: FILED.jurisdiction }).toArray())
      .map((document) => JSON.stringify({ ...document, recordedAt: undefined }))
      .sort();

  beforeAll(async () => {
    web = await startTestService({ role: 'web', config, stripe });
    api = new ApiClient(web.url ?? '', merchant);
    const entries: LedgerEntry[] = [];
    for (let n = 0; n < INVOICES; n += 1) entries.push(...crashSaleEntries(n, CUSTOMER, 'in_Kill'));
    for (let at = 0; at < entries.length; at += 200) await web.context.ledger.appendMany(merchant, entries.slice(at, at + 200), new Date());
    const filed = await api.post('/api/v1/periods/file', FILED);
    expect(filed.status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await web.dispose();
  });

  it('completes after each restart with the ledger invariants intact', async () => {
    const seed = faultSeed();
    const random = seededRandom(seed);
    const filedBefore = await filedPeriodEntries();
    expect(filedBefore.length).toBeGreaterThan(0);

    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: CUSTOMER,
      reason: 'resale',
      form: 'single_state',
      number: 'TX-KILLS',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect(created.status).toBe(201);
    const range = { startDate: '2026-06-01', endDate: '2026-08-31', acknowledgedWarnings: ['refunds_due', 'changes_in_filed_periods', 'past_refund_statute'] };
    const started = await api.post<Run>(`/api/v1/certificates/${created.body.id}/reprocess`, range);
    expect(started.status).toBe(201);
    const read = async () => (await api.get<Run>(`/api/v1/reprocess/${started.body.id}`)).body;
    const jobsProcess = () =>
      startWorkerProcess({
        role: 'jobs',
        mongoUri: config.MONGODB_URI ?? '',
        database: config.MONGODB_DB,
        // A killed process's lock expires after 4 s, and the next process takes the run over.
        env: { JOB_LOCK_LIFETIME_MS: '4000', JOB_POLL_INTERVAL_MS: '100' },
      });

    // One target per fifth of the span, at a random place within it.
    const targets = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + random()) / KILLS) * KILL_SPAN * INVOICES));
    const kills: KillPoint[] = [];
    const diagnostics = async (): Promise<string> =>
      `kills so far: ${JSON.stringify(kills)}\nlocks: ${JSON.stringify(await web.db.collection('locks').find({}).toArray())}\njobs: ${JSON.stringify(await web.db.collection('jobs').find({ name: 'reprocess-run' }).toArray())}`;
    const began = Date.now();
    for (const [index, target] of targets.entries()) {
      const worker = await jobsProcess();
      workers.push(worker);
      const startedAt = Date.now();
      const from = (await read()).processed;
      const seen = await waitFor(`kill ${index + 1}: progress past ${target}`, read, (run) => ['completed', 'failed', 'cancelled'].includes(run.status) || (run.processed > from && run.processed >= target), 180_000, [worker], 25).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}\n${await diagnostics()}`);
        },
      );
      if (seen.status !== 'running') throw new Error(`kill ${index + 1}: the run is ${seen.status} at ${seen.processed}: ${JSON.stringify(seen)}\n${worker.output().split('\n').slice(-20).join('\n')}\n${await diagnostics()}`);
      // Somewhere inside the next batch, not just at a checkpoint.
      const extraDelayMs = Math.floor(random() * 400);
      await sleep(extraDelayMs);
      await worker.kill('SIGKILL');
      const after = await read();
      // Each kill must land mid-run for the test to mean anything.
      expect(after.status).toBe('running');
      expect(after.processed).toBeLessThan(INVOICES);
      expect(await filedPeriodEntries()).toEqual(filedBefore);
      kills.push({ kill: index + 1, target, seenAt: seen.processed, extraDelayMs, checkpointAfterKill: after.processed, processLifetimeMs: Date.now() - startedAt });
    }

    const last = await jobsProcess();
    workers.push(last);
    const done = await waitFor('the run to complete', read, (run) => run.status === 'completed', 300_000, [last], 100);
    const completedIn = Date.now() - began;
    expect(done).toMatchObject({ status: 'completed', total: INVOICES, processed: INVOICES, changed: INVOICES });

    const entries = entriesOf(await ledgerDocuments());
    // No duplicate: one entry per id (the _id), and one per (invoice, jurisdiction, revision, kind).
    const meanings = entries.map((entry) => `${entry.invoiceId}|${entry.jurisdiction ?? ''}|${entry.revision}|${entry.kind}|${entry.creditNote?.id ?? ''}`);
    expect(new Set(meanings).size).toBe(entries.length);
    // None missing: each invoice is its original, the original's negation and the revision that replaces it.
    const lines = groupByInvoiceJurisdiction(entries);
    expect(lines).toHaveLength(INVOICES);
    const mismatched: string[] = [];
    for (const line of lines) {
      const kinds = line.map((entry) => entry.kind).sort();
      const current = currentRevision(line);
      const sum = sumAmounts(line);
      const ok =
        JSON.stringify(kinds) === JSON.stringify(['negation', 'original', 'revision']) &&
        current !== null &&
        current.revision === 2 &&
        current.treatment === 'exempt' &&
        // The invoice × jurisdiction sums to its current treatment.
        sum.taxable === current.taxable &&
        sum.exempt === current.exempt &&
        sum.tax === current.tax;
      if (!ok) mismatched.push(`${line[0]?.invoiceId ?? '?'}: ${JSON.stringify({ kinds, current: current?.id, sum })}`);
    }
    expect(mismatched).toEqual([]);
    expect(entries.reduce((sum, entry) => sum + entry.tax, 0)).toBe(0);
    expect(entries.reduce((sum, entry) => sum + entry.exempt, 0)).toBe(INVOICES * 10_000);
    // The filed period is exactly as it was: nothing added, nothing changed.
    expect(await filedPeriodEntries()).toEqual(filedBefore);

    await recordFaultFigures('reprocess-kills', {
      seed,
      transactions: INVOICES,
      kills: kills.length,
      killTargets: kills.map((kill) => kill.target),
      killedWithCheckpointAt: kills.map((kill) => kill.checkpointAfterKill),
      killPoints: kills,
      restarts: kills.length,
      ledgerEntries: entries.length,
      duplicates: entries.length - new Set(meanings).size,
      missingOrWrongLines: mismatched.length,
      filedPeriodEntries: filedBefore.length,
      filedPeriodChanged: false,
      secondsFromFirstStartToCompletion: Math.round(completedIn / 100) / 10,
      workerErrorLogLines: workers.reduce((sum, worker) => sum + worker.errorLines().length, 0),
    });
  }, 900_000);
});
