/**
 * The parts a reprocess run is built from since it works in batches: reading a large ledger a day
 * at a time (the same plan as one read), the run's work list, locking a batch's invoices at once,
 * inserting a batch's entries at once, and a run that fails half-way through a batch, meets
 * transactions voided or credited since the preview, or was started before work lists existed.
 */
import { entriesForCreditNote, entriesForInvoice, negationsForVoid, planReprocess, type InvoiceFactsInput, type LedgerEntry } from '@exemptions/shared';
import type { Job } from 'agenda';
import type { Clock } from '../../worker/src/clock.js';
import type { ServiceContext } from '../../worker/src/context.js';
import { LockBusyError, withKeyLocks } from '../../worker/src/db/keyLock.js';
import { reprocessRunJob } from '../../worker/src/jobs/reprocessRun.js';
import { ledgerContextFor } from '../../worker/src/ledger/ledgerContextFor.js';
import { createLogger } from '../../worker/src/logger.js';
import { buildReprocessPlan, planItems, planRun } from '../../worker/src/reprocess/buildPlan.js';
import type { ReprocessRun } from '../../worker/src/reprocess/runRepository.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Batches00000001', livemode: false };
const CUSTOMER = 'cus_Batches';
const range = { startDate: '2026-03-01', endDate: '2026-05-31', prioritizeCustomerAddress: false };
const job = { attrs: {}, touch: async () => undefined } as unknown as Job;
const log = createLogger('silent');

/** Invoice n: Texas (and, for every third, California too), spread over March to May. */
function sale(n: number): InvoiceFactsInput {
  const month = 3 + (n % 3);
  const day = String(1 + ((n * 7) % 28)).padStart(2, '0');
  const texas = { jurisdiction: 'US-TX' as const, level: 'state' as const, taxableAmount: 10_000, amount: 625, taxabilityReason: 'standard_rated' as const };
  const california = { jurisdiction: 'US-CA' as const, level: 'state' as const, taxableAmount: 10_000, amount: 725, taxabilityReason: 'standard_rated' as const };
  return {
    invoiceId: `in_Batch${String(n).padStart(3, '0')}`,
    invoiceNumber: `B-${n}`,
    customerId: CUSTOMER,
    currency: 'usd',
    finalizedAt: `2026-0${month}-${day}T15:00:00.000Z`,
    totalExcludingTax: 10_000,
    customerTaxExempt: 'none',
    taxes: n % 3 === 0 ? [texas, california] : [texas],
    address: { country: 'US', state: 'TX', postalCode: '78701', line1: '1 Congress Ave', city: 'Austin' },
    addressSource: 'customer_address',
    addressJurisdiction: 'US-TX',
    purchaseOrder: null,
  };
}

