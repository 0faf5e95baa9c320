import fc from 'fast-check';
import type { CalendarDate, CertificateJurisdiction, CertificateStatus, JurisdictionStatus } from '../../shared/src/index.js';
import {
  InvalidExpiryWindowError,
  calendarDateIn,
  certificateStatus,
  certificateStatuses,
  customerStatus,
  daysBetween,
  jurisdictionStatus,
  nextExpirationDate,
  nextStatusChange,
  statusByJurisdiction,
} from '../../shared/src/index.js';
import { calendarDate, certificate, certificateJurisdiction, dateNear, dayNumber, instant, plusDays, sampleCertificate, windowDays } from './arbitraries.js';

/** The rules of status.ts restated on day numbers, as the oracle. */
function expectedJurisdictionStatus(j: CertificateJurisdiction, today: CalendarDate, window: number): JurisdictionStatus {
  const t = dayNumber(today);
  if (t < dayNumber(j.effectiveDate)) return 'not_yet_effective';
  if (j.expirationDate === null) return 'active';
  const left = dayNumber(j.expirationDate) - t;
  if (left < 0) return 'expired';
  return left <= window ? 'expiring_soon' : 'active';
}

const jurisdictionAndNearbyDay = fc
  .tuple(certificateJurisdiction, windowDays)
  .chain(([j, window]) => fc.tuple(fc.constant(j), fc.constant(window), dateNear(j, window)));

const texasUntil = (expirationDate: CalendarDate | null, effectiveDate = '2026-01-01') =>
  sampleCertificate({ jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate, expirationDate }] });

describe('status of one jurisdiction', () => {
  it('is not yet effective before the effective date, expired after the expiration date, expiring soon within the window, and active otherwise', () => {
    fc.assert(
      fc.property(jurisdictionAndNearbyDay, ([j, window, today]) => {
        expect(jurisdictionStatus(j, today, window)).toBe(expectedJurisdictionStatus(j, today, window));
      }),
      { numRuns: 2000 },
    );
  });

  it('treats the expiration date as the last valid day: a certificate expiring today is expiring soon, tomorrow it is expired', () => {
    fc.assert(
      fc.property(certificateJurisdiction, windowDays, (j, window) => {
        fc.pre(j.expirationDate !== null);
        const last = j.expirationDate as CalendarDate;
        expect(jurisdictionStatus(j, last, window)).toBe('expiring_soon');
        expect(jurisdictionStatus(j, plusDays(last, 1), window)).toBe('expired');
      }),
    );
  });

  it('is expiring soon exactly windowDays before expiry and still active one day earlier', () => {
    fc.assert(
      fc.property(calendarDate, windowDays, (expirationDate, window) => {
        const j = { effectiveDate: '2000-01-01', expirationDate };
        fc.pre(dayNumber(plusDays(expirationDate, -window - 1)) >= dayNumber(j.effectiveDate));
        expect(jurisdictionStatus(j, plusDays(expirationDate, -window), window)).toBe('expiring_soon');
        expect(jurisdictionStatus(j, plusDays(expirationDate, -window - 1), window)).toBe('active');
      }),
    );
  });

  it('stays active forever once effective when there is no expiration date', () => {
    fc.assert(
      fc.property(calendarDate, fc.integer({ min: 0, max: 80_000 }), windowDays, (effectiveDate, later, window) => {
        const j = { effectiveDate, expirationDate: null };
        expect(jurisdictionStatus(j, plusDays(effectiveDate, later), window)).toBe('active');
        expect(jurisdictionStatus(j, plusDays(effectiveDate, -1), window)).toBe('not_yet_effective');
      }),
    );
  });

  it('handles leap days: effective or expiring on 2028-02-29', () => {
    const leapStart = { effectiveDate: '2028-02-29', expirationDate: null };
    expect(jurisdictionStatus(leapStart, '2028-02-28')).toBe('not_yet_effective');
    expect(jurisdictionStatus(leapStart, '2028-02-29')).toBe('active');

    const leapEnd = { effectiveDate: '2027-01-01', expirationDate: '2028-02-29' };
    expect(jurisdictionStatus(leapEnd, '2028-01-29')).toBe('active'); // 31 days left
    expect(jurisdictionStatus(leapEnd, '2028-01-30')).toBe('expiring_soon'); // 30 days left
    expect(jurisdictionStatus(leapEnd, '2028-02-29')).toBe('expiring_soon');
    expect(jurisdictionStatus(leapEnd, '2028-03-01')).toBe('expired');
  });

  it('refuses a negative or fractional expiring-soon window', () => {
    expect(() => jurisdictionStatus({ effectiveDate: '2026-01-01', expirationDate: null }, '2026-05-12', -1)).toThrow(InvalidExpiryWindowError);
    expect(() => certificateStatus(sampleCertificate(), '2026-05-12', 1.5)).toThrow(InvalidExpiryWindowError);
  });
});

