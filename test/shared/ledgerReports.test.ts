import fc from 'fast-check';
import type { LedgerEntry, RevisedTreatment } from '../../shared/src/index.js';
import {
  certificateSnapshot,
  entriesForCreditNote,
  entriesForInvoice,
  flaggedReport,
  flaggedReportCsv,
  ledgerTotals,
  negationsForVoid,
  revisionEntries,
} from '../../shared/src/index.js';
import { sampleCertificate } from './arbitraries.js';
import { context, creditNote, EntryStore, invoice } from './ledgerFixtures.js';

const certificate = sampleCertificate({ id: 'cert_TX', number: 'TX-1', customerId: 'cus_test' });
const jurisdiction = certificate.jurisdictions[0];
if (jurisdiction === undefined) throw new Error('fixture has a jurisdiction');
const covered = certificateSnapshot(certificate, jurisdiction);

/** Texas exempted the sale (customer marked exempt) with no certificate: exposure. */
const exposed = (invoiceId: string, finalizedAt = '2026-05-02T15:00:00.000Z', currency = 'usd'): LedgerEntry[] =>
  entriesForInvoice({ invoice: invoice({ invoiceId, finalizedAt, currency, customerTaxExempt: 'exempt', taxes: [] }), certificates: [], eventId: `evt_${invoiceId}` }, context());
/** Tax charged in Texas although the Texas certificate covered the sale: over-collection ($8.25 on $100). */
const overCollected = (invoiceId: string, finalizedAt = '2026-05-02T15:00:00.000Z'): LedgerEntry[] =>
  entriesForInvoice({ invoice: invoice({ invoiceId, finalizedAt }), certificates: [certificate], eventId: `evt_${invoiceId}` }, context());
const clean = (invoiceId: string): LedgerEntry[] => entriesForInvoice({ invoice: invoice({ invoiceId }), certificates: [], eventId: `evt_${invoiceId}` }, context());

const coveredTreatment: RevisedTreatment = { treatment: 'exempt', taxable: 0, exempt: 10_000, tax: 0, certificate: covered, flags: { exposure: false, overCollection: false }, address: null, addressSource: null };
const exposedTreatment: RevisedTreatment = { ...coveredTreatment, certificate: null, flags: { exposure: true, overCollection: false } };

function revise(store: EntryStore, invoiceId: string, next: RevisedTreatment, runId: string): void {
  store.insert(revisionEntries({ entries: store.all(), invoiceId, jurisdiction: 'US-TX', runId, next }, context()));
}

describe('the exposure report', () => {
  it('lists each exposed invoice × jurisdiction as it currently stands', () => {
    const report = flaggedReport([...exposed('in_E1'), ...overCollected('in_O1'), ...clean('in_C1')], 'exposure');
    expect(report.rows).toEqual([
      {
        entryId: 'in_E1:US-TX',
        invoiceId: 'in_E1',
        invoiceNumber: 'INV-0001',
        purchaseOrder: null,
        customerId: 'cus_test',
        jurisdiction: 'US-TX',
        transactionDate: '2026-05-02',
        periodKey: '2026-05',
        currency: 'usd',
        treatment: 'exempt',
        taxable: 0,
        exempt: 10_000,
        tax: 0,
        exposedExempt: 10_000,
        overCollectedTax: 0,
        certificate: null,
        taxabilityReasons: [],
      },
    ]);
    expect(report.totals).toEqual([{ currency: 'usd', taxable: 0, exempt: 10_000, tax: 0, exposedExempt: 10_000, overCollectedTax: 0, entries: 1 }]);
  });

  it('drops a voided invoice and one a reprocess run has since covered, and lists one a run exposed', () => {
    const store = new EntryStore();
    store.insert([...exposed('in_Void'), ...exposed('in_Fixed'), ...clean('in_Broken')]);
    store.insert(negationsForVoid({ entries: store.all(), invoiceId: 'in_Void', eventId: 'evt_void' }, context()));
    revise(store, 'in_Fixed', coveredTreatment, 'rp_1');
    revise(store, 'in_Broken', exposedTreatment, 'rp_2');
    const report = flaggedReport(store.all(), 'exposure');
    expect(report.rows.map((row) => [row.entryId, row.exempt])).toEqual([['in_Broken:US-TX:s2', 10_000]]);
    // Only the flagged entries, as the worker reads them, tell the same.
    expect(flaggedReport(store.all().filter((e) => e.flags.exposure || e.flags.overCollection), 'exposure')).toEqual(report);
  });

  it('keeps currencies apart in its totals', () => {
    const report = flaggedReport([...exposed('in_U'), ...exposed('in_E', '2026-05-03T15:00:00.000Z', 'eur')], 'exposure');
    expect(report.totals.map((row) => [row.currency, row.exposedExempt])).toEqual([
      ['eur', 10_000],
      ['usd', 10_000],
    ]);
  });

  it('filters on the transaction date, both ends included, and on the jurisdiction', () => {
    const entries = [...exposed('in_May2'), ...exposed('in_May9', '2026-05-09T15:00:00.000Z'), ...exposed('in_Jun1', '2026-06-01T15:00:00.000Z')];
    const ids = (filter: Parameters<typeof flaggedReport>[2]) => flaggedReport(entries, 'exposure', filter).rows.map((row) => row.invoiceId);
    expect(ids({ from: '2026-05-02', to: '2026-05-09' })).toEqual(['in_May2', 'in_May9']);
    expect(ids({ from: '2026-05-03' })).toEqual(['in_May9', 'in_Jun1']);
    expect(ids({ to: '2026-05-08' })).toEqual(['in_May2']);
    expect(ids({ jurisdiction: 'US-CA' })).toEqual([]);
    expect(ids({ jurisdiction: 'US-TX', from: '2026-06-01', to: '2026-06-01' })).toEqual(['in_Jun1']);
  });
});

