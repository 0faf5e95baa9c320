import fc from 'fast-check';
import {
  CertificateCustomerMismatchError,
  InvalidLedgerInputError,
  entriesForInvoice,
  ledgerEntrySchema,
  ledgerTotals,
} from '../../shared/src/index.js';
import { sampleCertificate } from './arbitraries.js';
import { context, dallas, invoice, taxRow } from './ledgerFixtures.js';

// A Texas resale certificate effective 2026-01-01 with no expiry (from the shared arbitraries).
const texasCertificate = sampleCertificate();

const exemptTexasInvoice = invoice({
  customerTaxExempt: 'exempt',
  taxes: [
    taxRow({ jurisdiction: 'US-TX', level: 'state', amount: 0, taxabilityReason: 'customer_exempt' }),
    taxRow({ jurisdiction: 'US-TX', level: 'city', amount: 0, taxabilityReason: 'customer_exempt' }),
  ],
});

function record(facts = invoice(), certificates = [texasCertificate]) {
  return entriesForInvoice({ invoice: facts, certificates, eventId: 'evt_finalized' }, context());
}

describe('recording a finalized invoice', () => {
  it('writes one entry per jurisdiction with exact amounts: the base once per jurisdiction, state and local tax added', () => {
    const entries = record(
      invoice({
        invoiceId: 'in_multi',
        totalExcludingTax: 15_000,
        taxes: [
          taxRow({ jurisdiction: 'US-TX', level: 'state', taxableAmount: 10_000, amount: 625 }),
          taxRow({ jurisdiction: 'US-TX', level: 'city', taxableAmount: 10_000, amount: 200 }),
          taxRow({ jurisdiction: 'US-CA', level: 'state', taxableAmount: 5_000, amount: 363 }),
          taxRow({ jurisdiction: 'US-CA', level: 'district', taxableAmount: 5_000, amount: 50 }),
        ],
      }),
      [],
    );
    expect(entries.map((e) => [e.id, e.jurisdiction, e.taxable, e.exempt, e.tax])).toEqual([
      ['in_multi:US-CA', 'US-CA', 5_000, 0, 413],
      ['in_multi:US-TX', 'US-TX', 10_000, 0, 825],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        kind: 'original',
        revision: 1,
        negates: null,
        supersedes: null,
        currency: 'usd',
        transactionDate: '2026-05-02',
        periodKey: '2026-05',
        treatment: 'taxable',
        certificate: null,
        flags: { exposure: false, overCollection: false },
        address: dallas,
        addressSource: 'shipping',
        invoiceAmounts: { totalExcludingTax: 15_000, tax: 1_238 },
        cause: 'invoice.finalized',
        causeId: 'evt_finalized',
      });
    }
    expect(ledgerTotals(entries, [])).toEqual([
      { currency: 'usd', taxable: 15_000, exempt: 0, tax: 1_238, exposedExempt: 0, overCollectedTax: 0, entries: 2 },
    ]);
  });

  it('books an exempt customer’s sale as exempt with the covering certificate’s snapshot, and raises no flag', () => {
    const [entry] = record(exemptTexasInvoice);
    expect(entry).toMatchObject({ taxable: 0, exempt: 10_000, tax: 0, treatment: 'exempt', flags: { exposure: false, overCollection: false } });
    expect(entry?.certificate).toEqual({
      id: 'cert_sample',
      version: 1,
      number: '1-23-456789-0',
      reason: 'resale',
      reasonOther: null,
      form: 'single_state',
      purchase: { type: 'blanket' },
      jurisdiction: { code: 'US-TX', registrationId: '32012345678', effectiveDate: '2026-01-01', expirationDate: null },
    });
  });

  it('keeps the snapshot as it was: editing the certificate afterwards does not change an entry already computed', () => {
    const certificate = structuredClone(texasCertificate);
    const [entry] = record(exemptTexasInvoice, [certificate]);
    certificate.number = 'CHANGED';
    certificate.jurisdictions[0]!.registrationId = 'CHANGED';
    expect(entry?.certificate?.number).toBe('1-23-456789-0');
    expect(entry?.certificate?.jurisdiction.registrationId).toBe('32012345678');
  });

  it('flags exposure when the customer went out exempt with no certificate at all', () => {
    const [entry] = record(exemptTexasInvoice, []);
    expect(entry).toMatchObject({ exempt: 10_000, certificate: null, flags: { exposure: true, overCollection: false } });
  });

  it('flags exposure when the only certificate is for another state, not yet effective, expired, archived, or for another purchase', () => {
    const texas = texasCertificate.jurisdictions[0]!;
    const uncovering = [
      sampleCertificate({ jurisdictions: [{ ...texas, code: 'US-CA' }] }),
      sampleCertificate({ jurisdictions: [{ ...texas, effectiveDate: '2026-05-03' }] }),
      sampleCertificate({ jurisdictions: [{ ...texas, effectiveDate: '2025-01-01', expirationDate: '2026-05-01' }] }),
      sampleCertificate({ archivedAt: '2026-04-01T00:00:00.000Z', archivedReason: 'replaced' }),
      sampleCertificate({ purchase: { type: 'single_purchase', invoiceNumber: 'INV-9999', poNumber: null } }),
    ];
    for (const certificate of uncovering) {
      const [entry] = record(exemptTexasInvoice, [certificate]);
      expect(entry).toMatchObject({ certificate: null, flags: { exposure: true, overCollection: false } });
    }
  });

  it('counts the certificate’s last valid day and a single-purchase certificate naming the invoice’s PO as covering', () => {
    const texas = texasCertificate.jurisdictions[0]!;
    const lastDay = sampleCertificate({ jurisdictions: [{ ...texas, expirationDate: '2026-05-02' }] });
    const byPo = sampleCertificate({ purchase: { type: 'single_purchase', invoiceNumber: null, poNumber: 'PO-77' } });
    expect(record(exemptTexasInvoice, [lastDay])[0]?.flags).toEqual({ exposure: false, overCollection: false });
    expect(record({ ...exemptTexasInvoice, purchaseOrder: 'PO-77' }, [byPo])[0]?.flags).toEqual({ exposure: false, overCollection: false });
  });

  it('flags over-collection when tax was charged although a valid certificate covered the sale', () => {
    const [entry] = record(invoice(), [texasCertificate]);
    expect(entry).toMatchObject({ taxable: 10_000, tax: 825, treatment: 'taxable', flags: { exposure: false, overCollection: true } });
    expect(entry?.certificate?.id).toBe('cert_sample');
    expect(ledgerTotals([entry!], [])[0]?.overCollectedTax).toBe(825);
  });

  it('raises neither flag on a reverse-charge invoice, covered or not', () => {
    const reverse = invoice({ customerTaxExempt: 'reverse', taxes: [taxRow({ jurisdiction: 'US-TX', amount: 0, taxabilityReason: 'reverse_charge' })] });
    for (const certificates of [[], [texasCertificate]]) {
      expect(record(reverse, certificates)[0]).toMatchObject({ treatment: 'reverse_charge', taxable: 10_000, flags: { exposure: false, overCollection: false } });
    }
  });

  it('treats a jurisdiction as exempt when its rows say customer_exempt, and falls back to the invoice total when they report no taxable amount', () => {
    const facts = invoice({
      taxes: [
        taxRow({ jurisdiction: 'US-TX', level: 'state', taxableAmount: null, amount: 0, taxabilityReason: 'customer_exempt' }),
        taxRow({ jurisdiction: 'US-TX', level: 'city', taxableAmount: 0, amount: 0, taxabilityReason: 'customer_exempt' }),
      ],
    });
    expect(record(facts)[0]).toMatchObject({ treatment: 'exempt', taxable: 0, exempt: 10_000, tax: 0, taxabilityReasons: ['customer_exempt'] });
  });

  it('records a zero-tax invoice with no tax rows under the address jurisdiction, exempt when the customer was', () => {
    const untaxed = invoice({ taxes: [], customerTaxExempt: 'exempt' });
    expect(record(untaxed)).toEqual([
      expect.objectContaining({ id: 'in_A:US-TX', jurisdiction: 'US-TX', taxable: 0, exempt: 10_000, tax: 0, flags: { exposure: false, overCollection: false } }),
    ]);
    expect(record(invoice({ taxes: [] }))).toEqual([expect.objectContaining({ taxable: 10_000, exempt: 0, tax: 0 })]);
  });

  it('records an invoice with no known jurisdiction as one entry under "none", exposure if it went out exempt', () => {
    const nowhere = invoice({ taxes: [], address: null, addressSource: null, addressJurisdiction: null, customerTaxExempt: 'exempt' });
    expect(record(nowhere)).toEqual([
      expect.objectContaining({ id: 'in_A:none', jurisdiction: null, exempt: 10_000, flags: { exposure: true, overCollection: false } }),
    ]);
  });

  it('gives the same entries, ids included, every time the same event is processed', () => {
    fc.assert(
      fc.property(
        fc.record({
          total: fc.integer({ min: 0, max: 10_000_000 }),
          exempt: fc.constantFrom('none', 'exempt', 'reverse') as fc.Arbitrary<'none' | 'exempt' | 'reverse'>,
          rows: fc.array(
            fc.record({
              jurisdiction: fc.constantFrom('US-TX', 'US-CA', 'US-NY', null) as fc.Arbitrary<'US-TX' | 'US-CA' | 'US-NY' | null>,
              level: fc.constantFrom('state', 'county', 'city', 'district'),
              taxableAmount: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null }),
              amount: fc.integer({ min: 0, max: 1_000_000 }),
              taxabilityReason: fc.constantFrom('standard_rated', 'customer_exempt', 'not_collecting', null),
            }),
            { maxLength: 8 },
          ),
        }),
        ({ total, exempt, rows }) => {
          const facts = invoice({ totalExcludingTax: total, customerTaxExempt: exempt, taxes: rows });
          const first = record(facts);
          const again = record(structuredClone(facts));
          expect(again).toEqual(first);
          const ids = first.map((e) => e.id);
          expect(new Set(ids).size).toBe(ids.length);
          const jurisdictions = new Set(rows.map((r) => r.jurisdiction));
          expect(first).toHaveLength(rows.length === 0 ? 1 : jurisdictions.size);
          for (const entry of first) {
            expect(entry.id).toBe(`in_A:${entry.jurisdiction ?? 'none'}`);
            // Stored and read back, an entry parses to itself.
            expect(ledgerEntrySchema.parse({ _id: entry.id, accountId: 'acct_test', livemode: false, ...entry })).toEqual(entry);
            // Exactly one of taxable and exempt carries the base.
            expect(entry.taxable === 0 || entry.exempt === 0).toBe(true);
            // Invariant: an exempt entry carries its evidence or is flagged.
            if (entry.treatment === 'exempt') expect(entry.certificate !== null || entry.flags.exposure).toBe(true);
          }
          const tax = rows.reduce((sum, r) => sum + r.amount, 0);
          expect(first.reduce((sum, e) => sum + e.tax, 0)).toBe(tax);
        },
      ),
    );
  });

  it('rejects facts the worker mapped wrongly, saying what is wrong, and never applies another customer’s certificate', () => {
    expect(() => record(invoice({ totalExcludingTax: 10.5 }))).toThrow(InvalidLedgerInputError);
    expect(() => record(invoice({ currency: 'dollars' }))).toThrow(/currency/);
    expect(() => record(invoice({ taxes: [taxRow({ jurisdiction: 'US-ZZ' as 'US-TX', amount: 1 })] }))).toThrow(/unknown jurisdiction/);
    expect(() => record(invoice({ invoiceId: 'in_A:US-TX' }))).toThrow(/invoice id/);
    expect(() => entriesForInvoice({ invoice: invoice(), certificates: [], eventId: 'evt:1' }, context())).toThrow(InvalidLedgerInputError);
    expect(() => record(invoice(), [sampleCertificate({ customerId: 'cus_other' })])).toThrow(CertificateCustomerMismatchError);
  });
});
