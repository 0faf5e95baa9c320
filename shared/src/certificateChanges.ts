import type { Certificate, CertificateFile, CertificateInput, CertificatePatch, CertificateSource } from './certificate.js';
import { certificateSchema } from './certificate.js';
import type { Instant } from './dates.js';
import { DomainError } from './errors.js';

// Every change yields the next version of the whole record, checked against
// the stored schema, so the history holds complete, valid snapshots and the
// store can use `<id>:v<version>` as the key that detects a concurrent writer.

export class VersionConflictError extends DomainError {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly certificateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      `certificate ${certificateId} is at version ${actualVersion}, not ${expectedVersion}: it changed since it was loaded`,
    );
  }
}

/** An archived certificate is kept as the evidence it was when withdrawn. */
export class CertificateArchivedError extends DomainError {
  override readonly name = 'CertificateArchivedError';
  constructor(readonly certificateId: string) {
    super(`certificate ${certificateId} is archived and can no longer be changed`);
  }
}

export interface NewCertificateContext {
  readonly id: string;
  readonly accountId: string;
  readonly livemode: boolean;
  readonly source: CertificateSource;
  readonly now: Instant;
  readonly files?: readonly CertificateFile[];
}

export function createCertificate(input: CertificateInput, context: NewCertificateContext): Certificate {
  return certificateSchema.parse({
    id: context.id,
    accountId: context.accountId,
    livemode: context.livemode,
    ...input,
    files: context.files ?? [],
    source: context.source,
    archivedAt: null,
    archivedReason: null,
    version: 1,
    createdAt: context.now,
    updatedAt: context.now,
  });
}

function assertChangeable(certificate: Certificate, expectedVersion: number): void {
  if (certificate.archivedAt !== null) throw new CertificateArchivedError(certificate.id);
  if (certificate.version !== expectedVersion) {
    throw new VersionConflictError(certificate.id, expectedVersion, certificate.version);
  }
}

function nextVersion(certificate: Certificate, changes: Partial<Certificate>, now: Instant): Certificate {
  return certificateSchema.parse({ ...certificate, ...changes, version: certificate.version + 1, updatedAt: now });
}

export function applyCertificatePatch(certificate: Certificate, patch: CertificatePatch, now: Instant): Certificate {
  assertChangeable(certificate, patch.expectedVersion);
  return nextVersion(
    certificate,
    {
      ...patch.details,
      ...(patch.jurisdictions === undefined ? {} : { jurisdictions: patch.jurisdictions }),
      ...(patch.notes === undefined ? {} : { notes: patch.notes }),
    },
    now,
  );
}

export interface ArchiveRequest {
  readonly expectedVersion: number;
  readonly reason: string | null;
  readonly now: Instant;
}

export function archiveCertificate(certificate: Certificate, request: ArchiveRequest): Certificate {
  assertChangeable(certificate, request.expectedVersion);
  const reason = request.reason === null || request.reason.trim() === '' ? null : request.reason;
  return nextVersion(certificate, { archivedAt: request.now, archivedReason: reason }, request.now);
}

/**
 * Adds a file unless a file with the same content is already attached, so a
 * retried upload job leaves the certificate as the first attempt did.
 */
export function attachCertificateFile(certificate: Certificate, file: CertificateFile, now: Instant): Certificate {
  if (certificate.files.some((existing) => existing.sha256 === file.sha256)) return certificate;
  if (certificate.archivedAt !== null) throw new CertificateArchivedError(certificate.id);
  return nextVersion(certificate, { files: [...certificate.files, file] }, now);
}
