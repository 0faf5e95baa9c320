import type { CreditNoteFacts, LedgerContext, LedgerEntry } from '../../shared/src/index.js';
import {
  CurrencyMismatchError,
  NoCurrentEntryError,
  currentEntries,
  entriesForCreditNote,
  entriesBeforeRun,
  entriesForInvoice,
  ledgerContext,
  ledgerTotals,
  negationsForVoid,
  reversalsForCreditNoteVoid,
  revisionEntries,
  treatSale,
} from '../../shared/src/index.js';
import { sampleCertificate } from './arbitraries.js';
import { EntryStore, context, creditNote, filedEverywhere, invoice, sum, taxRow, workedExampleHistory } from './ledgerFixtures.js';

const texasCertificate = sampleCertificate();

/** $150.00: $100.00 shipped to Texas (state + city), $50.00 to California (state + district). */
const multiInvoice = invoice({
  totalExcludingTax: 15_000,
  taxes: [
    taxRow({ jurisdiction: 'US-TX', level: 'state', taxableAmount: 10_000, amount: 625 }),
    taxRow({ jurisdiction: 'US-TX', level: 'city', taxableAmount: 10_000, amount: 200 }),
    taxRow({ jurisdiction: 'US-CA', level: 'state', taxableAmount: 5_000, amount: 363 }),
    taxRow({ jurisdiction: 'US-CA', level: 'district', taxableAmount: 5_000, amount: 50 }),
  ],
});

function recorded(facts = multiInvoice, ctx: LedgerContext = context()): EntryStore {
  const store = new EntryStore();
  store.insert(entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_finalized' }, ctx));
  return store;
}

function credit(store: EntryStore, note: CreditNoteFacts, ctx: LedgerContext = context()): LedgerEntry[] {
  const entries = entriesForCreditNote({ entries: store.all(), creditNote: note }, ctx);
  store.insert(entries);
  return entries;
}

function byJurisdiction(entries: readonly LedgerEntry[], jurisdiction: string) {
  const line = entries.filter((e) => e.jurisdiction === jurisdiction);
  return { taxable: sum(line, 'taxable'), exempt: sum(line, 'exempt'), tax: sum(line, 'tax') };
}

describe('voiding an invoice', () => {
  it('negates every jurisdiction, credits included, so the invoice totals zero and has no current entry', () => {
    const store = recorded();
    credit(store, creditNote({ totalExcludingTax: 5_000 }));
    const negations = negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, context());
    expect(negations.map((e) => [e.id, e.kind, e.negates, e.taxable, e.tax, e.periodKey])).toEqual([
      // What was left after the credit note took a third.
      ['in_A:US-CA:negation', 'negation', 'in_A:US-CA', -3_334, -276, '2026-05'],
      ['in_A:US-TX:negation', 'negation', 'in_A:US-TX', -6_667, -550, '2026-05'],
    ]);
    store.insert(negations);
    expect(ledgerTotals(store.all(), ['jurisdiction'])).toEqual([
      expect.objectContaining({ jurisdiction: 'US-CA', taxable: 0, exempt: 0, tax: 0 }),
      expect.objectContaining({ jurisdiction: 'US-TX', taxable: 0, exempt: 0, tax: 0 }),
    ]);
    expect(currentEntries(store.all())).toEqual([]);
  });

  it('adds nothing when the same void is processed again', () => {
    const store = recorded();
    store.insert(negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, context()));
    expect(negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, context())).toEqual([]);
  });

  it('leaves a filed period untouched: the negation of a March entry goes in the current open period', () => {
    const march = context({ today: '2026-03-03' });
    const store = recorded(invoice({ finalizedAt: '2026-03-03T15:00:00.000Z' }), march);
    const filedMarch = context({ filed: filedEverywhere(['2026-03']) });
    const marchBefore = ledgerTotals(store.all().filter((e) => e.periodKey === '2026-03'));
    const negations = negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, filedMarch);
    expect(negations).toEqual([expect.objectContaining({ periodKey: '2026-05', transactionDate: '2026-03-03', tax: -825 })]);
    store.insert(negations);
    expect(ledgerTotals(store.all().filter((e) => e.periodKey === '2026-03'))).toEqual(marchBefore);
    expect(ledgerTotals(store.all(), [])).toEqual([expect.objectContaining({ taxable: 0, tax: 0 })]);
  });

  it('ignores other invoices’ entries', () => {
    const store = recorded();
    store.insert(entriesForInvoice({ invoice: invoice({ invoiceId: 'in_B' }), certificates: [], eventId: 'evt_b' }, context()));
    const negations = negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, context());
    expect(negations.every((e) => e.invoiceId === 'in_A')).toBe(true);
  });
});

