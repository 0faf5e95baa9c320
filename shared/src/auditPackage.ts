import type { Certificate, CertificateFileContentType, CertificateJurisdiction, Purchase } from './certificate.js';
import { csvTable, type CsvColumn, type CsvTable } from './csvTable.js';
import { addDays, compareDates, type CalendarDate, type Instant, type TimeZone } from './dates.js';
import type { LedgerEntry } from './ledger/ledgerEntry.js';
import { certificateStatus, jurisdictionStatus, type CertificateStatus } from './status.js';

/*
 * An audit package: the evidence for one customer, or for a date range, as a zip of the
 * certificates' files, a manifest (CSV and JSON) and the ledger entries each certificate
 * exempted. This module decides what is in it and what each file says; the worker streams it.
 */

/** The longest range one package covers; refund statutes reach back at most this far. */
export const auditRangeMaxYears = 10;

/** What a package covers: every certificate of one customer, or the evidence for a range of transaction dates. */
export type AuditScope =
  | { readonly kind: 'customer'; readonly customerId: string }
  | { readonly kind: 'range'; readonly from: CalendarDate; readonly to: CalendarDate };

/** Why a range is refused, or null when it is a good one. */
export function auditRangeProblem(from: CalendarDate, to: CalendarDate): string | null {
  if (compareDates(from, to) > 0) return `to ${to} is before from ${from}`;
  if (compareDates(to, addDays(from, 366 * auditRangeMaxYears)) > 0) return `the range may span at most ${auditRangeMaxYears} years`;
  return null;
}

/**
 * Whether a certificate was evidence on some day of the range: one of its jurisdictions was in
 * force on a day of it, and it was not archived before the range began (`archivedOn` is the
 * day it was archived in the account's time zone, null while it is not archived).
 */
export function inForceDuring(certificate: Pick<Certificate, 'jurisdictions'>, archivedOn: CalendarDate | null, from: CalendarDate, to: CalendarDate): boolean {
  if (archivedOn !== null && compareDates(archivedOn, from) < 0) return false;
  return certificate.jurisdictions.some(
    (j) => compareDates(j.effectiveDate, to) <= 0 && (j.expirationDate === null || compareDates(j.expirationDate, from) >= 0),
  );
}

/** One stored file of a certificate as the package holds it. */
export interface AuditFile {
  readonly id: string;
  /** Where the bytes are inside the zip; null if the stored copy could not be read (then nothing is there). */
  readonly path: string | null;
  /** The name the file was stored under. */
  readonly filename: string;
  readonly contentType: CertificateFileContentType;
  readonly size: number;
  /** SHA-256 of the bytes written into the zip, computed as they were written; null when `path` is. */
  readonly sha256: string | null;
  /** SHA-256 recorded when the file was stored; equal to `sha256` unless the stored copy changed since. */
  readonly sha256AtUpload: string;
}

/** The certificate's ledger entries inside the zip. */
export interface AuditLedgerFiles {
  readonly entries: number;
  readonly csvPath: string;
  readonly jsonPath: string;
}

export interface AuditCertificate {
  readonly id: string;
  readonly customer: { readonly id: string; readonly name: string | null; readonly email: string | null };
  /** As of the package's `today`, in the account's time zone. */
  readonly status: CertificateStatus;
  readonly reason: Certificate['reason'];
  readonly reasonOther: string | null;
  readonly form: Certificate['form'];
  readonly number: string | null;
  readonly purchase: Purchase;
  readonly jurisdictions: readonly (CertificateJurisdiction & { readonly status: CertificateStatus })[];
  readonly notes: string;
  readonly source: Certificate['source'];
  readonly archivedAt: Instant | null;
  readonly archivedReason: string | null;
  readonly version: number;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
  readonly files: readonly AuditFile[];
  readonly ledger: AuditLedgerFiles;
}

