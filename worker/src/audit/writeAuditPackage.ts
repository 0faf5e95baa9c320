import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  auditCertificate,
  auditLedgerColumns,
  auditLedgerCsv,
  auditManifestCsv,
  type AuditCertificate,
  type AuditFile,
  type AuditLedgerFiles,
  type AuditManifest,
  type AuditScope,
  type AuditStatusBasis,
  type CertificateFile,
  type LedgerEntry,
  type TimeZone,
} from '@exemptions/shared';
import { stringify } from 'csv-stringify/sync';
import type { StoredCertificate } from '../certificates/certificateRepository.js';
import type { ServiceContext } from '../context.js';
import type { Tenant } from '../tenancy.js';
import { ZipFolder, zipNameSegment } from './zipEntryNames.js';
import type { ZipStream } from './zipStream.js';

export interface AuditPackageInput {
  readonly tenant: Tenant;
  readonly scope: AuditScope;
  readonly certificates: readonly StoredCertificate[];
  readonly basis: AuditStatusBasis;
  readonly timeZone: TimeZone;
  /** The package's as-of instant: ledger entries recorded later are left out of it. */
  readonly generatedAt: Date;
}

/** The folder everything sits in, so extracting the zip makes one folder named after what it covers. */
export function packageRoot(scope: AuditScope): string {
  const name = scope.kind === 'customer' ? `audit-${scope.customerId}` : `audit-${scope.from}-to-${scope.to}`;
  return zipNameSegment(name, 'audit-package');
}

// The same CSV dialect as the worker's other CSV files: RFC 4180 with CRLF, UTF-8 with a byte-order mark (for Excel).
function csvLines(rows: readonly (readonly string[])[], first: boolean): string {
  return stringify(
    rows.map((row) => [...row]),
    { bom: first, record_delimiter: 'windows' },
  );
}

