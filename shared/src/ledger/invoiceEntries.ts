import type { Certificate } from '../certificate.js';
import { calendarDateIn } from '../dates.js';
import { addMinor } from './amounts.js';
import { CertificateCustomerMismatchError, InvalidLedgerInputError } from './errors.js';
import { originalEntryId } from './entryIds.js';
import type { InvoiceFacts, InvoiceFactsInput } from './invoiceFacts.js';
import { invoiceFactsSchema } from './invoiceFacts.js';
import { jurisdictionAmounts } from './jurisdictionAmounts.js';
import type { LedgerContext } from './ledgerContext.js';
import { placeTransaction } from './ledgerContext.js';
import type { LedgerEntry, Treatment } from './ledgerEntry.js';
import { treatSale } from './treatSale.js';
import { causeIdSchema, issuesOf } from './validation.js';

export interface InvoiceFinalized {
  readonly invoice: InvoiceFactsInput;
  /** The customer's certificates (any status: coverage decides). */
  readonly certificates: readonly Certificate[];
  /** The `invoice.finalized` event id. */
  readonly eventId: string;
}

function parseInvoice(input: InvoiceFactsInput): InvoiceFacts {
  const parsed = invoiceFactsSchema.safeParse(input);
  if (!parsed.success) throw new InvalidLedgerInputError('invoice', issuesOf(parsed.error));
  return parsed.data;
}

/**
 * The original entries of a finalized invoice: one per jurisdiction, in
 * jurisdiction order. Deterministic: the same facts, certificates and
 * context give the same entries, with the same ids.
 */
export function entriesForInvoice(request: InvoiceFinalized, context: LedgerContext): LedgerEntry[] {
  const invoice = parseInvoice(request.invoice);
  const eventId = causeIdSchema.safeParse(request.eventId);
  if (!eventId.success) throw new InvalidLedgerInputError('cause', issuesOf(eventId.error));
  for (const certificate of request.certificates) {
    if (certificate.customerId !== invoice.customerId) {
      throw new CertificateCustomerMismatchError(certificate.id, certificate.customerId, invoice.customerId);
    }
  }
  const transactionDate = calendarDateIn(new Date(invoice.finalizedAt), context.timeZone);
  const groups = jurisdictionAmounts(invoice);
  const invoiceTax = groups.reduce((sum, group) => addMinor(sum, group.tax, invoice.currency), 0);
  return groups.map((group) => {
    const treatment: Treatment =
      invoice.customerTaxExempt === 'reverse'
        ? 'reverse_charge'
        : invoice.customerTaxExempt === 'exempt' || group.customerExempt
          ? 'exempt'
          : 'taxable';
    const treated = treatSale(
      {
        jurisdiction: group.jurisdiction,
        date: transactionDate,
        invoiceNumber: invoice.invoiceNumber,
        purchaseOrder: invoice.purchaseOrder,
        treatment,
        base: group.base,
        tax: group.tax,
      },
      request.certificates,
    );
    return {
      id: originalEntryId(invoice.invoiceId, group.jurisdiction),
      invoiceId: invoice.invoiceId,
      invoiceNumber: invoice.invoiceNumber,
      purchaseOrder: invoice.purchaseOrder,
      customerId: invoice.customerId,
      jurisdiction: group.jurisdiction,
      currency: invoice.currency,
      taxable: treated.taxable,
      exempt: treated.exempt,
      tax: treated.tax,
      transactionDate,
      periodKey: placeTransaction(context, group.jurisdiction, transactionDate),
      kind: 'original',
      revision: 1,
      negates: null,
      supersedes: null,
      treatment: treated.treatment,
      taxabilityReasons: [...group.taxabilityReasons],
      certificate: treated.certificate,
      address: invoice.address,
      addressSource: invoice.addressSource,
      flags: treated.flags,
      invoiceAmounts: { totalExcludingTax: invoice.totalExcludingTax, tax: invoiceTax },
      creditNote: null,
      cause: 'invoice.finalized',
      causeId: eventId.data,
    };
  });
}
