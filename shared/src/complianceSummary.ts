import type { CalendarDate, Instant } from './dates.js';
import { addDays, compareDates } from './dates.js';
import type { RequestStatus } from './certificateRequests.js';
import type { JurisdictionCode } from './jurisdictions.js';
import { currentEntries } from './ledger/currentEntries.js';
import type { LedgerEntry } from './ledger/ledgerEntry.js';
import type { CertificateStatus } from './status.js';
import { certificateStatuses, nextExpirationDate, statusByJurisdiction } from './status.js';
import type { Certificate } from './certificate.js';

/*
 * The numbers an auditor asks for first (the help page's compliance summary): how many
 * certificates stand in each status, overall and per jurisdiction, how many run out within
 * 30, 60 and 90 days, how many requests wait on the merchant or the customer, and how many
 * invoices carry an exposure or over-collection flag today.
 */

/** The horizons of the summary's "expiring within" counts, in days from today. */
export const complianceHorizons = [30, 60, 90] as const;

export type StatusCounts = Readonly<Record<CertificateStatus, number>>;

/** Counts per status, every status present (zero when none), in the order statuses are ranked. */
export function countByStatus(statuses: Iterable<CertificateStatus>): StatusCounts {
  const counts = Object.fromEntries(certificateStatuses.map((status) => [status, 0])) as Record<CertificateStatus, number>;
  for (const status of statuses) counts[status] += 1;
  return counts;
}

export interface ExpiringCount {
  readonly withinDays: number;
  readonly count: number;
}

type ExpiryInput = Pick<Certificate, 'archivedAt' | 'jurisdictions'>;

/**
 * For each horizon, how many certificates have a jurisdiction in force today whose last valid
 * day falls between today and `today + days`, both included. Cumulative: a certificate
 * expiring in 10 days counts under 30, 60 and 90, because "within 60 days" is what a merchant
 * plans renewals by. Archived certificates, and ones whose only expiring jurisdiction is not
 * yet in force, do not count: nothing is about to lapse for them.
 */
export function expiringWithin(
  certificates: readonly ExpiryInput[],
  today: CalendarDate,
  horizons: readonly number[] = complianceHorizons,
): ExpiringCount[] {
  const nextExpirations = certificates.map((certificate) => nextExpirationDate(certificate, today)).filter((date): date is CalendarDate => date !== null);
  return horizons.map((withinDays) => {
    if (!Number.isSafeInteger(withinDays) || withinDays < 0) throw new RangeError(`a horizon is a whole number of days from 0 up, got ${withinDays}`);
    const last = addDays(today, withinDays);
    return { withinDays, count: nextExpirations.filter((date) => compareDates(date, last) <= 0).length };
  });
}

export interface FlaggedInvoiceCounts {
  /** Invoices that went out tax-exempt, in some jurisdiction, with no valid certificate covering them. */
  readonly exposure: number;
  /** Invoices on which tax was charged, in some jurisdiction, although a valid certificate covered them. */
  readonly overCollection: number;
}

/**
 * Distinct invoices whose *current* treatment carries each flag. A voided invoice, or one a
 * reprocess run has since covered, no longer counts: its flagged revision is negated or
 * superseded. The entries may be any superset of the flagged ones (adjusting entries copy
 * their target's flags, so the flagged entries alone already tell which revisions stand).
 */
export function flaggedInvoices(entries: readonly LedgerEntry[]): FlaggedInvoiceCounts {
  const exposure = new Set<string>();
  const overCollection = new Set<string>();
  for (const entry of currentEntries(entries)) {
    if (entry.flags.exposure) exposure.add(entry.invoiceId);
    if (entry.flags.overCollection) overCollection.add(entry.invoiceId);
  }
  return { exposure: exposure.size, overCollection: overCollection.size };
}

export interface JurisdictionCounts {
  readonly jurisdiction: JurisdictionCode;
  readonly byStatus: StatusCounts;
  readonly total: number;
}

/**
 * Per jurisdiction, how many certificates cover it and in which status: a certificate
 * covering Texas and California counts once under each, with that jurisdiction's own status
 * (every jurisdiction of an archived certificate reads archived). Only jurisdictions some
 * certificate names are listed, by code.
 */
export function countByJurisdiction(
  certificates: readonly Pick<Certificate, 'archivedAt' | 'jurisdictions'>[],
  today: CalendarDate,
  windowDays: number,
): JurisdictionCounts[] {
  const statuses = new Map<JurisdictionCode, CertificateStatus[]>();
  for (const certificate of certificates) {
    for (const { code, status } of statusByJurisdiction(certificate, today, windowDays)) {
      const list = statuses.get(code);
      if (list === undefined) statuses.set(code, [status]);
      else list.push(status);
    }
  }
  return [...statuses.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([jurisdiction, list]) => ({ jurisdiction, byStatus: countByStatus(list), total: list.length }));
}

export interface RequestQueueCounts {
  /** Customer submissions waiting for the merchant's review (the review queue). */
  readonly pendingSubmissions: number;
  /** Requests sent to a customer whose link still works and who has not answered yet. */
  readonly outstandingRequests: number;
}

/**
 * The two halves of the request queue. A link past its expiry no longer counts as
 * outstanding even before the daily job marks it expired: nobody can answer it any more.
 */
export function requestQueueCounts(requests: readonly { readonly status: RequestStatus; readonly expiresAt: Instant }[], now: Instant): RequestQueueCounts {
  const at = Date.parse(now);
  let pendingSubmissions = 0;
  let outstandingRequests = 0;
  for (const request of requests) {
    if (request.status === 'submitted') pendingSubmissions += 1;
    else if ((request.status === 'sent' || request.status === 'opened') && Date.parse(request.expiresAt) > at) outstandingRequests += 1;
  }
  return { pendingSubmissions, outstandingRequests };
}