describe('the over-collection report', () => {
  it('lists the tax still standing after credit notes, with the certificate that covered the sale', () => {
    const store = new EntryStore();
    store.insert(overCollected('in_O'));
    store.insert(entriesForCreditNote({ entries: store.all(), creditNote: creditNote({ invoiceId: 'in_O', totalExcludingTax: 2_500 }) }, context()));
    const report = flaggedReport(store.all(), 'over_collection');
    expect(report.rows).toEqual([
      expect.objectContaining({ invoiceId: 'in_O', taxable: 7_500, tax: 825 - 206, overCollectedTax: 825 - 206, certificate: { id: 'cert_TX', version: 1, number: 'TX-1' } }),
    ]);
    expect(report.totals).toEqual(ledgerTotals(store.all(), []));
  });

  it('writes one CSV line per row, amounts in minor units', () => {
    const table = flaggedReportCsv(flaggedReport(overCollected('in_O'), 'over_collection'));
    expect(table.rows).toEqual([['in_O', 'INV-0001', '', 'cus_test', 'US-TX', '2026-05-02', '2026-05', 'usd', 'taxable', '10000', '0', '825', '0', '825', 'cert_TX', '1', 'TX-1', 'standard_rated', 'in_O:US-TX']]);
  });
});

describe('report totals', () => {
  type Step = { kind: 'exposed' | 'over' | 'clean'; credit: number; voided: boolean; revise: 'none' | 'cover' | 'expose' };
  const step: fc.Arbitrary<Step> = fc.record({
    kind: fc.constantFrom('exposed' as const, 'over' as const, 'clean' as const),
    credit: fc.integer({ min: 0, max: 10_000 }),
    voided: fc.boolean(),
    revise: fc.constantFrom('none' as const, 'cover' as const, 'expose' as const),
  });

  it('are always the ledger’s own flagged totals, and the sums of their rows', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 8 }), (steps) => {
        const store = new EntryStore();
        steps.forEach((s, n) => {
          const id = `in_${n}`;
          store.insert(s.kind === 'exposed' ? exposed(id) : s.kind === 'over' ? overCollected(id) : clean(id));
          if (s.credit > 0) store.insert(entriesForCreditNote({ entries: store.all(), creditNote: creditNote({ creditNoteId: `cn_${n}`, invoiceId: id, totalExcludingTax: s.credit }) }, context()));
          if (s.revise !== 'none') revise(store, id, s.revise === 'cover' ? coveredTreatment : exposedTreatment, `rp_${n}`);
          if (s.voided) store.insert(negationsForVoid({ entries: store.all(), invoiceId: id, eventId: `evt_void_${n}` }, context()));
        });
        const [ledger] = ledgerTotals(store.all(), []);
        const exposure = flaggedReport(store.all(), 'exposure');
        const overCollection = flaggedReport(store.all(), 'over_collection');
        expect(exposure.totals[0]?.exposedExempt ?? 0).toBe(ledger?.exposedExempt ?? 0);
        expect(overCollection.totals[0]?.overCollectedTax ?? 0).toBe(ledger?.overCollectedTax ?? 0);
        expect(exposure.rows.reduce((sum, row) => sum + row.exposedExempt, 0)).toBe(exposure.totals[0]?.exposedExempt ?? 0);
        expect(overCollection.rows.reduce((sum, row) => sum + row.overCollectedTax, 0)).toBe(overCollection.totals[0]?.overCollectedTax ?? 0);
      }),
      { numRuns: 300 },
    );
  });
});