describe('credit notes', () => {
  it('take proportional shares per jurisdiction, and three credit notes of a third each negate exactly the original', () => {
    const store = recorded();
    const shares = [1, 2, 3].map((n) => credit(store, creditNote({ creditNoteId: `cn_${n}`, totalExcludingTax: 5_000 })));
    const pick = (entries: LedgerEntry[], j: string) => entries.filter((e) => e.jurisdiction === j).map((e) => [e.taxable, e.tax]);
    expect(shares.map((s) => pick(s, 'US-TX'))).toEqual([[[-3_333, -275]], [[-3_333, -275]], [[-3_334, -275]]]);
    expect(shares.map((s) => pick(s, 'US-CA'))).toEqual([[[-1_666, -137]], [[-1_667, -138]], [[-1_667, -138]]]);
    expect(byJurisdiction(store.all(), 'US-TX')).toEqual({ taxable: 0, exempt: 0, tax: 0 });
    expect(byJurisdiction(store.all(), 'US-CA')).toEqual({ taxable: 0, exempt: 0, tax: 0 });
  });

  it('never add back: after a voided credit note leaves earlier shares rounded above the new target, a later credit note takes nothing rather than giving back', () => {
    // $0.04 invoice, $0.03 taxable: notes of 1¢ take 0, 1, 1 (targets 0, 1, 2); voiding the first leaves 2 taken
    // against a target of 1 for the two notes in force. A zero-amount note then must take 0, not +1.
    const store = recorded(invoice({ totalExcludingTax: 4, taxes: [taxRow({ jurisdiction: 'US-TX', taxableAmount: 3, amount: 0 })] }));
    for (const n of [1, 2, 3]) credit(store, creditNote({ creditNoteId: `cn_${n}`, issuedAt: `2026-05-20T15:00:0${n}.000Z`, totalExcludingTax: 1 }));
    store.insert(reversalsForCreditNoteVoid({ entries: store.all(), invoiceId: 'in_A', creditNoteId: 'cn_1' }, context()));
    const [late] = credit(store, creditNote({ creditNoteId: 'cn_4', issuedAt: '2026-05-21T15:00:00.000Z', totalExcludingTax: 0 }));
    expect(late?.taxable).toBe(0);
    expect(byJurisdiction(store.all(), 'US-TX').taxable).toBe(1);
  });

  it('use the credit note’s own tax over the invoice’s tax when it is given', () => {
    const store = recorded(invoice());
    const [share] = credit(store, creditNote({ totalExcludingTax: 5_000, tax: 412 }));
    expect(share).toMatchObject({ id: 'in_A:US-TX:cn:cn_1', kind: 'credit', negates: 'in_A:US-TX', taxable: -5_000, tax: -412 });
  });

  it('are recorded in the period of the credit note’s date, or the current open period when that one is filed', () => {
    const store = recorded(invoice());
    const julyWithJuneFiled = context({ today: '2026-07-02', filed: filedEverywhere(['2026-06']) });
    const [june] = credit(store, creditNote({ creditNoteId: 'cn_june', issuedAt: '2026-06-05T15:00:00.000Z' }), julyWithJuneFiled);
    expect(june).toMatchObject({ transactionDate: '2026-06-05', periodKey: '2026-07' });
    const [may] = credit(store, creditNote({ creditNoteId: 'cn_may', issuedAt: '2026-05-20T15:00:00.000Z' }), julyWithJuneFiled);
    expect(may).toMatchObject({ periodKey: '2026-05' });
  });

  it('add nothing when the same credit note is processed again', () => {
    const store = recorded();
    credit(store, creditNote());
    expect(entriesForCreditNote({ entries: store.all(), creditNote: creditNote() }, context())).toEqual([]);
  });

  it('add nothing to a voided invoice, and refuse a credit note in another currency', () => {
    const store = recorded();
    expect(() => entriesForCreditNote({ entries: store.all(), creditNote: creditNote({ currency: 'eur' }) }, context())).toThrow(CurrencyMismatchError);
    store.insert(negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, context()));
    expect(entriesForCreditNote({ entries: store.all(), creditNote: creditNote() }, context())).toEqual([]);
  });

  it('are reversed exactly when voided, restoring the invoice, and a repeated void adds nothing', () => {
    const store = recorded();
    const original = { tx: byJurisdiction(store.all(), 'US-TX'), ca: byJurisdiction(store.all(), 'US-CA') };
    const shares = credit(store, creditNote({ totalExcludingTax: 4_321, tax: 97 }));
    const reversals = reversalsForCreditNoteVoid({ entries: store.all(), invoiceId: 'in_A', creditNoteId: 'cn_1' }, context());
    expect(reversals.map((r) => [r.id, r.kind, r.negates])).toEqual([
      ['in_A:US-CA:cn:cn_1:reversal', 'credit_reversal', 'in_A:US-CA:cn:cn_1'],
      ['in_A:US-TX:cn:cn_1:reversal', 'credit_reversal', 'in_A:US-TX:cn:cn_1'],
    ]);
    for (const [i, reversal] of reversals.entries()) expect(reversal.tax).toBe(-(shares[i]?.tax ?? 0));
    store.insert(reversals);
    expect({ tx: byJurisdiction(store.all(), 'US-TX'), ca: byJurisdiction(store.all(), 'US-CA') }).toEqual(original);
    expect(reversalsForCreditNoteVoid({ entries: store.all(), invoiceId: 'in_A', creditNoteId: 'cn_1' }, context())).toEqual([]);
  });
});