export interface AuditManifest {
  readonly scope: AuditScope;
  readonly accountId: string;
  readonly livemode: boolean;
  /** The package is the data as of this instant: ledger entries recorded later are left out. */
  readonly generatedAt: Instant;
  /** The day statuses are for, in `timeZone`. */
  readonly today: CalendarDate;
  readonly timeZone: TimeZone;
  readonly certificates: readonly AuditCertificate[];
}

export interface AuditStatusBasis {
  readonly today: CalendarDate;
  readonly windowDays: number;
}

export function auditCertificate(
  certificate: Certificate,
  customer: { readonly name: string | null; readonly email: string | null },
  basis: AuditStatusBasis,
  files: readonly AuditFile[],
  ledger: AuditLedgerFiles,
): AuditCertificate {
  return {
    id: certificate.id,
    customer: { id: certificate.customerId, name: customer.name, email: customer.email },
    status: certificateStatus(certificate, basis.today, basis.windowDays),
    reason: certificate.reason,
    reasonOther: certificate.reasonOther,
    form: certificate.form,
    number: certificate.number,
    purchase: certificate.purchase,
    jurisdictions: certificate.jurisdictions.map((j) => ({
      ...j,
      status: certificate.archivedAt !== null ? 'archived' : jurisdictionStatus(j, basis.today, basis.windowDays),
    })),
    notes: certificate.notes,
    source: certificate.source,
    archivedAt: certificate.archivedAt,
    archivedReason: certificate.archivedReason,
    version: certificate.version,
    createdAt: certificate.createdAt,
    updatedAt: certificate.updatedAt,
    files,
    ledger,
  };
}

// ---------------------------------------------------------------------------------------
// manifest.csv: one line per file of each certificate (one line with empty file cells for a
// certificate without files), so a spreadsheet can check every file's hash on its own line;
// the certificate's cells repeat on each of its lines.

type ManifestRow = { readonly certificate: AuditCertificate; readonly file: AuditFile | null };

function purchaseNumbers(purchase: Purchase): { invoiceNumber: string | null; poNumber: string | null } {
  return purchase.type === 'single_purchase' ? purchase : { invoiceNumber: null, poNumber: null };
}

