/**
 * The certificate form as the merchant fills it in (every field a string, as inputs give them)
 * and its way back to what the service takes. Validation runs the domain package's own schemas,
 * so the form refuses exactly what the service would, with the same words, before anything is
 * sent; the service's 400 answers land on the same fields (`errorsFromProblems`).
 */
import { certificateInputSchema, certificatePatchSchema } from '@exemptions/shared';
import type { Certificate, CertificateInput, CertificatePatch, CertificateDetails, CertificateJurisdiction } from '@exemptions/shared';
import type { FieldProblem } from '../api/errors';
import type { ApprovalCorrections } from '../api/certificatesApi';

export interface JurisdictionDraft {
  readonly code: string;
  readonly registrationId: string;
  readonly effectiveDate: string;
  /** Empty: no expiration date (valid until revoked). */
  readonly expirationDate: string;
}

export interface CertificateDraft {
  readonly reason: string;
  readonly reasonOther: string;
  readonly form: string;
  readonly number: string;
  readonly purchaseType: 'blanket' | 'single_purchase';
  readonly invoiceNumber: string;
  readonly poNumber: string;
  readonly jurisdictions: readonly JurisdictionDraft[];
  readonly notes: string;
}

/** Field key → message. Keys: `reason`, `reasonOther`, `purchase.invoiceNumber`, `jurisdictions`, `jurisdictions.0.expirationDate`, `notes`, or `` for the form. */
export type FieldErrors = Readonly<Record<string, string>>;

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldErrors };

export const emptyJurisdiction: JurisdictionDraft = { code: '', registrationId: '', effectiveDate: '', expirationDate: '' };

export const emptyDraft: CertificateDraft = {
  reason: 'resale',
  reasonOther: '',
  form: 'single_state',
  number: '',
  purchaseType: 'blanket',
  invoiceNumber: '',
  poNumber: '',
  jurisdictions: [emptyJurisdiction],
  notes: '',
};

type DraftSource = Pick<Certificate, 'reason' | 'reasonOther' | 'form' | 'number' | 'jurisdictions'> & { readonly purchase?: Certificate['purchase']; readonly notes?: string };

export function draftOf(source: DraftSource): CertificateDraft {
  const purchase = source.purchase ?? { type: 'blanket' as const };
  return {
    reason: source.reason,
    reasonOther: source.reasonOther ?? '',
    form: source.form,
    number: source.number ?? '',
    purchaseType: purchase.type,
    invoiceNumber: purchase.type === 'single_purchase' ? (purchase.invoiceNumber ?? '') : '',
    poNumber: purchase.type === 'single_purchase' ? (purchase.poNumber ?? '') : '',
    jurisdictions: source.jurisdictions.map((j) => ({
      code: j.code,
      registrationId: j.registrationId ?? '',
      effectiveDate: j.effectiveDate,
      expirationDate: j.expirationDate ?? '',
    })),
    notes: source.notes ?? '',
  };
}

const orNull = (value: string): string | null => (value.trim() === '' ? null : value.trim());

/** The details group as the service takes it; unparsed, so the schema judges it. */
function detailsOf(draft: CertificateDraft) {
  return {
    reason: draft.reason,
    // Only "other" carries an explanation; one typed before switching reason is dropped, not refused.
    reasonOther: draft.reason === 'other' ? orNull(draft.reasonOther) : null,
    form: draft.form,
    number: orNull(draft.number),
    purchase:
      draft.purchaseType === 'blanket'
        ? { type: 'blanket' as const }
        : { type: 'single_purchase' as const, invoiceNumber: orNull(draft.invoiceNumber), poNumber: orNull(draft.poNumber) },
  };
}

function jurisdictionsOf(draft: CertificateDraft) {
  return draft.jurisdictions.map((j) => ({
    code: j.code,
    registrationId: orNull(j.registrationId),
    effectiveDate: j.effectiveDate,
    expirationDate: orNull(j.expirationDate),
  }));
}

/** `['details', 'jurisdictions', 0, 'code']` → `jurisdictions.0.code`: the group name is not part of a field. */
export function fieldKey(path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  if (parts[0] === 'details') parts.shift();
  return parts.join('.');
}

