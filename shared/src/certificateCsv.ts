import * as z from 'zod';
import type { Certificate, CertificateInput, Purchase } from './certificate.js';
import { certificateInputSchema, certificateLimits } from './certificate.js';
import { csvTable, unguardCsvCell, type CsvColumn, type CsvTable } from './csvTable.js';
import type { CalendarDate, Instant } from './dates.js';
import { instantSchema } from './dates.js';
import { certificateStatus, nextExpirationDate } from './status.js';

/*
 * Certificates as CSV: one line per certificate, jurisdictions flattened into numbered
 * column groups (`jurisdiction1Code`, `jurisdiction1RegistrationId`,
 * `jurisdiction1EffectiveDate`, `jurisdiction1ExpirationDate`, then `jurisdiction2…`), as
 * many groups as the certificate with the most jurisdictions needs. One line per
 * certificate keeps a line number meaning one certificate, so the import's errors point at
 * the row to fix.
 *
 * Cells: an empty cell is null (none of the nullable text fields accepts an empty string,
 * so nothing is lost), `notes` is kept exactly as written (not trimmed), every other cell is
 * trimmed. `externalId` is the key an import matches rows by.
 *
 * Columns the import reads: externalId, customerId, reason, reasonOther, form, number,
 * purchaseType, purchaseInvoiceNumber, purchasePoNumber, the jurisdiction groups, notes,
 * archivedAt, archivedReason. Columns that describe the record in the account it was
 * exported from — id, customerName, customerEmail, status, nextExpirationDate, source,
 * version, createdAt, updatedAt, files — are accepted and ignored, so an export imports
 * as it is. Any other column is refused, since a misspelt header would otherwise drop data.
 */

const jurisdictionFields = ['Code', 'RegistrationId', 'EffectiveDate', 'ExpirationDate'] as const;
type JurisdictionField = (typeof jurisdictionFields)[number];

export function jurisdictionColumn(group: number, field: JurisdictionField): string {
  return `jurisdiction${group}${field}`;
}

const jurisdictionColumnPattern = /^jurisdiction([1-9][0-9]{0,2})(Code|RegistrationId|EffectiveDate|ExpirationDate)$/;

export const certificateCsvImportColumns = [
  'externalId',
  'customerId',
  'reason',
  'reasonOther',
  'form',
  'number',
  'purchaseType',
  'purchaseInvoiceNumber',
  'purchasePoNumber',
  'notes',
  'archivedAt',
  'archivedReason',
] as const;

export const certificateCsvDescriptiveColumns = [
  'id',
  'customerName',
  'customerEmail',
  'status',
  'nextExpirationDate',
  'source',
  'version',
  'createdAt',
  'updatedAt',
  'files',
] as const;

const requiredColumns = ['externalId', 'customerId', 'reason', 'form', 'purchaseType', 'jurisdiction1Code', 'jurisdiction1EffectiveDate'] as const;

// ---------------------------------------------------------------------------------------
// Export

export interface CertificateCsvSource {
  readonly certificate: Certificate;
  readonly customer: { readonly name: string | null; readonly email: string | null };
  /** The key the row imports back under: the id it was imported with, else the certificate's own id. */
  readonly externalId: string;
}

type ExportRow = CertificateCsvSource & { readonly today: CalendarDate; readonly windowDays: number };

function jurisdictionColumns(groups: number): CsvColumn<ExportRow>[] {
  const columns: CsvColumn<ExportRow>[] = [];
  for (let group = 1; group <= groups; group += 1) {
    const at = (row: ExportRow) => row.certificate.jurisdictions[group - 1];
    columns.push(
      { header: jurisdictionColumn(group, 'Code'), value: (row) => at(row)?.code ?? null },
      { header: jurisdictionColumn(group, 'RegistrationId'), value: (row) => at(row)?.registrationId ?? null },
      { header: jurisdictionColumn(group, 'EffectiveDate'), value: (row) => at(row)?.effectiveDate ?? null },
      { header: jurisdictionColumn(group, 'ExpirationDate'), value: (row) => at(row)?.expirationDate ?? null },
    );
  }
  return columns;
}

