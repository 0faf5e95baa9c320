import { certificateSchema, type Certificate } from '@exemptions/shared';

/** Denormalised from Stripe so certificates can be searched by customer name and email. */
export interface CustomerSummary {
  readonly name: string | null;
  readonly email: string | null;
}

/** The last calendar date there is; stands for "no expiration" so date ranges compare as strings. */
export const NO_EXPIRY = '9999-12-31';

/**
 * A certificate as MongoDB holds it: the domain record plus fields derived for queries.
 * `windows` repeats each jurisdiction's validity with NO_EXPIRY for "until revoked", so status
 * filters are plain range conditions; `search` holds lowercased keys for prefix search.
 */
export interface CertificateDocument extends Omit<Certificate, 'id'> {
  _id: string;
  customer: CustomerSummary;
  search: { customerId: string; name: string; email: string };
  windows: Array<{ code: string; from: string; until: string }>;
  /** The soonest expiration over all jurisdictions: the "sort by expiration" key. */
  sortExpiry: string;
}

export function toDocument(certificate: Certificate, customer: CustomerSummary): CertificateDocument {
  const { id, ...rest } = certificate;
  const windows = certificate.jurisdictions.map((j) => ({ code: j.code, from: j.effectiveDate, until: j.expirationDate ?? NO_EXPIRY }));
  return {
    _id: id,
    ...rest,
    customer,
    search: {
      customerId: certificate.customerId.toLowerCase(),
      name: (customer.name ?? '').toLowerCase(),
      email: (customer.email ?? '').toLowerCase(),
    },
    windows,
    sortExpiry: windows.reduce((soonest, w) => (w.until < soonest ? w.until : soonest), NO_EXPIRY),
  };
}

export function fromDocument(document: CertificateDocument): { certificate: Certificate; customer: CustomerSummary } {
  return { certificate: certificateSchema.parse({ ...document, id: document._id }), customer: document.customer };
}
