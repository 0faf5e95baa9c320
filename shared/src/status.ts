import type { Certificate, CertificateJurisdiction } from './certificate.js';
import type { CalendarDate } from './dates.js';
import { addDays, compareDates, daysBetween } from './dates.js';
import { DomainError } from './errors.js';
import type { JurisdictionCode } from './jurisdictions.js';

/*
 * Status rules. `today` is a calendar date in the account's time zone (see
 * `calendarDateIn`); nothing here looks at a clock or a zone.
 *
 * One jurisdiction of a certificate:
 * - not_yet_effective  today < effectiveDate
 * - expired            today > expirationDate (the expiration date is the
 *                      last valid day, inclusive)
 * - expiring_soon      in force and daysBetween(today, expirationDate) <=
 *                      windowDays: expiring today and expiring exactly
 *                      windowDays from now both count; windowDays + 1 does not
 * - active             in force otherwise; with no expiration date a
 *                      jurisdiction stays active for good once effective
 * "In force" means effectiveDate <= today <= expirationDate (or no expiry).
 *
 * A certificate:
 * - archived           archivedAt is set; this wins over any date
 * - expiring_soon      some jurisdiction is in force and some in-force one
 *                      is expiring soon
 * - active             some jurisdiction is in force, none expiring soon
 * - not_yet_effective  none in force, some not yet effective
 * - expired            none in force or upcoming
 *
 * A customer: 'none' without certificates, else the best status among them,
 * in the order active > expiring_soon > not_yet_effective > expired > archived.
 */

export type JurisdictionStatus = 'active' | 'expiring_soon' | 'expired' | 'not_yet_effective';

export type CertificateStatus = JurisdictionStatus | 'archived';

export type CustomerStatus = CertificateStatus | 'none';

/** Every certificate status, best first (the order `customerStatus` prefers). */
export const certificateStatuses = ['active', 'expiring_soon', 'not_yet_effective', 'expired', 'archived'] as const satisfies readonly CertificateStatus[];

export const defaultExpiryWindowDays = 30;

export class InvalidExpiryWindowError extends DomainError {
  override readonly name = 'InvalidExpiryWindowError';
  constructor(readonly windowDays: number) {
    super(`the expiring-soon window must be a whole number of days from 0 up, got ${windowDays}`);
  }
}

function assertWindow(windowDays: number): void {
  if (!Number.isSafeInteger(windowDays) || windowDays < 0) throw new InvalidExpiryWindowError(windowDays);
}

type JurisdictionDates = Pick<CertificateJurisdiction, 'effectiveDate' | 'expirationDate'>;

export function isInForce(jurisdiction: JurisdictionDates, date: CalendarDate): boolean {
  if (compareDates(date, jurisdiction.effectiveDate) < 0) return false;
  return jurisdiction.expirationDate === null || compareDates(date, jurisdiction.expirationDate) <= 0;
}

export function jurisdictionStatus(
  jurisdiction: JurisdictionDates,
  today: CalendarDate,
  windowDays: number = defaultExpiryWindowDays,
): JurisdictionStatus {
  assertWindow(windowDays);
  if (compareDates(today, jurisdiction.effectiveDate) < 0) return 'not_yet_effective';
  if (jurisdiction.expirationDate === null) return 'active';
  const daysLeft = daysBetween(today, jurisdiction.expirationDate);
  if (daysLeft < 0) return 'expired';
  return daysLeft <= windowDays ? 'expiring_soon' : 'active';
}

type StatusInput = Pick<Certificate, 'archivedAt' | 'jurisdictions'>;

export function certificateStatus(
  certificate: StatusInput,
  today: CalendarDate,
  windowDays: number = defaultExpiryWindowDays,
): CertificateStatus {
  assertWindow(windowDays);
  if (certificate.archivedAt !== null) return 'archived';
  const statuses = certificate.jurisdictions.map((j) => jurisdictionStatus(j, today, windowDays));
  if (statuses.includes('expiring_soon')) return 'expiring_soon';
  if (statuses.includes('active')) return 'active';
  if (statuses.includes('not_yet_effective')) return 'not_yet_effective';
  return 'expired';
}

export interface JurisdictionStatusEntry {
  readonly code: JurisdictionCode;
  readonly status: CertificateStatus;
}

/** Per jurisdiction, in the certificate's order; every one reads archived on an archived certificate. */
export function statusByJurisdiction(
  certificate: StatusInput,
  today: CalendarDate,
  windowDays: number = defaultExpiryWindowDays,
): JurisdictionStatusEntry[] {
  assertWindow(windowDays);
  return certificate.jurisdictions.map((j) => ({
    code: j.code,
    status: certificate.archivedAt !== null ? 'archived' : jurisdictionStatus(j, today, windowDays),
  }));
}

/**
 * The earliest last-valid-day among the jurisdictions in force today, or null
 * when none in force expires. The certificate is expiring_soon exactly when
 * this is at most windowDays away, which makes it the date reminders aim at.
 */
export function nextExpirationDate(certificate: StatusInput, today: CalendarDate): CalendarDate | null {
  if (certificate.archivedAt !== null) return null;
  let earliest: CalendarDate | null = null;
  for (const j of certificate.jurisdictions) {
    if (j.expirationDate === null || !isInForce(j, today)) continue;
    if (earliest === null || compareDates(j.expirationDate, earliest) < 0) earliest = j.expirationDate;
  }
  return earliest;
}

export function customerStatus(
  certificates: readonly StatusInput[],
  today: CalendarDate,
  windowDays: number = defaultExpiryWindowDays,
): CustomerStatus {
  assertWindow(windowDays);
  let best: CustomerStatus = 'none';
  let bestRank = Number.POSITIVE_INFINITY;
  for (const certificate of certificates) {
    const status = certificateStatus(certificate, today, windowDays);
    const rank = (certificateStatuses as readonly CertificateStatus[]).indexOf(status);
    if (rank < bestRank) {
      best = status;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * The first day after `today` on which the certificate's status may differ from today's, or
 * null if it never changes again. A status stays fixed between the dates where some
 * jurisdiction takes effect, enters the expiring-soon window, or expires, so a stored status
 * is valid until this date and only then needs recomputing.
 */
export function nextStatusChange(
  certificate: StatusInput,
  today: CalendarDate,
  windowDays: number = defaultExpiryWindowDays,
): CalendarDate | null {
  assertWindow(windowDays);
  if (certificate.archivedAt !== null) return null;
  let next: CalendarDate | null = null;
  for (const j of certificate.jurisdictions) {
    const boundaries = [j.effectiveDate];
    if (j.expirationDate !== null) boundaries.push(addDays(j.expirationDate, -windowDays), addDays(j.expirationDate, 1));
    for (const boundary of boundaries) {
      if (compareDates(boundary, today) > 0 && (next === null || compareDates(boundary, next) < 0)) next = boundary;
    }
  }
  return next;
}
