import * as z from 'zod';
import { calendarDateSchema, instantSchema, isCalendarDate } from './dates.js';
import { certificateFormSchema } from './certificateForms.js';
import { exemptionReasonSchema } from './exemptionReasons.js';
import { jurisdictionCodeSchema, jurisdictionCodes } from './jurisdictions.js';

// Objects a person fills in are strict: an unknown key is a mistake to report,
// not something to drop silently, and it also keeps `$`- and `.`-keys (which
// MongoDB would read as operators or paths) out of the store.

export const certificateLimits = {
  numberLength: 64,
  registrationIdLength: 64,
  reasonOtherLength: 500,
  purchaseReferenceLength: 100,
  notesLength: 5000,
  archivedReasonLength: 500,
  filenameLength: 255,
  filesPerCertificate: 20,
  fileBytes: 10 * 1024 * 1024,
} as const;

function text(maxLength: number) {
  return z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(maxLength, { error: `must be at most ${maxLength} characters` });
}

export const customerIdSchema = z.string().regex(/^cus_[A-Za-z0-9]{1,250}$/, {
  error: 'must be a Stripe customer id (cus_…)',
});

export const accountIdSchema = z.string().regex(/^acct_[A-Za-z0-9]{1,250}$/, {
  error: 'must be a Stripe account id (acct_…)',
});

export const certificateIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, {
  error: 'must be 1 to 64 letters, digits, _ or -',
});

/**
 * Blanket certificates cover every purchase in their jurisdictions; a
 * single-purchase certificate covers the one purchase it names, by invoice
 * number, purchase-order number, or both.
 */
export const purchaseSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('blanket') }),
    z
      .strictObject({
        type: z.literal('single_purchase'),
        invoiceNumber: text(certificateLimits.purchaseReferenceLength).nullable().default(null),
        poNumber: text(certificateLimits.purchaseReferenceLength).nullable().default(null),
      })
      .refine((purchase) => purchase.invoiceNumber !== null || purchase.poNumber !== null, {
        path: ['invoiceNumber'],
        error: 'a single-purchase certificate needs the invoice number or the purchase-order number it covers',
      }),
  ],
  { error: 'purchase type must be blanket or single_purchase' },
);

export type Purchase = z.infer<typeof purchaseSchema>;

/**
 * One jurisdiction on a certificate. Dates are calendar dates in the account's
 * time zone; `expirationDate` is the last day the certificate is valid, and
 * null means valid until revoked, as many states issue them.
 */
export const certificateJurisdictionSchema = z
  .strictObject({
    code: jurisdictionCodeSchema,
    registrationId: text(certificateLimits.registrationIdLength).nullable().default(null),
    effectiveDate: calendarDateSchema,
    expirationDate: calendarDateSchema.nullable(),
  })
  .superRefine((jurisdiction, ctx) => {
    const { effectiveDate, expirationDate } = jurisdiction;
    // A malformed date has its own issue already; comparing it would only add noise.
    if (expirationDate === null || !isCalendarDate(effectiveDate) || !isCalendarDate(expirationDate)) return;
    if (expirationDate < effectiveDate) {
      ctx.addIssue({
        code: 'custom',
        path: ['expirationDate'],
        input: expirationDate,
        message: `expiration date ${expirationDate} is before effective date ${effectiveDate}`,
      });
    }
  });

export type CertificateJurisdiction = z.infer<typeof certificateJurisdictionSchema>;

export const certificateJurisdictionsSchema = z
  .array(certificateJurisdictionSchema)
  .min(1, { error: 'a certificate must cover at least one jurisdiction' })
  .max(jurisdictionCodes.length, { error: `a certificate covers at most ${jurisdictionCodes.length} jurisdictions` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((jurisdiction, index) => {
      if (seen.has(jurisdiction.code)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'code'],
          input: jurisdiction.code,
          message: `jurisdiction ${jurisdiction.code} is listed more than once`,
        });
      }
      seen.add(jurisdiction.code);
    });
  });

export const notesSchema = z
  .string()
  .max(certificateLimits.notesLength, { error: `notes must be at most ${certificateLimits.notesLength} characters` });

// Kept as a plain shape so the create input and the stored record can spread
// it, and the edit can take it as one group (the help page's "Certificate
// details"), all under the same cross-field rule.
const detailsShape = {
  reason: exemptionReasonSchema,
  reasonOther: text(certificateLimits.reasonOtherLength).nullable().default(null),
  form: certificateFormSchema,
  number: text(certificateLimits.numberLength).nullable().default(null),
  purchase: purchaseSchema,
};

/** "Other" must be explained, and only "other" may carry an explanation. */
function checkReasonOther(details: { reason: string; reasonOther: string | null }, ctx: z.RefinementCtx): void {
  if (details.reason === 'other' && details.reasonOther === null) {
    ctx.addIssue({ code: 'custom', path: ['reasonOther'], input: null, message: 'explain the exemption when the reason is other' });
  }
  if (details.reason !== 'other' && details.reasonOther !== null) {
    ctx.addIssue({
      code: 'custom',
      path: ['reasonOther'],
      input: details.reasonOther,
      message: 'reasonOther is only for the reason other',
    });
  }
}

