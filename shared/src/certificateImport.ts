import type { Certificate, CertificateDetails, CertificateJurisdiction } from './certificate.js';
import { certificateSchema } from './certificate.js';
import type { CertificateImportRow } from './certificateCsv.js';
import { createCertificate } from './certificateChanges.js';
import type { Instant } from './dates.js';

/*
 * What importing one CSV row does to the certificate it matches (by external id). The
 * import goes through the same versioned changes as an edit in the app, so a changed row
 * leaves a new version in the history, and an unchanged row leaves nothing at all: running
 * the same file twice changes nothing the second time.
 */

/** The groups of an edit (`certificatePatchSchema` without the version), each present only when it changes. */
export interface ImportPatch {
  readonly details?: CertificateDetails;
  readonly jurisdictions?: CertificateJurisdiction[];
  readonly notes?: string;
}

export type ImportDecision =
  | { readonly action: 'create' }
  | { readonly action: 'unchanged' }
  | { readonly action: 'update'; readonly patch: ImportPatch | null; readonly archive: { readonly reason: string | null } | null }
  | { readonly action: 'refuse'; readonly field: string; readonly message: string };

/** Deep equality of plain data, whatever order the keys were written in. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => sameData(item, b[index]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return aKeys.length === Object.keys(b).length && aKeys.every((key) => key in bRecord && sameData((a as Record<string, unknown>)[key], bRecord[key]));
}

function detailsOf(value: CertificateDetails): CertificateDetails {
  return { reason: value.reason, reasonOther: value.reasonOther, form: value.form, number: value.number, purchase: value.purchase };
}

/** The groups of `row` that differ from `certificate`. */
function changedGroups(row: CertificateImportRow, certificate: Certificate): ImportPatch {
  const details = detailsOf(row.input);
  return {
    ...(sameData(details, detailsOf(certificate)) ? {} : { details }),
    ...(sameData(row.input.jurisdictions, certificate.jurisdictions) ? {} : { jurisdictions: row.input.jurisdictions }),
    ...(row.input.notes === certificate.notes ? {} : { notes: row.input.notes }),
  };
}

/**
 * Create, update, leave alone, or refuse. A certificate keeps its customer (as in the app),
 * and an archived one stays as it was withdrawn: a row may repeat it (the archive time
 * itself is not compared, since an import archives at the time it runs) but not change or
 * restore it.
 */
export function importDecision(row: CertificateImportRow, existing: Certificate | null): ImportDecision {
  if (existing === null) return { action: 'create' };
  if (row.input.customerId !== existing.customerId) {
    return { action: 'refuse', field: 'customerId', message: `certificate ${existing.id} belongs to ${existing.customerId}: a certificate cannot move to another customer` };
  }
  const patch = changedGroups(row, existing);
  const changed = Object.keys(patch);
  if (existing.archivedAt !== null) {
    if (row.archived === null) {
      return { action: 'refuse', field: 'archivedAt', message: `certificate ${existing.id} was archived at ${existing.archivedAt} and cannot be restored` };
    }
    if (row.archived.reason !== existing.archivedReason) changed.push('archivedReason');
    if (changed.length > 0) {
      return { action: 'refuse', field: 'archivedAt', message: `certificate ${existing.id} is archived and can no longer be changed (this row changes ${changed.join(', ')})` };
    }
    return { action: 'unchanged' };
  }
  const archive = row.archived === null ? null : { reason: row.archived.reason };
  if (changed.length === 0 && archive === null) return { action: 'unchanged' };
  return { action: 'update', patch: changed.length === 0 ? null : patch, archive };
}

export interface ImportedCertificateContext {
  readonly id: string;
  readonly accountId: string;
  readonly livemode: boolean;
  readonly now: Instant;
}

/** A certificate created from a row: source `import`, archived as the row says (when, and why). */
export function importedCertificate(row: CertificateImportRow, context: ImportedCertificateContext): Certificate {
  const created = createCertificate(row.input, { ...context, source: 'import' });
  if (row.archived === null) return created;
  return certificateSchema.parse({ ...created, archivedAt: row.archived.at, archivedReason: row.archived.reason });
}