/** The bytes of `source` passed through unchanged, hashed and counted on the way into the zip. */
function measured(source: Readable): { stream: Readable; result: () => { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  // A failing source destroys the transform with its error, which the archive reports.
  pipeline(source, stream).catch(() => undefined);
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}

async function* ledgerCsvChunks(entries: AsyncIterable<LedgerEntry>, counted: { entries: number }): AsyncGenerator<Buffer> {
  yield Buffer.from(csvLines([auditLedgerColumns.map((column) => column.header)], true));
  for await (const entry of entries) {
    counted.entries += 1;
    yield Buffer.from(csvLines(auditLedgerCsv([entry]).rows, false));
  }
}

async function* jsonArrayChunks(entries: AsyncIterable<LedgerEntry>): AsyncGenerator<Buffer> {
  let separator = '\n  ';
  yield Buffer.from('[');
  for await (const entry of entries) {
    yield Buffer.from(`${separator}${JSON.stringify(entry)}`);
    separator = ',\n  ';
  }
  yield Buffer.from(separator === '\n  ' ? ']\n' : '\n]\n');
}

function readme(manifest: AuditManifest, root: string): string {
  const { scope } = manifest;
  const files = manifest.certificates.reduce((sum, c) => sum + c.files.length, 0);
  const entries = manifest.certificates.reduce((sum, c) => sum + c.ledger.entries, 0);
  const covers =
    scope.kind === 'customer'
      ? `every certificate of customer ${scope.customerId}, with all the ledger entries each was applied to`
      : `the certificates in force between ${scope.from} and ${scope.to} or applied to a transaction dated then, with the ledger entries dated then`;
  return [
    'Exemption certificates: audit package',
    '',
    `Account:   ${manifest.accountId} (${manifest.livemode ? 'live' : 'test'} mode)`,
    `Covers:    ${covers}`,
    `As of:     ${manifest.generatedAt}; statuses for ${manifest.today} (${manifest.timeZone})`,
    `Contents:  ${manifest.certificates.length} certificate(s), ${files} file(s), ${entries} ledger entr${entries === 1 ? 'y' : 'ies'}`,
    '',
    `${root}/manifest.csv, manifest.json`,
    '    every certificate: its fields, jurisdictions and status, the paths of its files in this zip',
    '    and the SHA-256 of each file as written here (and as recorded when it was stored)',
    `${root}/certificates/<certificate id>/files/`,
    '    the signed certificate files, byte for byte as stored',
    `${root}/certificates/<certificate id>/ledger-entries.csv, ledger-entries.json`,
    '    the ledger entries whose certificate snapshot names that certificate',
    '',
    'Amounts are integers in the minor unit of their currency (cents for usd).',
    '',
  ].join('\r\n');
}

/** One stored file, streamed from the store into `folder` and hashed on the way. */
async function writeCertificateFile(
  { files, logger }: Pick<ServiceContext, 'files' | 'logger'>,
  tenant: Tenant,
  certificateId: string,
  file: CertificateFile,
  folder: ZipFolder,
  zip: ZipStream,
): Promise<AuditFile> {
  const base = { id: file.id, filename: file.filename, contentType: file.contentType, size: file.size, sha256AtUpload: file.sha256 };
  const download = await files.open(tenant, certificateId, file.id);
  if (download === null) {
    // Listed on the certificate but not in the store: the manifest says so rather than the whole package failing.
    logger.error({ certificateId, fileId: file.id }, 'audit package: a certificate file is missing from the store');
    return { ...base, path: null, sha256: null };
  }
  const path = folder.claim(file.filename, file.id);
  const { stream, result } = measured(download.stream);
  await zip.add(path, stream);
  const { sha256, size } = result();
  if (sha256 !== file.sha256) logger.error({ certificateId, fileId: file.id }, 'audit package: a stored file no longer matches its recorded SHA-256');
  return { ...base, path, size, sha256 };
}

/**
 * Writes the package into `zip`, certificate by certificate: each stored file (streamed from
 * GridFS and hashed on the way), then the certificate's ledger entries as CSV and as JSON
 * (each streamed from its own cursor, both bounded by the as-of instant), and last the
 * README and the manifests, which hold the hashes and counts learnt while writing.
 */
export async function writeAuditPackage(
  { files, ledger, logger }: Pick<ServiceContext, 'files' | 'ledger' | 'logger'>,
  input: AuditPackageInput,
  zip: ZipStream,
): Promise<AuditManifest> {
  const { tenant, scope, basis, generatedAt } = input;
  const root = packageRoot(scope);
  const certificateFolders = new ZipFolder(`${root}/certificates`);
  const written: AuditCertificate[] = [];

  for (const { certificate, customer } of input.certificates) {
    const folder = certificateFolders.claim(certificate.id, 'certificate');
    const fileFolder = new ZipFolder(`${folder}/files`);
    const auditFiles: AuditFile[] = [];
    for (const file of certificate.files) auditFiles.push(await writeCertificateFile({ files, logger }, tenant, certificate.id, file, fileFolder, zip));

    const range = scope.kind === 'range' ? { from: scope.from, to: scope.to } : {};
    const query = { customerId: certificate.customerId, certificateId: certificate.id, recordedBy: generatedAt, ...range };
    const counted = { entries: 0 };
    const ledgerFiles: AuditLedgerFiles = { entries: 0, csvPath: `${folder}/ledger-entries.csv`, jsonPath: `${folder}/ledger-entries.json` };
    await zip.add(ledgerFiles.csvPath, Readable.from(ledgerCsvChunks(ledger.entriesOfCertificate(tenant, query), counted)));
    await zip.add(ledgerFiles.jsonPath, Readable.from(jsonArrayChunks(ledger.entriesOfCertificate(tenant, query))));
    written.push(auditCertificate(certificate, customer, basis, auditFiles, { ...ledgerFiles, entries: counted.entries }));
  }

  const manifest: AuditManifest = {
    scope,
    accountId: tenant.accountId,
    livemode: tenant.livemode,
    generatedAt: generatedAt.toISOString(),
    today: basis.today,
    timeZone: input.timeZone,
    certificates: written,
  };
  await zip.add(`${root}/README.txt`, readme(manifest, root));
  await zip.add(`${root}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  const table = auditManifestCsv(manifest);
  await zip.add(`${root}/manifest.csv`, csvLines([table.header, ...table.rows], true));
  return manifest;
}
