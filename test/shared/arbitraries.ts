import fc from 'fast-check';
import type { CalendarDate, Certificate, CertificateJurisdiction, JurisdictionCode } from '../../shared/src/index.js';
import { jurisdictionCodes } from '../../shared/src/index.js';

// Test oracles count days with plain UTC epoch arithmetic, independently of
// the luxon code under test.
const msPerDay = 86_400_000;

export function dayNumber(date: CalendarDate): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day) / msPerDay;
}

export function plusDays(date: CalendarDate, days: number): CalendarDate {
  return new Date((dayNumber(date) + days) * msPerDay).toISOString().slice(0, 10);
}

export const calendarDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

export const instant = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

export const windowDays = fc.oneof(fc.constant(30), fc.integer({ min: 0, max: 120 }));

export const jurisdictionCode: fc.Arbitrary<JurisdictionCode> = fc.constantFrom(...jurisdictionCodes);

/** Validity spans from one day (effective = expiration) to about eight years, or open-ended. */
export const certificateJurisdiction: fc.Arbitrary<CertificateJurisdiction> = fc
  .record({
    code: jurisdictionCode,
    effectiveDate: calendarDate,
    lengthDays: fc.option(fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3000 })), { nil: null }),
    registrationId: fc.option(fc.stringMatching(/^[A-Z0-9-]{1,20}$/), { nil: null }),
  })
  .map(({ code, effectiveDate, lengthDays, registrationId }) => ({
    code,
    registrationId,
    effectiveDate,
    expirationDate: lengthDays === null ? null : plusDays(effectiveDate, lengthDays),
  }));

/**
 * A date close to one of the jurisdiction's boundaries most of the time, since
 * that is where off-by-one mistakes live, and anywhere otherwise.
 */
export function dateNear(jurisdiction: CertificateJurisdiction, window: number): fc.Arbitrary<CalendarDate> {
  const anchors = [jurisdiction.effectiveDate, ...(jurisdiction.expirationDate ? [jurisdiction.expirationDate] : [])];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...anchors), fc.integer({ min: -window - 3, max: window + 3 })).map(([a, d]) => plusDays(a, d)),
    calendarDate,
  );
}

const purchase: fc.Arbitrary<Certificate['purchase']> = fc.oneof(
  fc.constant({ type: 'blanket' as const }),
  fc
    .record({
      invoiceNumber: fc.option(fc.constantFrom('INV-0001', 'INV-0002'), { nil: null }),
      poNumber: fc.option(fc.constantFrom('PO-77', 'PO-78'), { nil: null }),
    })
    .filter((p) => p.invoiceNumber !== null || p.poNumber !== null)
    .map((p) => ({ type: 'single_purchase' as const, ...p })),
);

export interface CertificateOptions {
  readonly archived?: boolean;
  readonly blanket?: boolean;
}

export function certificate(options: CertificateOptions = {}): fc.Arbitrary<Certificate> {
  const archivedAt =
    options.archived === undefined ? fc.option(instant, { nil: null }) : options.archived ? instant : fc.constant(null);
  return fc
    .record({
      id: fc.stringMatching(/^cert_[a-z0-9]{1,8}$/),
      jurisdictions: fc.uniqueArray(certificateJurisdiction, { minLength: 1, maxLength: 5, selector: (j) => j.code }),
      purchase: options.blanket ? fc.constant({ type: 'blanket' as const }) : purchase,
      archivedAt,
      createdAt: instant,
    })
    .map(({ id, jurisdictions, purchase: p, archivedAt: archived, createdAt }) => ({
      id,
      accountId: 'acct_test',
      livemode: false,
      customerId: 'cus_test',
      reason: 'resale',
      reasonOther: null,
      form: 'sst_multistate',
      number: null,
      purchase: p,
      jurisdictions,
      notes: '',
      files: [],
      source: 'merchant',
      archivedAt: archived,
      archivedReason: null,
      version: 1,
      createdAt,
      updatedAt: createdAt,
    }));
}

/** A fixed certificate for examples; override what the example is about. */
export function sampleCertificate(overrides: Partial<Certificate> = {}): Certificate {
  return {
    id: 'cert_sample',
    accountId: 'acct_test',
    livemode: false,
    customerId: 'cus_test',
    reason: 'resale',
    reasonOther: null,
    form: 'single_state',
    number: '1-23-456789-0',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', registrationId: '32012345678', effectiveDate: '2026-01-01', expirationDate: null }],
    notes: '',
    files: [],
    source: 'merchant',
    archivedAt: null,
    archivedReason: null,
    version: 1,
    createdAt: '2026-05-12T15:00:00.000Z',
    updatedAt: '2026-05-12T15:00:00.000Z',
    ...overrides,
  };
}