function purchaseNumbers(purchase: Purchase): { invoiceNumber: string | null; poNumber: string | null } {
  return purchase.type === 'single_purchase' ? purchase : { invoiceNumber: null, poNumber: null };
}

function exportColumns(groups: number): CsvColumn<ExportRow>[] {
  return [
    { header: 'externalId', value: (row) => row.externalId },
    { header: 'id', value: (row) => row.certificate.id },
    { header: 'customerId', value: (row) => row.certificate.customerId },
    { header: 'customerName', value: (row) => row.customer.name },
    { header: 'customerEmail', value: (row) => row.customer.email },
    { header: 'status', value: (row) => certificateStatus(row.certificate, row.today, row.windowDays) },
    { header: 'nextExpirationDate', value: (row) => nextExpirationDate(row.certificate, row.today) },
    { header: 'reason', value: (row) => row.certificate.reason },
    { header: 'reasonOther', value: (row) => row.certificate.reasonOther },
    { header: 'form', value: (row) => row.certificate.form },
    { header: 'number', value: (row) => row.certificate.number },
    { header: 'purchaseType', value: (row) => row.certificate.purchase.type },
    { header: 'purchaseInvoiceNumber', value: (row) => purchaseNumbers(row.certificate.purchase).invoiceNumber },
    { header: 'purchasePoNumber', value: (row) => purchaseNumbers(row.certificate.purchase).poNumber },
    ...jurisdictionColumns(groups),
    { header: 'notes', value: (row) => row.certificate.notes },
    { header: 'archivedAt', value: (row) => row.certificate.archivedAt },
    { header: 'archivedReason', value: (row) => row.certificate.archivedReason },
    { header: 'source', value: (row) => row.certificate.source },
    { header: 'version', value: (row) => row.certificate.version },
    { header: 'createdAt', value: (row) => row.certificate.createdAt },
    { header: 'updatedAt', value: (row) => row.certificate.updatedAt },
    // File metadata as JSON: the bytes cannot travel in a CSV, so this column is for the reader only.
    { header: 'files', value: (row) => JSON.stringify(row.certificate.files) },
  ];
}

/** Every certificate as one CSV line, statuses as of `today` with the account's expiring-soon window. */
export function certificateCsv(sources: readonly CertificateCsvSource[], basis: { readonly today: CalendarDate; readonly windowDays: number }): CsvTable {
  const groups = Math.max(1, ...sources.map((source) => source.certificate.jurisdictions.length));
  return csvTable(
    exportColumns(groups),
    sources.map((source) => ({ ...source, ...basis })),
  );
}

// ---------------------------------------------------------------------------------------
// Import

/** One parsed CSV record and the line it starts on (line 1 is the header). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/** What is wrong, where: the line, the column (empty for the line as a whole), and why. */
export interface CsvProblem {
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

/** A row that passed every check a row can pass on its own. */
export interface CertificateImportRow {
  readonly line: number;
  readonly externalId: string;
  readonly input: CertificateInput;
  /** Set when the row describes an archived certificate. */
  readonly archived: { readonly at: Instant; readonly reason: string | null } | null;
}

export const certificateCsvLimits = { externalIdLength: 200, rows: 5000 } as const;

export const externalIdSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty: every row needs the id it is matched by on a re-import' })
  .max(certificateCsvLimits.externalIdLength, { error: `must be at most ${certificateCsvLimits.externalIdLength} characters` })
  .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });

const archiveSchema = z
  .strictObject({
    archivedAt: instantSchema.nullable(),
    archivedReason: z.string().max(certificateLimits.archivedReasonLength, { error: `must be at most ${certificateLimits.archivedReasonLength} characters` }).nullable(),
  })
  .refine((archive) => archive.archivedAt !== null || archive.archivedReason === null, {
    path: ['archivedReason'],
    error: 'only an archived certificate has an archive reason: set archivedAt too',
  });