describe('a reprocess run in batches', () => {
  let service: TestService;
  let context: ServiceContext;
  let api: ApiClient;
  let certificateId: string;
  const stripe = new FakeStripe().addCustomer(merchant, { id: CUSTOMER, name: 'Batch Buyer', address: { country: 'US', state: 'TX' } });
  const ledgerOf = async (): Promise<LedgerEntry[]> => context.ledger.find(merchant, { customerId: CUSTOMER });
  const book = async (entries: readonly LedgerEntry[]): Promise<void> => void (await context.ledger.append(merchant, entries, clock.now()));
  const invoiceEntries = async (invoiceId: string): Promise<LedgerEntry[]> => context.ledger.find(merchant, { invoiceId });
  const certificate = async () => {
    const stored = await context.certificates.find(merchant, certificateId);
    if (stored === null) throw new Error('no certificate');
    return stored.certificate;
  };

  beforeAll(async () => {
    // No jobs role: the tests run the job's handler themselves.
    service = await startTestService({ role: 'web', stripe, clock });
    context = service.context;
    api = new ApiClient(service.url ?? '', merchant);
    const ledger = await ledgerContextFor(context, merchant);
    for (let n = 0; n < 40; n += 1) await book(entriesForInvoice({ invoice: sale(n), certificates: [], eventId: `evt_batch_${n}` }, ledger));
    // A credit note dated weeks after its invoice, and a voided invoice.
    await book(entriesForCreditNote({ entries: await invoiceEntries('in_Batch001'), creditNote: { creditNoteId: 'cn_Batch1', invoiceId: 'in_Batch001', currency: 'usd', issuedAt: '2026-05-10T15:00:00.000Z', totalExcludingTax: 4_000, tax: null } }, ledger));
    await book(negationsForVoid({ entries: await invoiceEntries('in_Batch002'), invoiceId: 'in_Batch002', eventId: 'evt_void_2' }, ledger));
    await context.filing.file(merchant, 'US-TX', '2026-03', { type: 'user', id: 'usr_batches' }, clock.now());
    const created = await api.post<{ id: string }>('/api/v1/certificates', {
      customerId: CUSTOMER,
      reason: 'resale',
      form: 'single_state',
      number: 'TX-BATCHES',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect(created.status).toBe(201);
    certificateId = created.body.id;
  }, 120_000);
  afterAll(() => service.dispose());

  it('plans a large ledger a day at a time exactly as from one read, refunds after credit notes included', async () => {
    const whole: unknown[] = [];
    for await (const group of planItems(context, merchant, await certificate(), range, { refunds: true })) whole.push(...group);
    const daily: unknown[] = [];
    for await (const group of planItems(context, merchant, await certificate(), range, { refunds: true, wholeLedgerEntries: 0 })) daily.push(...group);
    expect(daily).toEqual(whole);
    // 39 current lines in Texas (in_Batch002 is voided), 14 in California.
    expect(whole).toHaveLength(39 + 14);

    const ledger = await ledgerContextFor(context, merchant);
    const inMemory = planReprocess(await ledgerOf(), { certificate: await certificate(), start: range.startDate, end: range.endDate, customerAddress: null, today: ledger.today }, (j, key) => ledger.isFiled(j, key));
    const preview = await buildReprocessPlan(context, merchant, await certificate(), range);
    expect(preview).toEqual(inMemory);
    const byDay = await planRun(context, merchant, await certificate(), range, 'rp_000000000000000000000001', { refunds: true, wholeLedgerEntries: 0 });
    expect(byDay.summary).toEqual(inMemory.summary);
    // in_Batch001's refund is its tax less the credit note's share: 625 × (1 − 0.4).
    expect(inMemory.items.find((item) => item.invoiceId === 'in_Batch001' && item.jurisdiction === 'US-TX')).toMatchObject({ action: 'change', refund: 375 });
    await context.reprocessRuns.dropWorkList('rp_000000000000000000000001', byDay.workList.chunks);
  });

  it('adds a batch of entries at once, leaving those already there as they are', async () => {
    const ledger = await ledgerContextFor(context, merchant);
    const entries = entriesForInvoice({ invoice: { ...sale(100), invoiceId: 'in_BatchAppend', customerId: 'cus_Other' }, certificates: [], eventId: 'evt_append' }, ledger);
    expect(entries).toHaveLength(1);
    const extra = { ...(entries[0] as LedgerEntry), id: 'in_BatchAppend:US-TX:copy' };
    expect(await context.ledger.appendMany(merchant, entries, clock.now())).toBe(1);
    expect(await context.ledger.appendMany(merchant, [extra, ...entries], clock.now())).toBe(1);
    expect(await context.ledger.appendMany(merchant, [extra, ...entries], clock.now())).toBe(0);
    expect((await invoiceEntries('in_BatchAppend')).map((entry) => entry.id).sort()).toEqual(['in_BatchAppend:US-TX', 'in_BatchAppend:US-TX:copy']);
  });

  it("reads a batch of invoices' entries by $in, each exactly as a read of that invoice alone", async () => {
    // Another tenant's copy of an invoice must not be read with the merchant's.
    const other: Tenant = { accountId: 'acct_1Batches00000002', livemode: false };
    await context.ledger.append(other, entriesForInvoice({ invoice: sale(5), certificates: [], eventId: 'evt_other_5' }, await ledgerContextFor(context, other)), clock.now());
    // More invoices than one query takes (so two queries, the real ones split between them), one
    // named twice, and invoices with no entries.
    const unknown = (from: number, count: number) => Array.from({ length: count }, (_, k) => `in_BatchNone${from + k}`);
    const invoiceIds = [...unknown(0, 180), ...Array.from({ length: 40 }, (_, n) => sale(n).invoiceId), 'in_Batch001', ...unknown(180, 30)];
    const byInvoice = await context.ledger.findByInvoices(merchant, invoiceIds);
    expect([...byInvoice.keys()]).toEqual([...new Set(invoiceIds)]);
    for (const [invoiceId, entries] of byInvoice) expect(entries).toEqual(await invoiceEntries(invoiceId));
    expect(byInvoice.get('in_Batch001')?.length).toBeGreaterThan(1);
    expect(byInvoice.get('in_BatchNone0')).toEqual([]);
  });

  it('locks several keys at once, or none when one is held, and takes over an expired lock', async () => {
    const locks = service.db.collection<{ _id: string; owner: string; expiresAt: Date }>('locks');
    expect(await withKeyLocks(service.db, ['k:a', 'k:b', 'k:a'], 10_000, async () => (await locks.countDocuments({ _id: { $in: ['k:a', 'k:b'] } })))).toBe(2);
    expect(await locks.countDocuments({ _id: { $in: ['k:a', 'k:b'] } })).toBe(0);

    await locks.insertOne({ _id: 'k:held', owner: 'someone', expiresAt: new Date(Date.now() + 60_000) });
    let ran = false;
    await expect(withKeyLocks(service.db, ['k:c', 'k:held', 'k:d'], 10_000, async () => void (ran = true))).rejects.toBeInstanceOf(LockBusyError);
    expect(ran).toBe(false);
    expect((await locks.find({ _id: { $in: ['k:c', 'k:held', 'k:d'] } }).toArray()).map((lock) => lock.owner)).toEqual(['someone']);

    await locks.updateOne({ _id: 'k:held' }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expect(await withKeyLocks(service.db, ['k:c', 'k:held'], 10_000, async () => 'done')).toBe('done');
    expect(await locks.countDocuments({ _id: { $in: ['k:c', 'k:held'] } })).toBe(0);
  });

  describe('the run', () => {
    let run: { id: string; total: number };
    let before: LedgerEntry[];

    beforeAll(async () => {
      const started = await api.post<{ id: string; total: number; status: string }>(`/api/v1/certificates/${certificateId}/reprocess`, {
        startDate: range.startDate,
        endDate: range.endDate,
        acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due', 'past_refund_statute'],
      });
      expect(started.status).toBe(201);
      run = started.body;
      expect(run.total).toBe(39 + 14);
      // After the preview: one invoice voided, another credited (a credit dated before its batch runs).
      const ledger = await ledgerContextFor(context, merchant);
      await book(negationsForVoid({ entries: await invoiceEntries('in_Batch004'), invoiceId: 'in_Batch004', eventId: 'evt_void_4' }, ledger));
      await book(entriesForCreditNote({ entries: await invoiceEntries('in_Batch005'), creditNote: { creditNoteId: 'cn_Batch5', invoiceId: 'in_Batch005', currency: 'usd', issuedAt: '2026-05-11T15:00:00.000Z', totalExcludingTax: 2_000, tax: null } }, ledger));
      before = await ledgerOf();
    });

    it('survives a failure half-way through writing a batch, then completes with exactly the entries one pass writes', async () => {
      let calls = 0;
      const failing: ServiceContext = {
        ...context,
        ledger: Object.assign(Object.create(context.ledger) as typeof context.ledger, {
          appendMany: async (tenant: Tenant, entries: readonly LedgerEntry[], at: Date) => {
            calls += 1;
            if (calls < 2) return context.ledger.appendMany(tenant, entries, at);
            // The second batch: half its entries written, then the process "dies".
            await context.ledger.appendMany(tenant, entries.slice(0, Math.floor(entries.length / 2)), at);
            throw new Error('killed mid-batch');
          },
        }),
      };
      await expect(reprocessRunJob(failing).handler({ runId: run.id }, job, log)).rejects.toThrow('killed mid-batch');
      const midway = (await context.reprocessRuns.getById(run.id)) as ReprocessRun;
      // The first batch (25 lines, up to its last invoice's last line) is checkpointed; the second is not.
      expect(midway.status).toBe('running');
      expect(midway.processed).toBeGreaterThanOrEqual(25);
      expect(midway.processed).toBeLessThan(30);

      await reprocessRunJob(context).handler({ runId: run.id }, job, log);
      const done = (await context.reprocessRuns.getById(run.id)) as ReprocessRun;
      expect(done).toMatchObject({ status: 'completed', total: 53, processed: 53, changed: 38 });
      expect(done.skipped).toEqual({ jurisdiction_not_covered: 14, no_longer_current: 1 });

      const after = await ledgerOf();
      const added = after.filter((entry) => !before.some((old) => old.id === entry.id));
      expect(added.every((entry) => entry.cause === 'reprocess' && entry.causeId === run.id)).toBe(true);
      // One negation and one revision per change, plus the credit notes re-applied to the new revisions.
      expect(added.filter((entry) => entry.kind === 'negation')).toHaveLength(38);
      expect(added.filter((entry) => entry.kind === 'revision')).toHaveLength(38);
      expect(added.filter((entry) => entry.kind === 'credit').map((entry) => entry.id).sort()).toEqual(['in_Batch001:US-TX:s2:cn:cn_Batch1', 'in_Batch005:US-TX:s2:cn:cn_Batch5']);
      // Every Texas sale in range now owes no tax; March (filed) kept its entries.
      for (const invoiceId of new Set(after.filter((entry) => entry.jurisdiction === 'US-TX').map((entry) => entry.invoiceId))) {
        expect(after.filter((entry) => entry.invoiceId === invoiceId && entry.jurisdiction === 'US-TX').reduce((sum, entry) => sum + entry.tax, 0)).toBe(0);
      }
      expect(after.filter((entry) => entry.periodKey === '2026-03')).toEqual(before.filter((entry) => entry.periodKey === '2026-03'));
      expect(await service.db.collection('reprocess_work_lists').countDocuments({ runId: run.id })).toBe(0);
    });
  });

  it('makes a work list for a run started before there were any, and starts it over', async () => {
    const runId = 'rp_00000000000000000000beef';
    const summary = (await buildReprocessPlan(context, merchant, await certificate(), range)).summary;
    await context.reprocessRuns.create({
      id: runId,
      ...merchant,
      certificateId,
      customerId: CUSTOMER,
      ...range,
      status: 'running',
      total: summary.transactions,
      processed: 10,
      changed: 10,
      skipped: {},
      preview: summary,
      acknowledged: [],
      requestedBy: { type: 'user', id: 'usr_batches' },
      createdAt: clock.now(),
      startedAt: clock.now(),
      finishedAt: null,
      error: null,
    });
    const before = await ledgerOf();
    await reprocessRunJob(context, { wholeLedgerEntries: 0 }).handler({ runId }, job, log);
    // The run above made every Texas sale exempt with this certificate: nothing left to change.
    expect(await context.reprocessRuns.getById(runId)).toMatchObject({ status: 'completed', processed: summary.transactions, changed: 0, workList: { lines: summary.transactions } });
    expect(await ledgerOf()).toEqual(before);
  });
});
