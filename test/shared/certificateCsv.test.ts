import fc from 'fast-check';
import type { Certificate, CsvRecord } from '../../shared/src/index.js';
import { certificateCsv, guardCsvCell, importDecision, importedCertificate, readCertificateCsv, unguardCsvCell } from '../../shared/src/index.js';
import { certificate as certificateArbitrary, sampleCertificate } from './arbitraries.js';

const basis = { today: '2026-05-12', windowDays: 30 };

/** The table as the CSV parser would hand it back: header on line 1, one line per row (no cell here spans lines). */
function recordsOf(table: { header: readonly string[]; rows: readonly (readonly string[])[] }): CsvRecord[] {
  return [{ line: 1, cells: [...table.header] }, ...table.rows.map((cells, index) => ({ line: index + 2, cells: [...cells] }))];
}

function roundTrip(certificates: readonly Certificate[]) {
  const table = certificateCsv(
    certificates.map((certificate) => ({ certificate, customer: { name: 'Acme', email: null }, externalId: `ext-${certificate.id}` })),
    basis,
  );
  return readCertificateCsv(recordsOf(table));
}

/** Text as a person types it into a field the schema trims: no surrounding spaces, never empty. */
const trimmedText = (maxLength: number) =>
  fc
    .string({ minLength: 1, maxLength, unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '"', "'", '=', '+', '-', '@', 'é', '\n', ';') })
    .map((value) => value.trim())
    .filter((value) => value !== '');

const richCertificate = fc
  .record({
    base: certificateArbitrary(),
    number: fc.option(trimmedText(20), { nil: null }),
    notes: fc.string({ maxLength: 80, unit: fc.constantFrom('a', ' ', '\t', '\n', '\r\n', ',', '"', "'", '=', '+', '-', '@', 'ü') }),
    other: fc.option(trimmedText(30), { nil: null }),
    archivedReason: fc.option(trimmedText(30), { nil: null }),
    registrationId: fc.option(trimmedText(12), { nil: null }),
  })
  .map(({ base, number, notes, other, archivedReason, registrationId }): Certificate => ({
    ...base,
    number,
    notes,
    ...(other === null ? {} : { reason: 'other', reasonOther: other }),
    archivedReason: base.archivedAt === null ? null : archivedReason,
    jurisdictions: base.jurisdictions.map((jurisdiction, index) => (index === 0 ? { ...jurisdiction, registrationId } : jurisdiction)),
  }));