/** The service's field names (`details.reasonOther`, `jurisdictions[0].code`) as form keys. */
export function errorsFromProblems(problems: readonly FieldProblem[]): FieldErrors {
  const errors: Record<string, string> = {};
  for (const problem of problems) {
    const key = fieldKey(problem.field.replace(/\[(\d+)\]/g, '.$1').split('.').filter((part) => part !== ''));
    errors[key] ??= problem.message;
  }
  return errors;
}

/** Blank required fields get a plain instruction rather than the schema's "got ''". */
function missingFields(draft: CertificateDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (draft.reason === 'other' && draft.reasonOther.trim() === '') errors.reasonOther = 'explain the exemption when the reason is other';
  if (draft.purchaseType === 'single_purchase' && draft.invoiceNumber.trim() === '' && draft.poNumber.trim() === '') {
    errors['purchase.invoiceNumber'] = 'a single-purchase certificate needs the invoice number or the purchase-order number it covers';
  }
  draft.jurisdictions.forEach((j, index) => {
    if (j.code === '') errors[`jurisdictions.${index}.code`] = 'choose a jurisdiction';
    if (j.effectiveDate === '') errors[`jurisdictions.${index}.effectiveDate`] = 'enter the date the certificate takes effect';
  });
  return errors;
}

function judge<T>(draft: CertificateDraft, result: { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): Validated<T> {
  const errors: Record<string, string> = { ...missingFields(draft) };
  if (!result.success) {
    for (const issue of result.error.issues) errors[fieldKey(issue.path)] ??= issue.message;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (!result.success) return { ok: false, errors: { '': 'the certificate could not be checked' } };
  return { ok: true, value: result.data };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Whether the merchant changed anything since the form opened. */
export function isDirty(draft: CertificateDraft, initial: CertificateDraft): boolean {
  return !same(draft, initial);
}

/**
 * The edit to send: only the groups that changed (each replaces its group whole), against the
 * version on screen. `value: null` when nothing changed.
 */
export function validateEdit(draft: CertificateDraft, initial: CertificateDraft, expectedVersion: number): Validated<CertificatePatch | null> {
  const details = detailsOf(draft);
  const jurisdictions = jurisdictionsOf(draft);
  const patch = {
    expectedVersion,
    ...(same(details, detailsOf(initial)) ? {} : { details }),
    ...(same(jurisdictions, jurisdictionsOf(initial)) ? {} : { jurisdictions }),
    ...(draft.notes === initial.notes ? {} : { notes: draft.notes }),
  };
  if (Object.keys(patch).length === 1) return { ok: true, value: null };
  return judge(draft, certificatePatchSchema.safeParse(patch));
}

export function validateCreate(draft: CertificateDraft, customerId: string): Validated<CertificateInput> {
  return judge(draft, certificateInputSchema.safeParse({ customerId, ...detailsOf(draft), jurisdictions: jurisdictionsOf(draft), notes: draft.notes }));
}

/**
 * The reviewer's corrections to a customer's submission: details and jurisdictions when they
 * changed, notes when the reviewer wrote some. Judged with the create rules, since the
 * approved certificate must pass them.
 */
export function validateApproval(draft: CertificateDraft, initial: CertificateDraft, customerId: string): Validated<ApprovalCorrections> {
  const checked = validateCreate(draft, customerId);
  if (!checked.ok) return checked;
  const input = checked.value;
  const details: CertificateDetails = { reason: input.reason, reasonOther: input.reasonOther, form: input.form, number: input.number, purchase: input.purchase };
  const jurisdictions: CertificateJurisdiction[] = input.jurisdictions;
  return {
    ok: true,
    value: {
      ...(same(detailsOf(draft), detailsOf(initial)) ? {} : { details }),
      ...(same(jurisdictionsOf(draft), jurisdictionsOf(initial)) ? {} : { jurisdictions }),
      ...(draft.notes.trim() === '' ? {} : { notes: draft.notes }),
    },
  };
}