describe('status of a certificate', () => {
  it('is archived whenever the merchant archived it, whatever its dates', () => {
    fc.assert(
      fc.property(certificate({ archived: true }), calendarDate, windowDays, (cert, today, window) => {
        expect(certificateStatus(cert, today, window)).toBe('archived');
        expect(statusByJurisdiction(cert, today, window).every((entry) => entry.status === 'archived')).toBe(true);
        expect(nextExpirationDate(cert, today)).toBeNull();
      }),
    );
  });

  it('combines its jurisdictions: expiring soon if any in-force one is, else active if any is in force, else not yet effective if any is upcoming, else expired', () => {
    const certAndDay = fc
      .tuple(certificate({ archived: false }), windowDays)
      .chain(([cert, window]) =>
        fc.tuple(fc.constant(cert), fc.constant(window), fc.oneof(...cert.jurisdictions.map((j) => dateNear(j, window)))),
      );
    fc.assert(
      fc.property(certAndDay, ([cert, window, today]) => {
        const each = cert.jurisdictions.map((j) => expectedJurisdictionStatus(j, today, window));
        const expected: CertificateStatus = each.includes('expiring_soon')
          ? 'expiring_soon'
          : each.includes('active')
            ? 'active'
            : each.includes('not_yet_effective')
              ? 'not_yet_effective'
              : 'expired';
        expect(certificateStatus(cert, today, window)).toBe(expected);
        expect(statusByJurisdiction(cert, today, window)).toEqual(cert.jurisdictions.map((j, i) => ({ code: j.code, status: each[i] })));

        const next = nextExpirationDate(cert, today);
        expect(expected === 'expiring_soon').toBe(next !== null && daysBetween(today, next) <= window);
      }),
      { numRuns: 2000 },
    );
  });

  it('depends on the account time zone: the same instant can be expired in Kiritimati yet expiring soon in Pago Pago', () => {
    fc.assert(
      fc.property(instant, (iso) => {
        const at = new Date(iso);
        const pagoPagoToday = calendarDateIn(at, 'Pacific/Pago_Pago');
        const cert = texasUntil(pagoPagoToday, '1999-01-01');
        expect(certificateStatus(cert, pagoPagoToday)).toBe('expiring_soon');
        expect(certificateStatus(cert, calendarDateIn(at, 'Pacific/Kiritimati'))).toBe('expired');
      }),
    );
  });
});

describe('status of a customer', () => {
  it('is none when the customer has no certificate', () => {
    expect(customerStatus([], '2026-05-12')).toBe('none');
  });

  it('is the best status among the certificates, in the order active, expiring soon, not yet effective, expired, archived, whatever their order', () => {
    fc.assert(
      fc.property(fc.array(certificate(), { minLength: 1, maxLength: 6 }), calendarDate, windowDays, (certs, today, window) => {
        const ranks = certs.map((c) => certificateStatuses.indexOf(certificateStatus(c, today, window)));
        const expected = certificateStatuses[Math.min(...ranks)];
        expect(customerStatus(certs, today, window)).toBe(expected);
        expect(customerStatus([...certs].reverse(), today, window)).toBe(expected);
      }),
    );
  });

  it('stays active when one certificate is active and another expired or archived', () => {
    const expired = texasUntil('2026-03-31');
    const active = texasUntil(null);
    const archived = { ...active, archivedAt: '2026-05-01T00:00:00.000Z' };
    expect(customerStatus([expired, archived, active], '2026-05-12')).toBe('active');
    expect(customerStatus([expired, archived], '2026-05-12')).toBe('expired');
    expect(customerStatus([archived], '2026-05-12')).toBe('archived');
  });
});

describe('when a status next changes', () => {
  it('keeps the status unchanged on every day from today until the day before the next change', () => {
    fc.assert(
      fc.property(certificate(), windowDays, calendarDate, fc.integer({ min: 1, max: 400 }), (cert, window, today, probe) => {
        const status = certificateStatus(cert, today, window);
        const next = nextStatusChange(cert, today, window);
        const horizon = next === null ? probe : Math.min(probe, daysBetween(today, next) - 1);
        const days = new Set([horizon, ...Array.from({ length: 20 }, (_, i) => Math.floor(((i + 1) * horizon) / 20))]);
        for (const day of days) if (day >= 1) expect(certificateStatus(cert, plusDays(today, day), window)).toBe(status);
        if (next !== null) expect(dayNumber(next)).toBeGreaterThan(dayNumber(today));
      }),
      { numRuns: 500 },
    );
  });

  it('names the very day a Texas certificate enters its expiring window and the day after it expires', () => {
    const cert = texasUntil('2026-06-30');
    expect(nextStatusChange(cert, '2026-05-12', 30)).toBe('2026-05-31');
    expect(certificateStatus(cert, '2026-05-31', 30)).toBe('expiring_soon');
    expect(nextStatusChange(cert, '2026-05-31', 30)).toBe('2026-07-01');
    expect(certificateStatus(cert, '2026-07-01', 30)).toBe('expired');
    expect(nextStatusChange(cert, '2026-07-01', 30)).toBeNull();
    expect(nextStatusChange({ ...cert, archivedAt: '2026-05-12T00:00:00.000Z' }, '2026-05-12', 30)).toBeNull();
  });
});
