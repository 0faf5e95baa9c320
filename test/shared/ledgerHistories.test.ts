import fc from 'fast-check';
import type { JurisdictionCode, LedgerContext, LedgerEntry, RevisedTreatment } from '../../shared/src/index.js';
import {
  activeCreditNotes,
  addDays,
  certificateSnapshot,
  currentEntries,
  currentOpenPeriod,
  currentRevision,
  entriesBeforeRun,
  entriesForCreditNote,
  entriesForInvoice,
  entryFlags,
  familyOf,
  ledgerContext,
  ledgerTotals,
  negationsForVoid,
  nextPeriod,
  periodKey,
  reversalsForCreditNoteVoid,
  revisionEntries,
} from '../../shared/src/index.js';
import { sampleCertificate } from './arbitraries.js';
import { EntryStore, filedEverywhere, invoice, sum } from './ledgerFixtures.js';

const texasCertificate = sampleCertificate();
const snapshot = certificateSnapshot(texasCertificate, texasCertificate.jurisdictions[0]!);
const codes = ['US-TX', 'US-CA', 'US-NY'] as const;

function amountsOf(entries: readonly LedgerEntry[]) {
  return { taxable: sum(entries, 'taxable'), exempt: sum(entries, 'exempt'), tax: sum(entries, 'tax') };
}

/** Whether `credited` lies between zero and `amount`, on the amount's side. */
function within(credited: number, amount: number): boolean {
  return amount >= 0 ? credited >= 0 && credited <= amount : credited <= 0 && credited >= amount;
}