describe('formula guards on CSV cells', () => {
  it('writes text a spreadsheet would run as text, and reads back exactly what was written', () => {
    expect(guardCsvCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(guardCsvCell('-1')).toBe("'-1");
    expect(guardCsvCell("'=x")).toBe("''=x");
    expect(guardCsvCell("it's fine")).toBe("it's fine");
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', "'", '=', '+', '-', '@', '\t', '\r', ' ') }), (value) => unguardCsvCell(guardCsvCell(value)) === value));
  });
});

describe('certificates as CSV rows', () => {
  it('reads back every field an import carries, for any certificate', () => {
    fc.assert(
      fc.property(fc.uniqueArray(richCertificate, { minLength: 1, maxLength: 4, selector: (certificate) => certificate.id }), (certificates) => {
        const { rows, problems } = roundTrip(certificates);
        expect(problems).toEqual([]);
        expect(rows.map((row) => ({ externalId: row.externalId, ...row.input, archived: row.archived }))).toEqual(
          certificates.map((c) => ({
            externalId: `ext-${c.id}`,
            customerId: c.customerId,
            reason: c.reason,
            reasonOther: c.reasonOther,
            form: c.form,
            number: c.number,
            purchase: c.purchase,
            jurisdictions: c.jurisdictions,
            notes: c.notes,
            archived: c.archivedAt === null ? null : { at: c.archivedAt, reason: c.archivedReason },
          })),
        );
        // And an import of the row into an empty account creates that same certificate.
        rows.forEach((row, index) => {
          const original = certificates[index];
          if (original === undefined) throw new Error('one row per certificate');
          const created = importedCertificate(row, { id: 'cert_new', accountId: 'acct_other', livemode: false, now: '2026-05-12T00:00:00.000Z' });
          const { id: _a, accountId: _b, source: _c, createdAt: _d, updatedAt: _e, files: _f, ...content } = created;
          const { id: _g, accountId: _h, source: _i, createdAt: _j, updatedAt: _k, files: _l, ...expected } = original;
          expect(content).toEqual(expected);
          expect(importDecision(row, original)).toEqual({ action: 'unchanged' });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('flattens jurisdictions into as many numbered groups as the longest certificate needs', () => {
    const two = sampleCertificate({
      id: 'cert_two',
      jurisdictions: [
        { code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null },
        { code: 'US-CA', registrationId: 'CA-1', effectiveDate: '2026-02-01', expirationDate: '2027-01-31' },
      ],
    });
    const table = certificateCsv(
      [two, sampleCertificate()].map((certificate) => ({ certificate, customer: { name: null, email: null }, externalId: certificate.id })),
      basis,
    );
    expect(table.header.filter((name) => name.startsWith('jurisdiction'))).toEqual([
      'jurisdiction1Code',
      'jurisdiction1RegistrationId',
      'jurisdiction1EffectiveDate',
      'jurisdiction1ExpirationDate',
      'jurisdiction2Code',
      'jurisdiction2RegistrationId',
      'jurisdiction2EffectiveDate',
      'jurisdiction2ExpirationDate',
    ]);
    const second = table.rows[1] ?? [];
    expect(table.header.map((name, index) => [name, second[index]]).filter(([name]) => name?.startsWith('jurisdiction2'))).toEqual([
      ['jurisdiction2Code', ''],
      ['jurisdiction2RegistrationId', ''],
      ['jurisdiction2EffectiveDate', ''],
      ['jurisdiction2ExpirationDate', ''],
    ]);
  });

  it('accepts the import columns alone, in any order, with blank jurisdiction groups skipped', () => {
    const header = ['jurisdiction2Code', 'jurisdiction2EffectiveDate', 'externalId', 'customerId', 'reason', 'form', 'purchaseType', 'jurisdiction1Code', 'jurisdiction1EffectiveDate'];
    const { rows, problems } = readCertificateCsv([
      { line: 1, cells: header },
      { line: 2, cells: ['us-ca', '2026-03-01', ' row-1 ', 'cus_A', 'resale', 'single_state', 'blanket', '', ''] },
    ]);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        externalId: 'row-1',
        input: {
          customerId: 'cus_A',
          reason: 'resale',
          reasonOther: null,
          form: 'single_state',
          number: null,
          purchase: { type: 'blanket' },
          jurisdictions: [{ code: 'US-CA', registrationId: null, effectiveDate: '2026-03-01', expirationDate: null }],
          notes: '',
        },
        archived: null,
      },
    ]);
  });

  it('names the line and the column of every mistake', () => {
    const header = ['externalId', 'customerId', 'reason', 'reasonOther', 'form', 'purchaseType', 'jurisdiction1Code', 'jurisdiction1EffectiveDate', 'jurisdiction1ExpirationDate', 'jurisdiction3Code', 'jurisdiction3EffectiveDate'];
    const { rows, problems } = readCertificateCsv([
      { line: 1, cells: header },
      { line: 2, cells: ['a', 'cus_A', 'other', '', 'single_state', 'blanket', 'US-TX', '2026-01-01', '', '', ''] },
      { line: 3, cells: ['b', 'acme', 'resale', '', 'single_state', 'single_purchase', 'US-TX', '2026-01-01', '', 'US-TX', '2026-01-01'] },
      { line: 5, cells: ['c', 'cus_A', 'resale', '', 'single_state', 'blanket', '', '', '', '', ''] },
    ]);
    expect(rows).toEqual([]);
    expect(problems).toEqual([
      { line: 2, field: 'reasonOther', message: 'explain the exemption when the reason is other' },
      { line: 3, field: 'customerId', message: 'must be a Stripe customer id (cus_…)' },
      { line: 3, field: 'purchaseInvoiceNumber', message: 'a single-purchase certificate needs the invoice number or the purchase-order number it covers' },
      { line: 3, field: 'jurisdiction3Code', message: 'jurisdiction US-TX is listed more than once' },
      { line: 5, field: 'jurisdiction1Code', message: 'a certificate must cover at least one jurisdiction' },
    ]);
  });

  it('refuses a header with unknown, repeated or missing columns, before reading any row', () => {
    const { rows, problems } = readCertificateCsv([
      { line: 1, cells: ['externalId', 'externalId', 'customerId', 'reason', 'form', 'purchaseType', 'jurisdiction1Code', 'jurisdiction1EffectiveDate', 'colour'] },
      { line: 2, cells: ['a'] },
    ]);
    expect(rows).toEqual([]);
    expect(problems.map((problem) => [problem.line, problem.field])).toEqual([
      [1, 'externalId'],
      [1, 'colour'],
    ]);
    expect(readCertificateCsv([]).problems).toEqual([{ line: 1, field: '', message: expect.stringContaining('empty') }]);
    expect(readCertificateCsv([{ line: 1, cells: ['externalId'] }]).problems.map((problem) => problem.field)).toEqual([
      'customerId',
      'reason',
      'form',
      'purchaseType',
      'jurisdiction1Code',
      'jurisdiction1EffectiveDate',
    ]);
  });
});

describe('what importing a row does to the certificate it matches', () => {
  const stored = sampleCertificate({ id: 'cert_1', notes: 'old' });
  const rowFor = (certificate: Certificate, archived: { at: string; reason: string | null } | null = null) => {
    const { rows } = roundTrip([certificate]);
    const row = rows[0];
    if (row === undefined) throw new Error('a row');
    return { ...row, archived };
  };

  it('creates what has no match, and leaves an identical certificate alone', () => {
    expect(importDecision(rowFor(stored), null)).toEqual({ action: 'create' });
    expect(importDecision(rowFor(stored), stored)).toEqual({ action: 'unchanged' });
  });

  it('edits only the groups that changed, then archives when the row is archived', () => {
    const changed = { ...stored, notes: 'new', number: 'N-2' };
    expect(importDecision(rowFor(changed), stored)).toEqual({
      action: 'update',
      patch: { details: { reason: 'resale', reasonOther: null, form: 'single_state', number: 'N-2', purchase: { type: 'blanket' } }, notes: 'new' },
      archive: null,
    });
    expect(importDecision(rowFor(stored, { at: '2026-05-01T00:00:00.000Z', reason: 'Lapsed' }), stored)).toEqual({ action: 'update', patch: null, archive: { reason: 'Lapsed' } });
  });

  it('keeps a certificate with its customer, and an archived one as it was withdrawn', () => {
    expect(importDecision(rowFor({ ...stored, customerId: 'cus_other' }), stored)).toMatchObject({ action: 'refuse', field: 'customerId' });
    const archived = { ...stored, archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: 'Lapsed' };
    expect(importDecision(rowFor(stored, { at: '2026-05-02T00:00:00.000Z', reason: 'Lapsed' }), archived)).toEqual({ action: 'unchanged' });
    expect(importDecision(rowFor(stored), archived)).toMatchObject({ action: 'refuse', field: 'archivedAt', message: expect.stringContaining('cannot be restored') });
    expect(importDecision(rowFor({ ...stored, notes: 'x' }, { at: '2026-05-01T00:00:00.000Z', reason: 'Lapsed' }), archived)).toMatchObject({
      action: 'refuse',
      message: expect.stringContaining('this row changes notes'),
    });
  });
});
