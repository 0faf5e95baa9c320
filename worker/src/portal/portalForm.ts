import { portalSubmissionSchema, type CertificateFileContentType, type PortalSubmission } from '@exemptions/shared';
import type { MultipartForm } from '../files/multipartUpload.js';
import type { FormState, JurisdictionRow } from './pages.js';

/** The field the signed certificate comes in. */
export const FILE_FIELD = 'certificateFile';

const rowFields = ['code', 'registrationId', 'effectiveDate', 'expirationDate'] as const;

/** Every field name the form has: anything else a client sends is ignored. */
function knownFields(rows: readonly JurisdictionRow[]): string[] {
  return ['reason', 'reasonOther', 'form', 'number', 'signerName', 'signerTitle', ...rows.flatMap((row) => rowFields.map((f) => `j${row.index}_${f}`))];
}

export type ParsedSubmission =
  | {
      readonly ok: true;
      readonly submission: PortalSubmission;
      /** The file, stored as it arrived (see `PortalUpload`) but not kept until the submission is; its active content is checked as it is stored. */
      readonly file: { readonly filename: string | null; readonly size: number; readonly contentType: CertificateFileContentType };
    }
  /** `status` is the HTTP status for the page: 413 for a file too large, 415 for a file of the wrong type, 400 otherwise. */
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly state: FormState };

/**
 * Turns the posted form into a submission, or into the form state to show again: every entry
 * kept, every problem named by field. The file's type is judged by its bytes alone: `fileType`
 * is what its first bytes were (null when they are no type we take, or none came).
 */
export function parsePortalForm(form: MultipartForm, rows: readonly JurisdictionRow[], fileType: CertificateFileContentType | null): ParsedSubmission {
  const values = new Map<string, string>();
  for (const name of knownFields(rows)) values.set(name, form.fields.get(name) ?? '');
  const errors = new Map<string, string>();
  const general = form.problem === null ? [] : [form.problem];
  const value = (name: string): string => (values.get(name) ?? '').trim();

  // Rows: the requested ones always count; the extra one only when something is filled in.
  const included: JurisdictionRow[] = [];
  const jurisdictions: Array<Record<string, string | null>> = [];
  for (const row of rows) {
    const p = `j${row.index}_`;
    const code = row.fixedCode ?? value(`${p}code`);
    const touched = rowFields.some((f) => f !== 'code' && value(`${p}${f}`) !== '') || value(`${p}code`) !== '';
    if (row.fixedCode === null && !touched) continue;
    if (code === '') errors.set(`${p}code`, 'choose the state or territory, or leave this section empty');
    if (value(`${p}effectiveDate`) === '') errors.set(`${p}effectiveDate`, 'enter the date the certificate takes effect');
    included.push(row);
    jurisdictions.push({
      code,
      registrationId: value(`${p}registrationId`) === '' ? null : value(`${p}registrationId`),
      effectiveDate: value(`${p}effectiveDate`),
      expirationDate: value(`${p}expirationDate`) === '' ? null : value(`${p}expirationDate`),
    });
  }

  const candidate = {
    reason: value('reason'),
    reasonOther: value('reasonOther') === '' ? null : value('reasonOther'),
    form: value('form'),
    number: value('number'),
    jurisdictions,
    signerName: value('signerName'),
    signerTitle: value('signerTitle'),
  };
  const parsed = portalSubmissionSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, index, field] = issue.path;
      let name: string;
      if (head === 'jurisdictions' && typeof index === 'number' && typeof field === 'string') name = `j${included[index]?.index ?? 0}_${field}`;
      else if (head === 'jurisdictions') name = 'jurisdictions';
      else name = String(head ?? 'form');
      if (errors.has(name)) continue;
      errors.set(name, messageFor(name, issue.message, candidate));
    }
  }

  let status: 400 | 413 | 415 = 400;
  let contentType: CertificateFileContentType | null = null;
  const upload = form.file;
  if (upload === null || (upload.size === 0 && !upload.truncated)) {
    errors.set(FILE_FIELD, 'choose the signed certificate file (PDF, PNG or JPEG)');
  } else if (upload.truncated) {
    errors.set(FILE_FIELD, 'the file is larger than 10 MB; send a smaller scan or PDF');
    status = 413;
  } else if (fileType === null) {
    errors.set(FILE_FIELD, 'the file is not a PDF, PNG or JPEG (judged by its content, whatever its name says)');
    status = 415;
  } else {
    contentType = fileType;
  }

  if (errors.size > 0 || general.length > 0 || !parsed.success || contentType === null || upload === null) {
    return { ok: false, status, state: { values, errors, general } };
  }
  return { ok: true, submission: parsed.data, file: { filename: upload.filename, size: upload.size, contentType } };
}

/** The schema's messages are written for the API; a few read better reworded for a person. */
function messageFor(name: string, message: string, candidate: { reason: string; form: string }): string {
  if (name === 'reason' && candidate.reason === '') return 'choose the reason for the exemption';
  if (name === 'reason') return 'choose one of the listed reasons';
  if (name === 'form' && candidate.form === '') return 'choose the certificate form you signed';
  if (name === 'form') return 'choose one of the listed forms';
  if (/_code$/.test(name)) return 'choose one of the listed states and territories';
  if (/Date$/.test(name) && message.startsWith('must be a real calendar date')) return 'enter a real date, such as 2026-05-01';
  return message;
}
