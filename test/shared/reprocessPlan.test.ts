import fc from 'fast-check';
import type { LedgerEntry } from '../../shared/src/index.js';
import { entriesForInvoice, planReprocess, revisionEntries } from '../../shared/src/index.js';
import { sampleCertificate } from './arbitraries.js';
import { EntryStore, context, invoice, sum, taxRow, workedExampleHistory } from './ledgerFixtures.js';

const ledger = context({ filed: [{ jurisdiction: 'US-TX', periodKey: '2026-03' }] });
const fromJanuary = sampleCertificate({ customerId: 'cus_test' });
const fromApril = sampleCertificate({
  customerId: 'cus_test',
  jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-04-01', expirationDate: null }],
});

const history = workedExampleHistory;

function plan(store: EntryStore, certificate = fromJanuary, runId?: string) {
  return planReprocess(
    store.all(),
    { certificate, start: '2026-03-01', end: '2026-05-31', customerAddress: null, today: '2026-05-12', ...(runId === undefined ? {} : { runId }) },
    (j, key) => ledger.isFiled(j, key),
  );
}

function run(store: EntryStore, runId: string, certificate = fromJanuary): LedgerEntry[] {
  const batch = plan(store, certificate, runId).items.flatMap((item) =>
    item.action === 'change' ? revisionEntries({ entries: store.all(), invoiceId: item.invoiceId, jurisdiction: item.jurisdiction, next: item.next, runId }, ledger) : [],
  );
  store.insert(batch);
  return batch;
}

describe('planning a reprocess', () => {
  it('previews the worked example: three changes, one in a filed period, $30.00 to refund, warnings to acknowledge', () => {
    const { summary, items } = plan(history());
    expect(summary).toMatchObject({ transactions: 3, changes: 3, inOpenPeriods: 2, inFiledPeriods: 1, refundByCurrency: { usd: 3_000 } });
    expect(summary.warnings).toEqual(['changes_in_filed_periods', 'refunds_due']);
    expect(items.map((i) => [i.invoiceId, i.action === 'change' && i.inFiledPeriod])).toEqual([
      ['in_A', true],
      ['in_B', false],
      ['in_C', false],
    ]);
  });

  it('leaves the March return as filed, corrects it in May, and changes nothing when run again', () => {
    const store = history();
    const march = store.all().filter((e) => e.periodKey === '2026-03');
    const batch = run(store, 'run_1');
    expect(-sum(batch, 'tax')).toBe(3_000);
    expect(batch.filter((e) => e.invoiceId === 'in_A').map((e) => [e.kind, e.periodKey])).toEqual([
      ['negation', '2026-05'],
      ['revision', '2026-05'],
    ]);
    expect(store.all().filter((e) => e.periodKey === '2026-03')).toEqual(march);
    const again = plan(store);
    expect(again.summary).toMatchObject({ changes: 0, skipped: { already_exempt: 3 } });
    expect(run(store, 'run_2')).toEqual([]);
  });

  it('skips INV-A as outside the certificate’s validity when the certificate starts on April 1', () => {
    const { items, summary } = plan(history(), fromApril);
    expect(items.find((i) => i.invoiceId === 'in_A')).toMatchObject({ action: 'skip', reason: 'outside_validity' });
    expect(summary).toMatchObject({ changes: 2, inFiledPeriods: 0, refundByCurrency: { usd: 2_000 } });
    expect(summary.warnings).toEqual(['refunds_due']);
  });

  it('checks coverage against the customer’s current address when asked to prioritise it', () => {
    const movedToOklahoma = { jurisdiction: 'US-OK' as const, address: { country: 'US', state: 'OK', postalCode: null, line1: null, city: null }, source: 'customer_address' as const };
    const result = planReprocess(
      history().all(),
      { certificate: fromJanuary, start: '2026-03-01', end: '2026-05-31', customerAddress: movedToOklahoma, today: '2026-05-12' },
      (j, key) => ledger.isFiled(j, key),
    );
    expect(result.summary).toMatchObject({ changes: 0, skipped: { jurisdiction_not_covered: 3 } });
  });

  it('warns about refunds past the state’s statute of limitations', () => {
    const store = new EntryStore();
    const facts = invoice({ invoiceId: 'in_Old', finalizedAt: '2021-06-01T15:00:00.000Z', taxes: [taxRow({ jurisdiction: 'US-TX', amount: 500 })] });
    store.insert(entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_old' }, context({ today: '2021-06-01' })));
    const result = planReprocess(
      store.all(),
      { certificate: sampleCertificate({ customerId: 'cus_test', jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2020-01-01', expirationDate: null }] }), start: '2021-01-01', end: '2026-05-31', customerAddress: null, today: '2026-05-12' },
      () => false,
    );
    expect(result.summary).toMatchObject({ changes: 1, pastRefundStatute: 1 });
    expect(result.summary.warnings).toContain('past_refund_statute');
  });

  it('never plans a change outside the date range or for another customer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (a, b) => {
        const store = history();
        const days = ['2026-03-01', '2026-03-03', '2026-04-08', '2026-05-02', '2026-05-31'];
        const start = days[Math.min(a, b) % days.length] as string;
        const end = days[Math.max(a, b) % days.length] as string;
        if (start > end) return;
        const result = planReprocess(store.all(), { certificate: fromJanuary, start, end, customerAddress: null, today: '2026-05-12' }, () => false);
        for (const item of result.items) {
          expect(item.transactionDate >= start && item.transactionDate <= end).toBe(true);
        }
        const other = planReprocess(store.all(), { certificate: { ...fromJanuary, customerId: 'cus_other' }, start, end, customerAddress: null, today: '2026-05-12' }, () => false);
        expect(other.items).toEqual([]);
      }),
    );
  });
});
