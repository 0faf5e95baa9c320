import {
  certificateIdSchema,
  certificateJurisdictionsSchema,
  certificateSchema,
  certificateStatus,
  instantSchema,
  nextStatusChange,
  purchaseSchema,
  type CalendarDate,
  type Certificate,
  type CertificateStatus,
} from '@exemptions/shared';
import { z } from 'zod';

/** Denormalised from Stripe so certificates can be searched by customer name and email. */
export interface CustomerSummary {
  readonly name: string | null;
  readonly email: string | null;
}

/** The last calendar date there is; stands for "no expiration" so date ranges compare as strings. */
export const NO_EXPIRY = '9999-12-31';

/** The day a stored status was computed for, and the account's expiring-soon window then. */
export interface StatusBasis {
  readonly today: CalendarDate;
  readonly windowDays: number;
}

/**
 * The stored status and how long it holds. A status only changes on the dates
 * `nextStatusChange` names, so a status computed for `asOf` stays right until `until`; a
 * document outside that range (or computed under another window) is refreshed before any
 * status query. This stands in for `$elemMatch` over jurisdictions, which FerretDB lacks.
 */
export interface StoredStatus {
  value: CertificateStatus;
  asOf: CalendarDate;
  until: CalendarDate;
  windowDays: number;
}

export function storedStatus(certificate: Certificate, basis: StatusBasis): StoredStatus {
  return {
    value: certificateStatus(certificate, basis.today, basis.windowDays),
    asOf: basis.today,
    until: nextStatusChange(certificate, basis.today, basis.windowDays) ?? NO_EXPIRY,
    windowDays: basis.windowDays,
  };
}

/**
 * A certificate as MongoDB holds it: the domain record plus fields derived for queries:
 * `search` holds lowercased keys for prefix search, `status` the status as of a day.
 */
export interface CertificateDocument extends Omit<Certificate, 'id'> {
  _id: string;
  customer: CustomerSummary;
  search: { customerId: string; name: string; email: string };
  status: StoredStatus;
  /** The soonest expiration over all jurisdictions: the "sort by expiration" key. */
  sortExpiry: string;
}

export function toDocument(certificate: Certificate, customer: CustomerSummary, basis: StatusBasis): CertificateDocument {
  const { id, ...rest } = certificate;
  return {
    _id: id,
    ...rest,
    customer,
    search: {
      customerId: certificate.customerId.toLowerCase(),
      name: (customer.name ?? '').toLowerCase(),
      email: (customer.email ?? '').toLowerCase(),
    },
    status: storedStatus(certificate, basis),
    sortExpiry: certificate.jurisdictions.reduce((soonest, j) => {
      const until = j.expirationDate ?? NO_EXPIRY;
      return until < soonest ? until : soonest;
    }, NO_EXPIRY),
  };
}

export function fromDocument(document: CertificateDocument): { certificate: Certificate; customer: CustomerSummary } {
  return { certificate: certificateSchema.parse({ ...document, id: document._id }), customer: document.customer };
}

/** What a coverage decision reads of a certificate (see `findCoveringCertificate`). */
export type CoverageFields = Pick<Certificate, 'id' | 'archivedAt' | 'purchase' | 'jurisdictions'>;

/** The projection that reads only those fields. */
export const coverageProjection = { _id: 1, archivedAt: 1, purchase: 1, jurisdictions: 1 } as const;

const coverageFieldsSchema = z.object({
  _id: certificateIdSchema,
  archivedAt: instantSchema.nullable(),
  purchase: purchaseSchema,
  jurisdictions: certificateJurisdictionsSchema,
});

export function coverageFieldsFromDocument(document: Pick<CertificateDocument, '_id' | 'archivedAt' | 'purchase' | 'jurisdictions'>): CoverageFields {
  const { _id, ...fields } = coverageFieldsSchema.parse(document);
  return { id: _id, ...fields };
}