describe('credit note shares over any sequence of credit notes and credit note voids', () => {
  const scenario = fc.record({
    // Small totals make rounding collide often: that is where a void can leave earlier shares above the new target.
    total: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10_000_000 })),
    // Integers reduced modulo the total spread evenly, where doubles cluster at their extremes.
    base: fc.nat(),
    taxRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
    exempt: fc.boolean(),
    steps: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('credit' as const), amount: fc.oneof(fc.constant(0), fc.nat()) }),
        fc.record({ kind: fc.constant('void' as const), pick: fc.nat() }),
      ),
      { maxLength: 12 },
    ),
  });

  it('never credit more than the entry nor change its sign, credit exactly the proportional total while none was voided, and all of it once the credit notes cover the invoice', () => {
    fc.assert(
      fc.property(scenario, ({ total, base: baseSeed, taxRate, exempt, steps }) => {
        const base = baseSeed % (total + 1);
        const tax = Math.floor(base * taxRate);
        const ctx = ledgerContext({ timeZone: 'UTC', today: '2026-05-12' });
        const store = new EntryStore();
        const facts = invoice({
          totalExcludingTax: total,
          customerTaxExempt: exempt ? 'exempt' : 'none',
          taxes: [{ jurisdiction: 'US-TX', level: 'state', taxableAmount: base, amount: tax, taxabilityReason: exempt ? 'customer_exempt' : 'standard_rated' }],
        });
        store.insert(entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_1' }, ctx));
        const entry = store.get('in_A:US-TX')!;
        const active = new Map<string, number>();
        let voidedAny = false;
        steps.forEach((step, n) => {
          if (step.kind === 'credit') {
            const id = `cn_${n}`;
            // Stripe never lets the credit notes in force exceed the invoice.
            const remaining = total - [...active.values()].reduce((a, b) => a + b, 0);
            const amount = step.amount % (remaining + 1);
            active.set(id, amount);
            const note = { creditNoteId: id, invoiceId: 'in_A', currency: 'usd', issuedAt: `2026-05-12T00:00:${String(n).padStart(2, '0')}.000Z`, totalExcludingTax: amount, tax: null };
            store.insert(entriesForCreditNote({ entries: store.all(), creditNote: note }, ctx));
          } else if (active.size > 0) {
            const id = [...active.keys()][step.pick % active.size]!;
            active.delete(id);
            voidedAny = true;
            store.insert(reversalsForCreditNoteVoid({ entries: store.all(), invoiceId: 'in_A', creditNoteId: id }, ctx));
          }
          // Each share only ever takes back: a credit never adds to the entry, a reversal never takes more.
          for (const share of store.all().filter((e) => e.kind === 'credit')) {
            for (const field of ['taxable', 'exempt', 'tax'] as const) expect(within(0 - share[field], entry[field])).toBe(true);
          }
          const credited = amountsOf(store.all().filter((e) => e.kind !== 'original'));
          const creditedTotal = [...active.values()].reduce((a, b) => a + b, 0);
          for (const field of ['taxable', 'exempt', 'tax'] as const) {
            const amount = entry[field];
            const taken = 0 - credited[field];
            expect(within(taken, amount)).toBe(true);
            if (creditedTotal >= total) expect(taken).toBe(amount);
            if (!voidedAny) {
              const fraction = Math.min(creditedTotal, total);
              expect(taken).toBe(Number((BigInt(amount) * BigInt(fraction)) / BigInt(total)));
            }
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('negate exactly the original, with no rounding drift, whenever the credit notes add up to the invoice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 9 }),
        (total, tax, weights) => {
          // Split the invoice total into parts proportional to the weights, the last part taking the remainder.
          const weightSum = weights.reduce((a, b) => a + b, 0);
          const parts = weights.map((w) => Math.floor((total * w) / weightSum));
          parts[parts.length - 1]! += total - parts.reduce((a, b) => a + b, 0);
          const ctx = ledgerContext({ timeZone: 'UTC', today: '2026-05-12' });
          const store = new EntryStore();
          const facts = invoice({ totalExcludingTax: total, taxes: [{ jurisdiction: 'US-TX', level: 'state', taxableAmount: total, amount: tax, taxabilityReason: 'standard_rated' }] });
          store.insert(entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_1' }, ctx));
          parts.forEach((part, n) => {
            const note = { creditNoteId: `cn_${n}`, invoiceId: 'in_A', currency: 'usd', issuedAt: '2026-05-12T00:00:00.000Z', totalExcludingTax: part, tax: null };
            store.insert(entriesForCreditNote({ entries: store.all(), creditNote: note }, ctx));
          });
          expect(amountsOf(store.all())).toEqual({ taxable: 0, exempt: 0, tax: 0 });
        },
      ),
      { numRuns: 500 },
    );
  });
});

type Op =
  | { readonly type: 'advance'; readonly days: number }
  | { readonly type: 'file'; readonly pick: number }
  | { readonly type: 'credit'; readonly share: number; readonly tax: number | null }
  | { readonly type: 'voidCredit'; readonly pick: number }
  | { readonly type: 'revise'; readonly pick: number; readonly exempt: boolean; readonly taxShare: number; readonly withCertificate: boolean }
  | { readonly type: 'void' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 45 }) }),
  fc.record({ type: fc.constant('file' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('credit' as const), share: fc.double({ min: 0, max: 0.6, noNaN: true }), tax: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: null }) }),
  fc.record({ type: fc.constant('voidCredit' as const), pick: fc.nat() }),
  fc.record({
    type: fc.constant('revise' as const),
    pick: fc.nat(),
    exempt: fc.boolean(),
    taxShare: fc.double({ min: 0, max: 0.1, noNaN: true }),
    withCertificate: fc.boolean(),
  }),
  fc.constant({ type: 'void' as const }),
);

const history = fc.record({
  total: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5_000_000 })),
  customerExempt: fc.boolean(),
  withCertificate: fc.boolean(),
  rows: fc.uniqueArray(
    fc.record({ jurisdiction: fc.constantFrom(...codes), baseRatio: fc.double({ min: 0, max: 1, noNaN: true }), taxRate: fc.double({ min: 0, max: 0.1, noNaN: true }) }),
    { minLength: 1, maxLength: 3, selector: (r) => r.jurisdiction },
  ),
  ops: fc.array(fc.record({ op, keep: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }) }), { maxLength: 14 }),
});

interface Model {
  today: string;
  filed: Set<string>;
  voided: boolean;
  /** Credit notes recorded while the invoice stood, and whether each was voided since. */
  credits: Map<string, { totalExcludingTax: number; tax: number | null; voided: boolean }>;
  /** The treatment each jurisdiction should currently have. */
  treatment: Map<JurisdictionCode | null, { taxable: number; exempt: number; tax: number }>;
  runs: number;
}

function contextOf(model: Model): LedgerContext {
  return ledgerContext({ timeZone: 'UTC', today: model.today, filed: filedEverywhere([...model.filed], [...codes, null]) });
}

