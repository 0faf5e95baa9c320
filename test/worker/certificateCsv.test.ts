import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Clock } from '../../worker/src/clock.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient, type ApiResponse } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

/*
 * Certificates as CSV: the export, the import's dry run and the import, against the real
 * database. The round trip goes from one account into a fresh one; the import is matched
 * by external id, so running a file again changes nothing.
 */

const clock: Clock = { now: () => new Date('2026-05-12T12:00:00Z') };
const source: Tenant = { accountId: 'acct_1CsvSource00001', livemode: false };
const fresh: Tenant = { accountId: 'acct_1CsvFresh000001', livemode: false };
const bystander: Tenant = { accountId: 'acct_1CsvBystander01', livemode: false };

/** Columns that describe a record in its own account (its id, version, times, files): not carried by an import. */
const ACCOUNT_OWN_COLUMNS = new Set(['id', 'source', 'version', 'createdAt', 'updatedAt', 'files']);
const COLLECTIONS = ['certificates', 'certificate_history', 'certificate_external_ids'] as const;

interface ImportReport {
  dryRun: boolean;
  rows: Array<{ line: number; externalId: string; action: string; certificateId: string | null }>;
  errors: Array<{ line: number; field: string; message: string }>;
  counts: { create: number; update: number; unchanged: number; rejectedLines: number };
}
interface ErrorBody {
  error: { message: string; details?: Array<{ line?: number; field: string; message: string }> };
}
interface CertificateDetail {
  id: string;
  version: number;
  source: string;
  notes: string;
  archivedAt: string | null;
  archivedReason: string | null;
  jurisdictions: Array<{ code: string }>;
  history: Array<{ version: number; action: string; changes: Array<{ field: string }> }>;
}

type Row = Record<string, string>;

function rowsOf(csv: string): { header: string[]; rows: Row[] } {
  const [header = [], ...lines] = parse(csv, { bom: true }) as string[][];
  return { header, rows: lines.map((cells) => Object.fromEntries(header.map((name, index) => [name, cells[index] ?? '']))) };
}

/** The rows of the three fixture certificates, by customer (the export's order is by creation time, then id). */
function fixtureRows(rows: readonly Row[]): { acme: Row; other: Row; city: Row } {
  const byCustomer = (customerId: string): Row => {
    const row = rows.find((candidate) => candidate.customerId === customerId);
    if (row === undefined) throw new Error(`no row for ${customerId}`);
    return row;
  };
  return { acme: byCustomer('cus_Acme'), other: byCustomer('cus_Formula'), city: byCustomer('cus_City') };
}

function csvOf(header: readonly string[], rows: readonly Row[]): string {
  return stringify([[...header], ...rows.map((row) => header.map((name) => row[name] ?? ''))]);
}

/** What a row says about the certificate itself, without what belongs to the account it sits in. */
function portable(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([name]) => !ACCOUNT_OWN_COLUMNS.has(name)));
}