export const certificateDetailsSchema = z.strictObject(detailsShape).superRefine(checkReasonOther);

export type CertificateDetails = z.infer<typeof certificateDetailsSchema>;

/** What a merchant (or an import row) submits to create a certificate. */
export const certificateInputSchema = z
  .strictObject({
    customerId: customerIdSchema,
    ...detailsShape,
    jurisdictions: certificateJurisdictionsSchema,
    notes: notesSchema.default(''),
  })
  .superRefine(checkReasonOther);

export type CertificateInput = z.infer<typeof certificateInputSchema>;

/**
 * An edit. Each group present replaces that group whole, so the cross-field
 * rules are checked on what will be stored. `expectedVersion` is the version
 * the editor saw: an edit made on a stale screen is refused instead of
 * silently undoing someone else's change.
 */
export const certificatePatchSchema = z
  .strictObject({
    expectedVersion: z.int().positive(),
    details: certificateDetailsSchema.optional(),
    jurisdictions: certificateJurisdictionsSchema.optional(),
    notes: notesSchema.optional(),
  })
  .refine((patch) => patch.details !== undefined || patch.jurisdictions !== undefined || patch.notes !== undefined, {
    error: 'an edit must change details, jurisdictions or notes',
  });

export type CertificatePatch = z.infer<typeof certificatePatchSchema>;

export const certificateFileContentTypes = ['application/pdf', 'image/png', 'image/jpeg'] as const;

export type CertificateFileContentType = (typeof certificateFileContentTypes)[number];

function isPlainFilename(name: string): boolean {
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (char === '/' || char === '\\' || code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/**
 * Features of a PDF that act when it is opened — JavaScript, launch actions (run a program),
 * embedded files — which whoever opens the file is warned of. Found by the worker's scan
 * (worker/src/files/pdfActiveContent.ts); a warning, not a verdict.
 */
/** `not_fully_inspected`: the check stopped at its inflation limits, so what lies past them is unknown. */
export const pdfActiveContentKinds = ['javascript', 'launch_action', 'embedded_file', 'not_fully_inspected'] as const;

export type PdfActiveContentKind = (typeof pdfActiveContentKinds)[number];

/** Metadata of a stored copy of the signed certificate; the bytes live elsewhere. */
export const certificateFileSchema = z.strictObject({
  id: certificateIdSchema,
  filename: text(certificateLimits.filenameLength).refine(isPlainFilename, {
    error: 'filename must not contain path separators or control characters',
  }),
  contentType: z.enum(certificateFileContentTypes, { error: 'file must be a PDF, PNG or JPEG' }),
  size: z
    .int()
    .positive({ error: 'file must not be empty' })
    .max(certificateLimits.fileBytes, { error: `file must be at most ${certificateLimits.fileBytes} bytes` }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'sha256 must be 64 lowercase hex digits' }),
  uploadedAt: instantSchema,
  /** Only on a PDF with active content: what it holds, so the file is opened with care. */
  activeContent: z.array(z.enum(pdfActiveContentKinds)).min(1).optional(),
});

export type CertificateFile = z.infer<typeof certificateFileSchema>;

export const certificateSources = ['merchant', 'customer_submission', 'import'] as const;

export type CertificateSource = (typeof certificateSources)[number];

export const certificateSourceSchema = z.enum(certificateSources);

/**
 * A certificate as stored. Unknown top-level keys (such as MongoDB's `_id`)
 * are dropped rather than rejected so a stored document parses as it comes
 * back from the database. `version` starts at 1 and grows by one per change;
 * the history keeps every version.
 */
export const certificateSchema = z
  .object({
    id: certificateIdSchema,
    accountId: accountIdSchema,
    livemode: z.boolean(),
    customerId: customerIdSchema,
    ...detailsShape,
    jurisdictions: certificateJurisdictionsSchema,
    notes: notesSchema,
    files: z
      .array(certificateFileSchema)
      .max(certificateLimits.filesPerCertificate, {
        error: `a certificate holds at most ${certificateLimits.filesPerCertificate} files`,
      }),
    source: certificateSourceSchema,
    archivedAt: instantSchema.nullable(),
    archivedReason: text(certificateLimits.archivedReasonLength).nullable(),
    version: z.int().positive(),
    createdAt: instantSchema,
    updatedAt: instantSchema,
  })
  .superRefine(checkReasonOther)
  .superRefine((certificate, ctx) => {
    if (certificate.archivedAt === null && certificate.archivedReason !== null) {
      ctx.addIssue({
        code: 'custom',
        path: ['archivedReason'],
        input: certificate.archivedReason,
        message: 'only an archived certificate has an archive reason',
      });
    }
  });

export type Certificate = z.infer<typeof certificateSchema>;