interface Header {
  /** Column name → position. */
  readonly index: ReadonlyMap<string, number>;
  /** The jurisdiction group numbers present, ascending. */
  readonly groups: readonly number[];
}

function readHeader(header: CsvRecord): { header: Header; problems: CsvProblem[] } {
  const problems: CsvProblem[] = [];
  const index = new Map<string, number>();
  const groups = new Set<number>();
  const known = new Set<string>([...certificateCsvImportColumns, ...certificateCsvDescriptiveColumns]);
  header.cells.forEach((raw, position) => {
    const name = raw.trim();
    if (index.has(name)) {
      problems.push({ line: header.line, field: name, message: `the column ${JSON.stringify(name)} appears more than once` });
      return;
    }
    const group = jurisdictionColumnPattern.exec(name);
    if (group !== null) groups.add(Number(group[1]));
    else if (!known.has(name)) {
      problems.push({ line: header.line, field: name, message: `unknown column ${JSON.stringify(name)}; the columns are those of the export (see the README's "Reports and CSV")` });
      return;
    }
    index.set(name, position);
  });
  for (const column of requiredColumns) {
    if (!index.has(column)) problems.push({ line: header.line, field: column, message: `the column ${column} is missing` });
  }
  return { header: { index, groups: [...groups].sort((a, b) => a - b) }, problems };
}

/** A CSV record's cells by column: trimmed (but notes), formula guards removed. */
function cellsOf(record: CsvRecord, header: Header): (column: string) => string {
  return (column) => {
    const position = header.index.get(column);
    const raw = position === undefined ? '' : unguardCsvCell(record.cells[position] ?? '');
    return column === 'notes' ? raw : raw.trim();
  };
}

const blankToNull = (value: string): string | null => (value === '' ? null : value);

/** The certificate input a row describes, before validation, and where each jurisdiction came from. */
function candidateOf(cell: (column: string) => string, header: Header): { candidate: Record<string, unknown>; groupOf: number[] } {
  const groupOf: number[] = [];
  const jurisdictions: Record<string, unknown>[] = [];
  for (const group of header.groups) {
    const values = jurisdictionFields.map((field) => cell(jurisdictionColumn(group, field)));
    if (values.every((value) => value === '')) continue;
    const [code = '', registrationId = '', effectiveDate = '', expirationDate = ''] = values;
    groupOf.push(group);
    jurisdictions.push({ code, registrationId: blankToNull(registrationId), effectiveDate, expirationDate: blankToNull(expirationDate) });
  }
  const invoiceNumber = blankToNull(cell('purchaseInvoiceNumber'));
  const poNumber = blankToNull(cell('purchasePoNumber'));
  const candidate = {
    customerId: cell('customerId'),
    reason: cell('reason'),
    reasonOther: blankToNull(cell('reasonOther')),
    form: cell('form'),
    number: blankToNull(cell('number')),
    // Numbers on a blanket certificate are passed on, so the strict schema refuses them rather than the import dropping them.
    purchase: { type: cell('purchaseType'), ...(invoiceNumber === null ? {} : { invoiceNumber }), ...(poNumber === null ? {} : { poNumber }) },
    jurisdictions,
    notes: cell('notes'),
  };
  return { candidate, groupOf };
}

const purchaseColumns: Readonly<Record<string, string>> = { type: 'purchaseType', invoiceNumber: 'purchaseInvoiceNumber', poNumber: 'purchasePoNumber' };
const jurisdictionFieldOf: Readonly<Record<string, JurisdictionField>> = {
  code: 'Code',
  registrationId: 'RegistrationId',
  effectiveDate: 'EffectiveDate',
  expirationDate: 'ExpirationDate',
};