describe('certificates as CSV', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe();
  for (const tenant of [source, fresh, bystander]) {
    stripe
      .addCustomer(tenant, { id: 'cus_Acme', name: 'Acme Supply, Inc.', email: 'tax@acme.example' })
      .addCustomer(tenant, { id: 'cus_Formula', name: '=HYPERLINK("http://evil.example")', email: null })
      .addCustomer(tenant, { id: 'cus_City', name: 'City of Austin', email: 'ap@austin.example' });
  }

  async function sendCsv(tenant: Tenant, path: string, csv: string | Buffer, contentType = 'text/csv'): Promise<ApiResponse<ImportReport & ErrorBody>> {
    const response = await signedFetch(service.url ?? '', { method: 'POST', target: `/api/v1${path}`, body: csv, contentType }, api.as(tenant).identity);
    return { status: response.status, headers: response.headers, body: (await response.json()) as ImportReport & ErrorBody };
  }
  const dryRun = (tenant: Tenant, csv: string) => sendCsv(tenant, '/certificates/import/dry-run', csv);
  const importCsv = (tenant: Tenant, csv: string) => sendCsv(tenant, '/certificates/import', csv);

  async function exportOf(tenant: Tenant): Promise<string> {
    const response = await api.as(tenant).get<string>('/api/v1/certificates/export.csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    return response.body;
  }

  /** Every document the import could write, per collection. */
  async function documentCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const name of COLLECTIONS) counts[name] = await service.db.collection(name).countDocuments({});
    return counts;
  }

  let archivedId: string;
  let sourceExport: string;

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', source);
    const create = async (body: Record<string, unknown>) => {
      const response = await api.post<{ id: string }>('/api/v1/certificates', body);
      expect(response.status).toBe(201);
      return response.body.id;
    };
    await create({
      customerId: 'cus_Acme',
      reason: 'resale',
      form: 'sst_multistate',
      number: 'SST-0001',
      purchase: { type: 'blanket' },
      jurisdictions: [
        { code: 'US-TX', registrationId: '32012345678', effectiveDate: '2026-01-01', expirationDate: '2026-06-01' },
        { code: 'US-CA', registrationId: null, effectiveDate: '2026-02-01', expirationDate: null },
        { code: 'US-WA', registrationId: 'WA-9', effectiveDate: '2026-07-01', expirationDate: '2027-06-30' },
      ],
      notes: 'Line one, with a comma\nline "two" with quotes\n  indented — and ünïcödé  ',
    });
    await create({
      customerId: 'cus_Formula',
      reason: 'other',
      reasonOther: '-1 looks like a formula',
      form: 'other',
      purchase: { type: 'single_purchase', invoiceNumber: 'INV-42', poNumber: '@PO-7' },
      jurisdictions: [{ code: 'US-NY', effectiveDate: '2025-01-01', expirationDate: '2025-12-31' }],
      notes: '=1+1',
    });
    archivedId = await create({
      customerId: 'cus_City',
      reason: 'state_local_government',
      form: 'single_state',
      purchase: { type: 'single_purchase', poNumber: 'PO-1' },
      jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: null }],
    });
    expect((await api.post(`/api/v1/certificates/${archivedId}/archive`, { reason: 'Replaced by the 2026 form' })).status).toBe(200);
    sourceExport = await exportOf(source);
  });
  afterAll(() => service.dispose());

  it('exports one line per certificate with every field, jurisdictions in numbered column groups', async () => {
    const { header, rows } = rowsOf(sourceExport);
    // UTF-8 with a byte-order mark (fetch's text() drops it, so look at the bytes), as a download.
    const raw = await signedFetch(service.url ?? '', { method: 'GET', target: '/api/v1/certificates/export.csv' }, api.identity);
    expect([...new Uint8Array(await raw.arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(raw.headers.get('content-disposition')).toBe('attachment; filename=certificates-2026-05-12.csv');
    expect(header).toEqual([
      'externalId', 'id', 'customerId', 'customerName', 'customerEmail', 'status', 'nextExpirationDate',
      'reason', 'reasonOther', 'form', 'number', 'purchaseType', 'purchaseInvoiceNumber', 'purchasePoNumber',
      'jurisdiction1Code', 'jurisdiction1RegistrationId', 'jurisdiction1EffectiveDate', 'jurisdiction1ExpirationDate',
      'jurisdiction2Code', 'jurisdiction2RegistrationId', 'jurisdiction2EffectiveDate', 'jurisdiction2ExpirationDate',
      'jurisdiction3Code', 'jurisdiction3RegistrationId', 'jurisdiction3EffectiveDate', 'jurisdiction3ExpirationDate',
      'notes', 'archivedAt', 'archivedReason', 'source', 'version', 'createdAt', 'updatedAt', 'files',
    ]);
    expect(rows).toHaveLength(3);
    const { acme, other, city } = fixtureRows(rows);
    expect(acme).toMatchObject({
      customerName: 'Acme Supply, Inc.',
      status: 'expiring_soon',
      nextExpirationDate: '2026-06-01',
      jurisdiction2Code: 'US-CA',
      jurisdiction2RegistrationId: '',
      jurisdiction2ExpirationDate: '',
      jurisdiction3Code: 'US-WA',
      notes: 'Line one, with a comma\nline "two" with quotes\n  indented — and ünïcödé  ',
      version: '1',
      files: '[]',
    });
    expect(acme.externalId).toBe(acme.id);
    // Text a spreadsheet would run as a formula is written as text.
    expect(other).toMatchObject({ customerName: `'=HYPERLINK("http://evil.example")`, reasonOther: `'-1 looks like a formula`, purchasePoNumber: `'@PO-7`, notes: `'=1+1`, status: 'expired' });
    expect(city).toMatchObject({ status: 'archived', archivedReason: 'Replaced by the 2026 form', version: '2', jurisdiction2Code: '' });
    expect(city.archivedAt).toMatch(/^2026-05-12T12:00:00/);
  });

  it('imports into a fresh account exactly what was exported, after a dry run that writes nothing', async () => {
    const before = await documentCounts();
    const preview = await dryRun(fresh, sourceExport);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, errors: [], counts: { create: 3, update: 0, unchanged: 0, rejectedLines: 0 } });
    // Line numbers as an editor shows them: Acme's notes span three lines.
    let line = 2;
    const lines = rowsOf(sourceExport).rows.map((row) => {
      const start = line;
      line += 1 + (row.notes?.split('\n').length ?? 1) - 1;
      return start;
    });
    // (The export's order among certificates created at the same instant follows their random ids.)
    expect(rowsOf(sourceExport).rows.some((row) => row.notes?.split('\n').length === 3)).toBe(true);
    expect(preview.body.rows.map((row) => [row.line, row.action, row.certificateId])).toEqual(lines.map((start) => [start, 'create', null]));
    expect(preview.body.rows).toHaveLength(3);
    expect(await documentCounts()).toEqual(before);

    const imported = await importCsv(fresh, sourceExport);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ dryRun: false, errors: [], counts: { create: 3, update: 0, unchanged: 0 } });
    const freshExport = rowsOf(await exportOf(fresh));
    const sourceRows = rowsOf(sourceExport);
    expect(freshExport.header).toEqual(sourceRows.header);
    const byExternalId = (a: Row, b: Row) => ((a.externalId ?? '') < (b.externalId ?? '') ? -1 : 1);
    expect(freshExport.rows.map(portable).sort(byExternalId)).toEqual(sourceRows.rows.map(portable).sort(byExternalId));
    // New records of the fresh account: new ids, version 1, source import, history "imported".
    const [first] = imported.body.rows;
    const detail = await api.as(fresh).get<CertificateDetail>(`/api/v1/certificates/${first?.certificateId ?? ''}`);
    expect(detail.body).toMatchObject({ version: 1, source: 'import' });
    expect(detail.body.history.map((entry) => entry.action)).toEqual(['imported']);
    expect(freshExport.rows.every((row) => row.source === 'import' && !sourceRows.rows.some((s) => s.id === row.id))).toBe(true);
  });

  it('changes nothing when the same file is imported again, nor when an account re-imports its own export', async () => {
    const before = await documentCounts();
    for (const [tenant, csv] of [
      [fresh, sourceExport],
      [fresh, await exportOf(fresh)],
      [source, sourceExport],
    ] as const) {
      const again = await importCsv(tenant, csv);
      expect(again.status).toBe(200);
      expect(again.body.counts).toEqual({ create: 0, update: 0, unchanged: 3, rejectedLines: 0 });
    }
    expect(await documentCounts()).toEqual(before);
  });

  it('updates a changed row through the versioned path, keeping the history, and archives when the row says so', async () => {
    const { header, rows } = rowsOf(await exportOf(fresh));
    const { acme, other } = fixtureRows(rows);
    const changed = [
      { ...acme, notes: 'Checked by the auditor', jurisdiction3Code: '', jurisdiction3RegistrationId: '', jurisdiction3EffectiveDate: '', jurisdiction3ExpirationDate: '' },
      { ...other, archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: 'Expired form' },
    ];
    const preview = await dryRun(fresh, csvOf(header, changed));
    expect(preview.body.rows.map((row) => [row.action, row.certificateId])).toEqual([
      ['update', acme.id],
      ['update', other.id],
    ]);
    const result = await importCsv(fresh, csvOf(header, changed));
    expect(result.body.counts).toEqual({ create: 0, update: 2, unchanged: 0, rejectedLines: 0 });

    const acmeNow = (await api.as(fresh).get<CertificateDetail>(`/api/v1/certificates/${acme.id ?? ''}`)).body;
    expect(acmeNow).toMatchObject({ version: 2, notes: 'Checked by the auditor' });
    expect(acmeNow.jurisdictions.map((j) => j.code)).toEqual(['US-TX', 'US-CA']);
    expect(acmeNow.history.map((entry) => [entry.version, entry.action, entry.changes.map((c) => c.field)])).toEqual([
      [1, 'imported', expect.any(Array)],
      [2, 'imported', ['jurisdictions', 'notes']],
    ]);
    const otherNow = (await api.as(fresh).get<CertificateDetail>(`/api/v1/certificates/${other.id ?? ''}`)).body;
    expect(otherNow).toMatchObject({ version: 2, archivedReason: 'Expired form', archivedAt: '2026-05-12T12:00:00.000Z' });
    expect(otherNow.history.map((entry) => entry.action)).toEqual(['imported', 'archived']);

    // Now archived, the row may repeat the archive but not change the certificate.
    expect((await importCsv(fresh, csvOf(header, changed))).body.counts).toMatchObject({ unchanged: 2 });
    const refused = await dryRun(fresh, csvOf(header, [{ ...other, archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: 'Expired form', notes: 'late edit' }]));
    expect(refused.body.errors).toEqual([{ line: 2, field: 'archivedAt', message: expect.stringContaining('is archived and can no longer be changed') }]);
    const restore = await dryRun(fresh, csvOf(header, [other]));
    expect(restore.body.errors).toEqual([{ line: 2, field: 'archivedAt', message: expect.stringContaining('cannot be restored') }]);
  });

  it('lists every malformed row by line and column, and writes nothing even when asked to import', async () => {
    const { header, rows } = rowsOf(sourceExport);
    const { acme, other } = fixtureRows(rows);
    const base = { ...acme, notes: 'one line' };
    const single = { ...other, notes: 'one line' };
    const bad = [
      { ...base, externalId: 'new-1', reason: 'because', notes: 'two\nlines' }, // lines 2 and 3
      { ...base, externalId: 'new-2', jurisdiction2EffectiveDate: '2026-02-30' }, // line 4
      { ...base, externalId: '' }, // line 5
      { ...single, externalId: 'new-1' }, // line 6: already line 2's
      { ...base, externalId: 'new-3', customerId: 'cus_Nobody' }, // line 7
      { ...single, externalId: 'new-4', purchaseType: 'blanket' }, // line 8: numbers on a blanket certificate
      { ...base, externalId: 'new-5', jurisdiction1ExpirationDate: '2025-01-01' }, // line 9
      { ...base, externalId: 'new-6', archivedAt: '', archivedReason: 'why' }, // line 10
      { ...base, externalId: 'fine-1' }, // line 11: nothing wrong
    ];
    const csv = `${csvOf(header, bad)}${'x,'.repeat(3)}x\n`; // line 12: too few fields
    const before = await documentCounts();
    const preview = await dryRun(fresh, csv);
    expect(preview.status).toBe(200);
    expect(preview.body.errors).toEqual([
      { line: 2, field: 'reason', message: expect.stringContaining('because') },
      { line: 4, field: 'jurisdiction2EffectiveDate', message: expect.stringContaining('2026-02-30') },
      { line: 5, field: 'externalId', message: expect.stringContaining('must not be empty') },
      { line: 6, field: 'externalId', message: '"new-1" is already the external id of line 2' },
      { line: 7, field: 'customerId', message: 'no customer cus_Nobody in this Stripe account' },
      { line: 8, field: 'purchaseInvoiceNumber', message: expect.stringContaining('single-purchase') },
      { line: 8, field: 'purchasePoNumber', message: expect.stringContaining('single-purchase') },
      { line: 9, field: 'jurisdiction1ExpirationDate', message: 'expiration date 2025-01-01 is before effective date 2026-01-01' },
      { line: 10, field: 'archivedReason', message: expect.stringContaining('archivedAt') },
      { line: 12, field: '', message: `the row has 4 fields where the header has ${header.length}` },
    ]);
    expect(preview.body.counts).toEqual({ create: 1, update: 0, unchanged: 0, rejectedLines: 9 });
    expect(preview.body.rows).toEqual([{ line: 11, externalId: 'fine-1', action: 'create', certificateId: null }]);

    const refused = await importCsv(fresh, csv);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('9 lines');
    expect(refused.body.error.details).toEqual(preview.body.errors);
    expect(await documentCounts()).toEqual(before);
  });

  it('reports problems with the file itself: its header, its quoting, its type and its size', async () => {
    const { header } = rowsOf(sourceExport);
    const unknownColumn = await dryRun(fresh, csvOf([...header, 'colour'], []));
    expect(unknownColumn.body.errors).toEqual([{ line: 1, field: 'colour', message: expect.stringContaining('unknown column') }]);
    const missing = await dryRun(fresh, csvOf(header.filter((name) => name !== 'reason'), []));
    expect(missing.body.errors).toEqual([{ line: 1, field: 'reason', message: 'the column reason is missing' }]);
    const unclosed = await dryRun(fresh, `${header.join(',')}\nx,"never closed\n`);
    expect(unclosed.body.errors).toEqual([{ line: 2, field: '', message: expect.stringContaining('not readable as CSV') }]);
    expect((await importCsv(fresh, `${header.join(',')}\nx,"never closed\n`)).status).toBe(422);

    expect((await sendCsv(fresh, '/certificates/import', sourceExport, 'application/json')).status).toBe(415);
    expect((await sendCsv(fresh, '/certificates/import', sourceExport, 'text/csv; charset=latin1')).status).toBe(415);
    expect((await sendCsv(fresh, '/certificates/import', Buffer.from([0x22, 0xff, 0xfe, 0x22]))).status).toBe(400);
    const empty = await signedFetch(service.url ?? '', { method: 'POST', target: '/api/v1/certificates/import/dry-run' }, api.as(fresh).identity);
    expect(empty.status).toBe(400);
    const unknownParameter = await signedFetch(service.url ?? '', { method: 'POST', target: '/api/v1/certificates/import?dryRun=true', body: sourceExport, contentType: 'text/csv' }, api.as(fresh).identity);
    expect(unknownParameter.status).toBe(400);
    expect((await api.get('/api/v1/certificates/export.csv?status=active')).status).toBe(400);

    const tooMany = `${csvOf(header, [])}${'\n'.repeat(0)}${Array.from({ length: 5001 }, (_, i) => `x${i}`).join('\n')}\n`;
    expect((await dryRun(fresh, tooMany)).status).toBe(413);
  });

  it('finishes an import cut short, and imports a file sent twice at once only once', async () => {
    const { header, rows } = rowsOf(sourceExport);
    const { acme } = fixtureRows(rows);
    const row = (externalId: string) => ({ ...acme, externalId, notes: externalId });
    // A run that claimed the external id and died before writing the certificate.
    const claimedId = 'cert_0123456789abcdef01234567';
    await service.db.collection<{ _id: string; accountId: string; livemode: boolean; externalId: string; certificateId: string; claimedAt: string }>('certificate_external_ids').insertOne({
      _id: `${fresh.accountId}:false:half-1`,
      accountId: fresh.accountId,
      livemode: false,
      externalId: 'half-1',
      certificateId: claimedId,
      claimedAt: '2026-05-12T11:00:00.000Z',
    });
    const finished = await importCsv(fresh, csvOf(header, [row('half-1')]));
    expect(finished.body.rows).toEqual([{ line: 2, externalId: 'half-1', action: 'create', certificateId: claimedId }]);
    expect((await importCsv(fresh, csvOf(header, [row('half-1')]))).body.counts).toMatchObject({ unchanged: 1 });

    const twice = csvOf(header, [row('race-1'), row('race-2'), row('race-3')]);
    const answers = await Promise.all([importCsv(fresh, twice), importCsv(fresh, twice)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const ids = answers.map((answer) => answer.body.rows.map((r) => r.certificateId));
    expect(ids[0]).toEqual(ids[1]);
    const raced = await service.db.collection('certificates').countDocuments({ accountId: fresh.accountId, notes: { $in: ['race-1', 'race-2', 'race-3'] } });
    expect(raced).toBe(3);
  });

  it('never shows or touches another account’s certificates', async () => {
    const bystanderExport = rowsOf(await exportOf(bystander));
    expect(bystanderExport.rows).toEqual([]);
    expect(rowsOf(await exportOf({ ...source, livemode: true })).rows).toEqual([]);

    // The source account's ids, imported elsewhere, name nothing there: the bystander gets certificates of its own.
    const before = rowsOf(await exportOf(source));
    const imported = await importCsv(bystander, sourceExport);
    expect(imported.body.counts).toMatchObject({ create: 3 });
    expect(imported.body.rows.every((row) => !before.rows.some((s) => s.id === row.certificateId))).toBe(true);
    expect(rowsOf(await exportOf(source))).toEqual(before);
    const freshIds = rowsOf(await exportOf(fresh)).rows.map((row) => row.id);
    expect(imported.body.rows.every((row) => !freshIds.includes(row.certificateId ?? ''))).toBe(true);
  });
});