/** `US-TX active 2025-01-01..2027-12-31 #32012345678`, `; `-separated: every jurisdiction in one cell. */
function jurisdictionsCell(certificate: AuditCertificate): string {
  return certificate.jurisdictions
    .map((j) => `${j.code} ${j.status} ${j.effectiveDate}..${j.expirationDate ?? ''}${j.registrationId === null ? '' : ` #${j.registrationId}`}`)
    .join('; ');
}

const manifestColumns: readonly CsvColumn<ManifestRow>[] = [
  { header: 'certificateId', value: (row) => row.certificate.id },
  { header: 'customerId', value: (row) => row.certificate.customer.id },
  { header: 'customerName', value: (row) => row.certificate.customer.name },
  { header: 'customerEmail', value: (row) => row.certificate.customer.email },
  { header: 'status', value: (row) => row.certificate.status },
  { header: 'jurisdictions', value: (row) => jurisdictionsCell(row.certificate) },
  { header: 'reason', value: (row) => row.certificate.reason },
  { header: 'reasonOther', value: (row) => row.certificate.reasonOther },
  { header: 'form', value: (row) => row.certificate.form },
  { header: 'number', value: (row) => row.certificate.number },
  { header: 'purchaseType', value: (row) => row.certificate.purchase.type },
  { header: 'purchaseInvoiceNumber', value: (row) => purchaseNumbers(row.certificate.purchase).invoiceNumber },
  { header: 'purchasePoNumber', value: (row) => purchaseNumbers(row.certificate.purchase).poNumber },
  { header: 'source', value: (row) => row.certificate.source },
  { header: 'version', value: (row) => row.certificate.version },
  { header: 'archivedAt', value: (row) => row.certificate.archivedAt },
  { header: 'archivedReason', value: (row) => row.certificate.archivedReason },
  { header: 'ledgerEntries', value: (row) => row.certificate.ledger.entries },
  { header: 'ledgerCsv', value: (row) => row.certificate.ledger.csvPath },
  { header: 'fileId', value: (row) => row.file?.id ?? null },
  { header: 'filePath', value: (row) => row.file?.path ?? null },
  { header: 'fileName', value: (row) => row.file?.filename ?? null },
  { header: 'fileContentType', value: (row) => row.file?.contentType ?? null },
  { header: 'fileSize', value: (row) => row.file?.size ?? null },
  { header: 'fileSha256', value: (row) => row.file?.sha256 ?? null },
  { header: 'fileSha256AtUpload', value: (row) => row.file?.sha256AtUpload ?? null },
];

export function auditManifestCsv(manifest: AuditManifest): CsvTable {
  const rows = manifest.certificates.flatMap((certificate): ManifestRow[] =>
    certificate.files.length === 0 ? [{ certificate, file: null }] : certificate.files.map((file) => ({ certificate, file })),
  );
  return csvTable(manifestColumns, rows);
}

// ---------------------------------------------------------------------------------------
// ledger-entries.csv: one line per entry, as GET /ledger/entries returns it, flattened.

export const auditLedgerColumns: readonly CsvColumn<LedgerEntry>[] = [
  { header: 'entryId', value: (entry) => entry.id },
  { header: 'invoiceId', value: (entry) => entry.invoiceId },
  { header: 'invoiceNumber', value: (entry) => entry.invoiceNumber },
  { header: 'purchaseOrder', value: (entry) => entry.purchaseOrder },
  { header: 'customerId', value: (entry) => entry.customerId },
  { header: 'jurisdiction', value: (entry) => entry.jurisdiction },
  { header: 'transactionDate', value: (entry) => entry.transactionDate },
  { header: 'periodKey', value: (entry) => entry.periodKey },
  { header: 'kind', value: (entry) => entry.kind },
  { header: 'revision', value: (entry) => entry.revision },
  { header: 'negates', value: (entry) => entry.negates },
  { header: 'supersedes', value: (entry) => entry.supersedes },
  { header: 'treatment', value: (entry) => entry.treatment },
  { header: 'currency', value: (entry) => entry.currency },
  { header: 'taxable', value: (entry) => entry.taxable },
  { header: 'exempt', value: (entry) => entry.exempt },
  { header: 'tax', value: (entry) => entry.tax },
  { header: 'exposure', value: (entry) => String(entry.flags.exposure) },
  { header: 'overCollection', value: (entry) => String(entry.flags.overCollection) },
  { header: 'certificateId', value: (entry) => entry.certificate?.id ?? null },
  { header: 'certificateVersion', value: (entry) => entry.certificate?.version ?? null },
  { header: 'certificateNumber', value: (entry) => entry.certificate?.number ?? null },
  { header: 'certificateRegistrationId', value: (entry) => entry.certificate?.jurisdiction.registrationId ?? null },
  { header: 'addressSource', value: (entry) => entry.addressSource },
  { header: 'addressCountry', value: (entry) => entry.address?.country ?? null },
  { header: 'addressState', value: (entry) => entry.address?.state ?? null },
  { header: 'addressPostalCode', value: (entry) => entry.address?.postalCode ?? null },
  { header: 'creditNoteId', value: (entry) => entry.creditNote?.id ?? null },
  { header: 'taxabilityReasons', value: (entry) => entry.taxabilityReasons.join(' ') },
  { header: 'cause', value: (entry) => entry.cause },
  { header: 'causeId', value: (entry) => entry.causeId },
];

/** The ledger CSV's header, then one row per entry: the worker writes them as the entries stream in. */
export function auditLedgerCsv(entries: readonly LedgerEntry[]): CsvTable {
  return csvTable(auditLedgerColumns, entries);
}
