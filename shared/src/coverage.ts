import type { Certificate, CertificateJurisdiction } from './certificate.js';
import type { CalendarDate } from './dates.js';
import { compareDates } from './dates.js';

/**
 * What a certificate is asked to cover: a sale in one jurisdiction on one
 * calendar date (the account's time zone), optionally identified by its
 * invoice and purchase-order numbers for single-purchase certificates.
 */
export interface CoverageQuery {
  /** ISO 3166-2 code; null when the address maps to no known jurisdiction. */
  readonly jurisdiction: string | null;
  readonly date: CalendarDate;
  readonly invoiceNumber?: string | null;
  readonly poNumber?: string | null;
}

/**
 * Why a certificate does not cover a sale; a reprocess preview lists these as
 * the skipped transactions. When several apply, the first in this order is
 * reported: archived, jurisdiction_not_covered, not_yet_effective, expired,
 * other_purchase.
 */
export type NotCoveredReason =
  | 'archived'
  | 'jurisdiction_not_covered'
  | 'not_yet_effective'
  | 'expired'
  | 'other_purchase';

export type Coverage =
  | { readonly covered: true; readonly jurisdiction: CertificateJurisdiction }
  | { readonly covered: false; readonly reason: NotCoveredReason };

type CoverageInput = Pick<Certificate, 'archivedAt' | 'jurisdictions' | 'purchase'>;

function normalizedReference(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/**
 * A single-purchase certificate covers the purchase whose invoice number or
 * PO number equals the one on the certificate (exactly, after trimming): a
 * loose match would exempt a sale the customer never claimed.
 */
function coversPurchase(purchase: Certificate['purchase'], query: CoverageQuery): boolean {
  if (purchase.type === 'blanket') return true;
  const invoice = normalizedReference(query.invoiceNumber);
  const po = normalizedReference(query.poNumber);
  return (
    (purchase.invoiceNumber !== null && invoice === purchase.invoiceNumber.trim()) ||
    (purchase.poNumber !== null && po === purchase.poNumber.trim())
  );
}

export function coverage(certificate: CoverageInput, query: CoverageQuery): Coverage {
  if (certificate.archivedAt !== null) return { covered: false, reason: 'archived' };
  const jurisdiction = certificate.jurisdictions.find((j) => j.code === query.jurisdiction);
  if (jurisdiction === undefined) return { covered: false, reason: 'jurisdiction_not_covered' };
  if (compareDates(query.date, jurisdiction.effectiveDate) < 0) return { covered: false, reason: 'not_yet_effective' };
  if (jurisdiction.expirationDate !== null && compareDates(query.date, jurisdiction.expirationDate) > 0) {
    return { covered: false, reason: 'expired' };
  }
  if (!coversPurchase(certificate.purchase, query)) return { covered: false, reason: 'other_purchase' };
  return { covered: true, jurisdiction };
}

export function covers(certificate: CoverageInput, query: CoverageQuery): boolean {
  return coverage(certificate, query).covered;
}

export interface CoveringCertificate<C extends CoverageInput & Pick<Certificate, 'id'>> {
  readonly certificate: C;
  readonly jurisdiction: CertificateJurisdiction;
}

/**
 * The certificate to apply when several cover the sale: the one whose
 * jurisdiction entry took effect most recently (the newest evidence), ties
 * broken by the smaller id in string order. The choice depends only on the set, not on the
 * order it arrives in, so a retried job records the same certificate.
 */
export function findCoveringCertificate<C extends CoverageInput & Pick<Certificate, 'id'>>(
  certificates: readonly C[],
  query: CoverageQuery,
): CoveringCertificate<C> | null {
  let best: CoveringCertificate<C> | null = null;
  for (const certificate of certificates) {
    const result = coverage(certificate, query);
    if (!result.covered) continue;
    const candidate = { certificate, jurisdiction: result.jurisdiction };
    if (best === null || isPreferred(candidate, best)) best = candidate;
  }
  return best;
}

function isPreferred<C extends Pick<Certificate, 'id'>>(
  a: { certificate: C; jurisdiction: CertificateJurisdiction },
  b: { certificate: C; jurisdiction: CertificateJurisdiction },
): boolean {
  const byEffective = compareDates(a.jurisdiction.effectiveDate, b.jurisdiction.effectiveDate);
  if (byEffective !== 0) return byEffective > 0;
  return a.certificate.id < b.certificate.id;
}