function sortedById(entries: LedgerEntry[]): LedgerEntry[] {
  return [...entries].sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('random histories of invoices, credit notes, voids, filings and revisions', () => {
  it('keep filed periods identical, sum per invoice and jurisdiction to the current treatment less its credits, evidence every exempt entry, and make every step idempotent and crash-safe', () => {
    fc.assert(
      fc.property(history, ({ total, customerExempt, withCertificate, rows, ops }) => {
        const model: Model = { today: '2026-03-03', filed: new Set(), voided: false, credits: new Map(), treatment: new Map(), runs: 0 };
        const certificates = withCertificate ? [texasCertificate] : [];
        const facts = invoice({
          invoiceId: 'in_H',
          finalizedAt: '2026-03-03T12:00:00.000Z',
          totalExcludingTax: total,
          customerTaxExempt: customerExempt ? 'exempt' : 'none',
          taxes: rows.map((r) => {
            const base = Math.floor(total * r.baseRatio);
            return { jurisdiction: r.jurisdiction, level: 'state', taxableAmount: base, amount: Math.floor(base * r.taxRate), taxabilityReason: null };
          }),
        });
        const invoiceTax = facts.taxes.reduce((a, r) => a + r.amount, 0);
        const store = new EntryStore();
        // A bystander invoice that no operation concerns.
        const bystander = entriesForInvoice({ invoice: invoice({ invoiceId: 'in_Other', finalizedAt: '2026-03-01T12:00:00.000Z' }), certificates: [], eventId: 'evt_other' }, contextOf(model));
        store.insert(bystander);

        /** Runs one step the way the worker will: compute, insert under unique ids. Also checks a retry and a crash. */
        function step(compute: (entries: LedgerEntry[]) => LedgerEntry[], keep: readonly boolean[]): LedgerEntry[] {
          const before = store.clone();
          const batch = compute(before.all());
          const crashed = before.clone();
          crashed.insert(batch.filter((_, i) => keep[i % keep.length]));
          crashed.insert(compute(crashed.all()));
          store.insert(batch);
          expect(sortedById(crashed.all())).toEqual(sortedById(store.all()));
          // Processing the same step again changes nothing.
          const again = compute(store.all());
          for (const entry of again) expect(store.get(entry.id)).toEqual(entry);
          expect(store.clone().insert(again)).toBe(0);
          return batch;
        }

        const originals = step((_) => entriesForInvoice({ invoice: facts, certificates, eventId: 'evt_finalized' }, contextOf(model)), [true]);
        for (const entry of originals) model.treatment.set(entry.jurisdiction, { taxable: entry.taxable, exempt: entry.exempt, tax: entry.tax });

        for (const [n, { op: o, keep }] of ops.entries()) {
          const filedBefore = new Set(model.filed);
          const inFiled = () => sortedById(store.all().filter((e) => filedBefore.has(e.periodKey)));
          const filedEntries = inFiled();
          const filedTotals = ledgerTotals(filedEntries);
          const ctx = contextOf(model);

          switch (o.type) {
            case 'advance':
              model.today = addDays(model.today, o.days);
              break;
            case 'file': {
              const open: string[] = [];
              const last = currentOpenPeriod(model.today, 'monthly', model.filed);
              for (let key = '2026-03'; key <= last; key = nextPeriod(key)) if (!model.filed.has(key)) open.push(key);
              model.filed.add(open[o.pick % open.length]!);
              break;
            }
            case 'credit': {
              const id = `cn_${n}`;
              // Stripe never lets the credit notes in force exceed the invoice.
              const inForce = [...model.credits.values()].filter((c) => !c.voided).reduce((a, c) => a + c.totalExcludingTax, 0);
              const amount = Math.min(Math.floor(total * o.share), total - inForce);
              const note = { creditNoteId: id, invoiceId: 'in_H', currency: 'usd', issuedAt: `${model.today}T12:00:00.000Z`, totalExcludingTax: amount, tax: o.tax };
              step((entries) => entriesForCreditNote({ entries, creditNote: note }, ctx), keep);
              if (!model.voided) model.credits.set(id, { totalExcludingTax: note.totalExcludingTax, tax: note.tax, voided: false });
              break;
            }
            case 'voidCredit': {
              const live = [...model.credits.entries()].filter(([, c]) => !c.voided);
              if (live.length === 0) break;
              const [id, note] = live[o.pick % live.length]!;
              step((entries) => reversalsForCreditNoteVoid({ entries, invoiceId: 'in_H', creditNoteId: id }, ctx), keep);
              note.voided = true;
              break;
            }
            case 'revise': {
              if (model.voided) break;
              const current = currentEntries(store.all()).filter((e) => e.invoiceId === 'in_H');
              const target = current[o.pick % current.length]!;
              const base = target.taxable + target.exempt;
              const tax = o.exempt ? 0 : Math.floor(base * o.taxShare);
              const treatment = o.exempt ? ('exempt' as const) : ('taxable' as const);
              const certificate = o.withCertificate ? snapshot : null;
              const next: RevisedTreatment = {
                treatment,
                taxable: o.exempt ? 0 : base,
                exempt: o.exempt ? base : 0,
                tax,
                certificate,
                flags: entryFlags(treatment, tax, certificate !== null),
                address: target.address,
                addressSource: target.addressSource,
              };
              model.runs += 1;
              const runId = `run_${model.runs}`;
              step(
                (entries) =>
                  revisionEntries({ entries, invoiceId: 'in_H', jurisdiction: currentRevision(entriesBeforeRun(entries, runId).filter((e) => e.jurisdiction === target.jurisdiction && e.invoiceId === 'in_H'))!.jurisdiction, next, runId }, ctx),
                keep,
              );
              model.treatment.set(target.jurisdiction, { taxable: next.taxable, exempt: next.exempt, tax: next.tax });
              break;
            }
            case 'void':
              step((entries) => negationsForVoid({ entries, invoiceId: 'in_H', eventId: 'evt_void' }, ctx), keep);
              model.voided = true;
              break;
          }

          // 1. A filed period's entries (and so its totals) are identical after any later operation.
          expect(inFiled()).toEqual(filedEntries);
          expect(ledgerTotals(inFiled())).toEqual(filedTotals);

          // 2. Per invoice and jurisdiction, all entries sum to the current treatment less its credits.
          const all = store.all();
          for (const [jurisdiction, expected] of model.treatment) {
            const line = all.filter((e) => e.invoiceId === 'in_H' && e.jurisdiction === jurisdiction);
            const current = currentRevision(line);
            if (model.voided) {
              expect(current).toBeNull();
              expect(amountsOf(line)).toEqual({ taxable: 0, exempt: 0, tax: 0 });
              continue;
            }
            expect(current).not.toBeNull();
            expect({ taxable: current!.taxable, exempt: current!.exempt, tax: current!.tax }).toEqual(expected);
            const liveCredits = [...model.credits.entries()].filter(([, c]) => !c.voided);
            expect(activeCreditNotes(current!, line).map((c) => c.id).sort()).toEqual(liveCredits.map(([id]) => id).sort());
            const credits = amountsOf(familyOf(current!, line).filter((e) => e.kind === 'credit' || e.kind === 'credit_reversal'));
            const net = amountsOf(line);
            expect(net).toEqual({ taxable: expected.taxable + credits.taxable, exempt: expected.exempt + credits.exempt, tax: expected.tax + credits.tax });
            const creditedBase = liveCredits.reduce((a, [, c]) => a + c.totalExcludingTax, 0);
            for (const field of ['taxable', 'exempt', 'tax'] as const) {
              expect(within(-credits[field], expected[field])).toBe(true);
              const taxFollowsBase = field !== 'tax' || invoiceTax === 0 || liveCredits.every(([, c]) => c.tax === null);
              if (creditedBase >= total && taxFollowsBase) expect(net[field]).toBe(0);
            }
          }

          // 3. Every exempt current entry carries a certificate snapshot or an exposure flag.
          for (const entry of currentEntries(all)) {
            if (entry.treatment === 'exempt') expect(entry.certificate !== null || entry.flags.exposure).toBe(true);
          }

          // The bystander invoice is untouched, and no entry ever lands in a period that was filed when it was written.
          expect(all.filter((e) => e.invoiceId === 'in_Other')).toEqual(bystander);
          for (const entry of all) expect(entry.periodKey >= periodKey('2026-03-01', 'monthly')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
