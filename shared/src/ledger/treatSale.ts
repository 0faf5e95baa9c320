import type { Certificate } from '../certificate.js';
import { findCoveringCertificate } from '../coverage.js';
import type { CalendarDate } from '../dates.js';
import type { JurisdictionCode } from '../jurisdictions.js';
import type { CertificateSnapshot, EntryFlags, LedgerAmounts, Treatment } from './ledgerEntry.js';
import { certificateSnapshot } from './ledgerEntry.js';

/** A sale in one jurisdiction, as the rules below need it. */
export interface SaleInJurisdiction {
  readonly jurisdiction: JurisdictionCode | null;
  readonly date: CalendarDate;
  readonly invoiceNumber: string | null;
  readonly purchaseOrder: string | null;
  readonly treatment: Treatment;
  readonly base: number;
  readonly tax: number;
}

export interface TreatedSale extends LedgerAmounts {
  readonly treatment: Treatment;
  readonly certificate: CertificateSnapshot | null;
  readonly flags: EntryFlags;
}

/**
 * - exposure: treated as exempt and no valid certificate covers the sale
 *   (including a sale with no known jurisdiction, which nothing can cover).
 * - overCollection: tax was charged although a valid certificate covered it.
 * - Reverse charge is neither: the buyer accounts for the tax, so there is
 *   nothing to evidence and nothing to refund.
 */
export function entryFlags(treatment: Treatment, tax: number, covered: boolean): EntryFlags {
  if (treatment === 'reverse_charge') return { exposure: false, overCollection: false };
  return { exposure: treatment === 'exempt' && !covered, overCollection: tax > 0 && covered };
}

/**
 * Amounts, flags and certificate of a sale. An exempt sale books its base as
 * exempt (taxable 0), anything else as taxable; the tax is what was actually
 * charged either way. The certificate snapshot is the covering one, if any:
 * for an exempt sale the evidence, for a taxed one the reason a refund may be
 * owed. Single-purchase certificates match on the invoice or PO number.
 */
export function treatSale(sale: SaleInJurisdiction, certificates: readonly Certificate[]): TreatedSale {
  const covering = findCoveringCertificate(certificates, {
    jurisdiction: sale.jurisdiction,
    date: sale.date,
    invoiceNumber: sale.invoiceNumber,
    poNumber: sale.purchaseOrder,
  });
  const exempt = sale.treatment === 'exempt';
  return {
    treatment: sale.treatment,
    taxable: exempt ? 0 : sale.base,
    exempt: exempt ? sale.base : 0,
    tax: sale.tax,
    certificate: covering === null ? null : certificateSnapshot(covering.certificate, covering.jurisdiction),
    flags: entryFlags(sale.treatment, sale.tax, covering !== null),
  };
}