/** The CSV column a certificate-input issue is about. */
function columnOf(path: readonly PropertyKey[], groupOf: readonly number[]): string {
  const [head, second, third] = path;
  if (head === 'purchase') return purchaseColumns[String(second ?? 'type')] ?? 'purchaseType';
  if (head === 'jurisdictions') {
    const group = typeof second === 'number' ? (groupOf[second] ?? second + 1) : 1;
    return jurisdictionColumn(group, jurisdictionFieldOf[String(third ?? 'code')] ?? 'Code');
  }
  return String(head ?? '');
}

function problemsOf(error: z.ZodError, line: number, groupOf: readonly number[]): CsvProblem[] {
  return error.issues.flatMap((issue): CsvProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      // Only the purchase can carry extra keys: an invoice or PO number on a blanket certificate.
      return issue.keys.map((key) => ({
        line,
        field: columnOf([...issue.path, key], groupOf),
        message: 'only a single-purchase certificate names an invoice or purchase-order number',
      }));
    }
    return [{ line, field: columnOf(issue.path, groupOf), message: issue.message }];
  });
}

interface ReadRow {
  readonly row: CertificateImportRow | null;
  /** The row's external id when it is valid, even if the rest of the row is not. */
  readonly externalId: string | null;
  readonly problems: CsvProblem[];
}

function readRow(record: CsvRecord, header: Header): ReadRow {
  const { line } = record;
  const expected = header.index.size;
  if (record.cells.length !== expected) {
    return { row: null, externalId: null, problems: [{ line, field: '', message: `the row has ${record.cells.length} fields where the header has ${expected}` }] };
  }
  const cell = cellsOf(record, header);
  const problems: CsvProblem[] = [];
  const externalId = externalIdSchema.safeParse(cell('externalId'));
  if (!externalId.success) problems.push(...externalId.error.issues.map((issue) => ({ line, field: 'externalId', message: issue.message })));
  const { candidate, groupOf } = candidateOf(cell, header);
  const input = certificateInputSchema.safeParse(candidate);
  if (!input.success) problems.push(...problemsOf(input.error, line, groupOf));
  const archive = archiveSchema.safeParse({ archivedAt: blankToNull(cell('archivedAt')), archivedReason: blankToNull(cell('archivedReason')) });
  if (!archive.success) problems.push(...archive.error.issues.map((issue) => ({ line, field: String(issue.path[0] ?? 'archivedAt'), message: issue.message })));
  const id = externalId.success ? externalId.data : null;
  if (id === null || !input.success || !archive.success) return { row: null, externalId: id, problems };
  const { archivedAt, archivedReason } = archive.data;
  return {
    row: { line, externalId: id, input: input.data, archived: archivedAt === null ? null : { at: archivedAt, reason: archivedReason } },
    externalId: id,
    problems,
  };
}

/**
 * Reads certificate rows from parsed CSV records (the first is the header): every problem
 * a row has on its own, by line and column, and the rows without any. An external id used
 * twice is a problem on each later line: which of two rows should win is not the import's to guess.
 */
export function readCertificateCsv(records: readonly CsvRecord[]): { rows: CertificateImportRow[]; problems: CsvProblem[] } {
  const [first, ...body] = records;
  if (first === undefined) return { rows: [], problems: [{ line: 1, field: '', message: 'the file is empty: expected a header line and one line per certificate' }] };
  const { header, problems } = readHeader(first);
  if (problems.length > 0) return { rows: [], problems };
  const rows: CertificateImportRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const record of body) {
    const read = readRow(record, header);
    problems.push(...read.problems);
    if (read.externalId === null) continue;
    const earlier = firstLineOf.get(read.externalId);
    if (earlier !== undefined) {
      problems.push({ line: record.line, field: 'externalId', message: `${JSON.stringify(read.externalId)} is already the external id of line ${earlier}` });
      continue;
    }
    firstLineOf.set(read.externalId, record.line);
    if (read.row !== null) rows.push(read.row);
  }
  return { rows, problems };
}
