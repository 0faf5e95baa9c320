import * as z from 'zod';
import type { Certificate, CertificateJurisdiction } from '../certificate.js';
import { certificateIdSchema, certificateJurisdictionSchema, customerIdSchema, purchaseSchema } from '../certificate.js';
import { certificateFormSchema } from '../certificateForms.js';
import { calendarDateSchema, instantSchema } from '../dates.js';
import { exemptionReasonSchema } from '../exemptionReasons.js';
import { jurisdictionCodeSchema } from '../jurisdictions.js';
import { currencySchema } from '../money.js';
import { ledgerAddressSources, creditNoteIdSchema, invoiceIdSchema, ledgerAddressSchema } from './invoiceFacts.js';
import { periodKeySchema } from './periods.js';

/**
 * - original / revision: a full treatment of the invoice in one jurisdiction
 *   (revision 1 is the original). The highest revision is the current one.
 * - negation: cancels everything its revision still stands for (the revision
 *   plus its credits and reversals), for a void or before a revision.
 * - credit: a credit note's proportional share of a revision, negative.
 * - credit_reversal: undoes a credit exactly, when its credit note is voided.
 */
export const entryKinds = ['original', 'revision', 'negation', 'credit', 'credit_reversal'] as const;

export type EntryKind = (typeof entryKinds)[number];

export const ledgerCauses = [
  'invoice.finalized',
  'invoice.voided',
  'credit_note.created',
  'credit_note.voided',
  'reprocess',
] as const;

export type LedgerCause = (typeof ledgerCauses)[number];

/**
 * How the sale was treated in the jurisdiction: exempt (the customer was tax
 * exempt there), reverse_charge (the buyer accounts for the tax), or taxable.
 */
export const treatments = ['taxable', 'exempt', 'reverse_charge'] as const;

export type Treatment = (typeof treatments)[number];

/**
 * The certificate as it was when the entry was written: an audit needs the
 * evidence as it stood, not whatever the certificate says today. `id` and
 * `version` name the full record in the certificate history.
 */
export const certificateSnapshotSchema = z.strictObject({
  id: certificateIdSchema,
  version: z.int().positive(),
  number: z.string().nullable(),
  reason: exemptionReasonSchema,
  reasonOther: z.string().nullable(),
  form: certificateFormSchema,
  purchase: purchaseSchema,
  /** The covering jurisdiction's registration id and dates. */
  jurisdiction: certificateJurisdictionSchema,
});

export type CertificateSnapshot = z.infer<typeof certificateSnapshotSchema>;

export function certificateSnapshot(certificate: Certificate, jurisdiction: CertificateJurisdiction): CertificateSnapshot {
  return {
    id: certificate.id,
    version: certificate.version,
    number: certificate.number,
    reason: certificate.reason,
    reasonOther: certificate.reasonOther,
    form: certificate.form,
    purchase: { ...certificate.purchase },
    jurisdiction: { ...jurisdiction },
  };
}

export const entryFlagsSchema = z.strictObject({
  /** Went out tax-exempt with no valid certificate covering it. */
  exposure: z.boolean(),
  /** Tax was charged although a valid certificate covered it: a refund may be owed. */
  overCollection: z.boolean(),
});

export type EntryFlags = z.infer<typeof entryFlagsSchema>;

/** The invoice-wide amounts a credit note's share is measured against. */
export const invoiceAmountsSchema = z.strictObject({
  totalExcludingTax: z.int(),
  tax: z.int(),
});

export type InvoiceAmounts = z.infer<typeof invoiceAmountsSchema>;

/** The credit note behind a credit or its reversal, with what its share was computed from. */
export const creditNoteRefSchema = z.strictObject({
  id: creditNoteIdSchema,
  issuedAt: instantSchema,
  totalExcludingTax: z.int().nonnegative(),
  tax: z.int().nonnegative().nullable(),
});

export type CreditNoteRef = z.infer<typeof creditNoteRefSchema>;

/**
 * One ledger entry. Entries are only ever added: amounts of an invoice in a
 * jurisdiction are the plain sum of its entries, and a period's totals the
 * plain sum of the entries in it.
 *
 * The schema drops unknown top-level keys so that a stored document (with
 * `_id`, `accountId`, `livemode`) parses as it comes back from the database.
 */
export const ledgerEntrySchema = z.object({
  id: z.string().min(1).max(1000),
  invoiceId: invoiceIdSchema,
  invoiceNumber: z.string().nullable(),
  purchaseOrder: z.string().nullable(),
  customerId: customerIdSchema,
  /** Null: outside every known jurisdiction (no address, or not in the US). */
  jurisdiction: jurisdictionCodeSchema.nullable(),
  currency: currencySchema,
  /** Minor units; negative on negations and credits. */
  taxable: z.int(),
  exempt: z.int(),
  tax: z.int(),
  /**
   * The day of the transaction the entry is about, in the account's zone: the
   * invoice's for revisions and negations, the credit note's for credits.
   */
  transactionDate: calendarDateSchema,
  /** The filing period it is reported in; a later period when its own was already filed. */
  periodKey: periodKeySchema,
  kind: z.enum(entryKinds),
  /** For revisions their number (1 = original); for every other kind, the number of the revision it adjusts. */
  revision: z.int().positive(),
  /** The entry cancelled, in whole (negation) or in part (credit, reversal). */
  negates: z.string().nullable(),
  /** On a revision, the revision it replaces as the current one. */
  supersedes: z.string().nullable(),
  treatment: z.enum(treatments),
  /** Distinct `taxability_reason`s of the invoice's tax rows in this jurisdiction, sorted. */
  taxabilityReasons: z.array(z.string()),
  certificate: certificateSnapshotSchema.nullable(),
  address: ledgerAddressSchema.nullable(),
  addressSource: z.enum(ledgerAddressSources).nullable(),
  flags: entryFlagsSchema,
  invoiceAmounts: invoiceAmountsSchema,
  creditNote: creditNoteRefSchema.nullable(),
  cause: z.enum(ledgerCauses),
  /** The event id, credit note id or reprocess run id that produced the entry. */
  causeId: z.string().min(1).max(255),
});

export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** The three amounts every entry carries, in minor units of the entry's currency. */
export interface LedgerAmounts {
  readonly taxable: number;
  readonly exempt: number;
  readonly tax: number;
}

export function isRevisionKind(kind: EntryKind): kind is 'original' | 'revision' {
  return kind === 'original' || kind === 'revision';
}