describe('revisions (the brief’s worked example)', () => {
  // Monthly periods; today 2026-05-12; March filed, April and May open. A Texas customer paid $10.00 tax on each of
  // INV-A (March 3), INV-B (April 8), INV-C (May 2). A Texas resale certificate effective January 1 is reprocessed.
  const today = context({ filed: [{ jurisdiction: 'US-TX', periodKey: '2026-03' }] });

  const history = workedExampleHistory;

  function reprocess(store: EntryStore, runId: string): LedgerEntry[] {
    // Select on the ledger as it was before this run, as revisionEntries itself does.
    return currentEntries(entriesBeforeRun(store.all(), runId)).flatMap((current) => {
      const treated = treatSale(
        {
          jurisdiction: current.jurisdiction,
          date: current.transactionDate,
          invoiceNumber: current.invoiceNumber,
          purchaseOrder: current.purchaseOrder,
          treatment: 'exempt',
          base: current.taxable + current.exempt,
          tax: 0,
        },
        [texasCertificate],
      );
      const next = { ...treated, address: current.address, addressSource: current.addressSource };
      return revisionEntries({ entries: store.all(), invoiceId: current.invoiceId, jurisdiction: current.jurisdiction, next, runId }, today);
    });
  }

  it('replaces open-period entries in their own period, and corrects a filed period’s entry in the current open period', () => {
    const store = history();
    const marchBefore = store.all().filter((e) => e.periodKey === '2026-03');
    const batch = reprocess(store, 'run_1');
    store.insert(batch);
    expect(batch.map((e) => [e.id, e.kind, e.periodKey, e.taxable, e.exempt, e.tax, e.supersedes ?? e.negates])).toEqual([
      ['in_A:US-TX:negation', 'negation', '2026-05', -16_000, 0, -1_000, 'in_A:US-TX'],
      ['in_A:US-TX:s2', 'revision', '2026-05', 0, 16_000, 0, 'in_A:US-TX'],
      ['in_B:US-TX:negation', 'negation', '2026-04', -16_000, 0, -1_000, 'in_B:US-TX'],
      ['in_B:US-TX:s2', 'revision', '2026-04', 0, 16_000, 0, 'in_B:US-TX'],
      ['in_C:US-TX:negation', 'negation', '2026-05', -16_000, 0, -1_000, 'in_C:US-TX'],
      ['in_C:US-TX:s2', 'revision', '2026-05', 0, 16_000, 0, 'in_C:US-TX'],
    ]);
    // The March return still shows what was filed.
    expect(store.all().filter((e) => e.periodKey === '2026-03')).toEqual(marchBefore);
    // Refund due to the customer: 30.00.
    expect(-sum(batch, 'tax')).toBe(3_000);
    expect(currentEntries(store.all()).map((e) => [e.id, e.exempt, e.tax, e.certificate?.id, e.flags])).toEqual([
      ['in_A:US-TX:s2', 16_000, 0, 'cert_sample', { exposure: false, overCollection: false }],
      ['in_B:US-TX:s2', 16_000, 0, 'cert_sample', { exposure: false, overCollection: false }],
      ['in_C:US-TX:s2', 16_000, 0, 'cert_sample', { exposure: false, overCollection: false }],
    ]);
    expect(ledgerTotals(store.all(), ['periodKey'])).toEqual([
      expect.objectContaining({ periodKey: '2026-03', taxable: 16_000, exempt: 0, tax: 1_000 }),
      expect.objectContaining({ periodKey: '2026-04', taxable: 0, exempt: 16_000, tax: 0 }),
      // May carries INV-C's replacement and INV-A's correction.
      expect.objectContaining({ periodKey: '2026-05', taxable: -16_000, exempt: 32_000, tax: -1_000 }),
    ]);
  });

  it('completes a run cut short by a crash with exactly the missing entries, and a retried step adds nothing', () => {
    const complete = history();
    complete.insert(reprocess(complete, 'run_1'));
    const crashed = history();
    const batch = reprocess(crashed, 'run_1');
    crashed.insert(batch.filter((e) => e.kind === 'negation')); // the revisions were never written
    crashed.insert(reprocess(crashed, 'run_1'));
    const byId = (s: EntryStore) => s.all().sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byId(crashed)).toEqual(byId(complete));
    expect(complete.insert(reprocess(complete, 'run_1'))).toBe(0);
  });

  it('carries the credit notes in force over to the new revision, so the invoice still sums to the treatment less its credits', () => {
    const store = history();
    credit(store, creditNote({ invoiceId: 'in_B', creditNoteId: 'cn_1', issuedAt: '2026-04-20T15:00:00.000Z', totalExcludingTax: 4_000 }), today);
    store.insert(reprocess(store, 'run_1'));
    const line = store.all().filter((e) => e.invoiceId === 'in_B');
    expect(line.find((e) => e.id === 'in_B:US-TX:s2:cn:cn_1')).toMatchObject({ kind: 'credit', exempt: -4_000, tax: 0, periodKey: '2026-04' });
    expect(byJurisdiction(line, 'US-TX')).toEqual({ taxable: 0, exempt: 12_000, tax: 0 });
    // Voiding the credit note now reverses its share of the current revision.
    store.insert(reversalsForCreditNoteVoid({ entries: store.all(), invoiceId: 'in_B', creditNoteId: 'cn_1' }, today));
    expect(byJurisdiction(store.all().filter((e) => e.invoiceId === 'in_B'), 'US-TX')).toEqual({ taxable: 0, exempt: 16_000, tax: 0 });
  });

  it('refuses to revise an invoice that has no current entry', () => {
    const store = history();
    store.insert(negationsForVoid({ entries: store.all(), invoiceId: 'in_A', eventId: 'evt_void' }, today));
    const next = { treatment: 'exempt' as const, taxable: 0, exempt: 16_000, tax: 0, certificate: null, flags: { exposure: true, overCollection: false }, address: null, addressSource: null };
    expect(() => revisionEntries({ entries: store.all(), invoiceId: 'in_A', jurisdiction: 'US-TX', next, runId: 'run_1' }, today)).toThrow(NoCurrentEntryError);
  });

  it('places nothing in a month filed out of order either', () => {
    const store = history();
    const aprilFiled = ledgerContext({ timeZone: 'America/Chicago', today: '2026-05-12', filed: filedEverywhere(['2026-03', '2026-04'], ['US-TX']) });
    const batch = currentEntries(store.all()).flatMap((current) =>
      revisionEntries(
        {
          entries: store.all(),
          invoiceId: current.invoiceId,
          jurisdiction: current.jurisdiction,
          next: { treatment: 'taxable', taxable: 16_000, exempt: 0, tax: 999, certificate: null, flags: { exposure: false, overCollection: false }, address: null, addressSource: null },
          runId: 'run_2',
        },
        aprilFiled,
      ),
    );
    expect(new Set(batch.map((e) => e.periodKey))).toEqual(new Set(['2026-05']));
  });
});
