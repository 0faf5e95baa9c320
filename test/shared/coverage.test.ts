import fc from 'fast-check';
import type { Certificate, CoverageQuery } from '../../shared/src/index.js';
import { certificateStatus, coverage, covers, findCoveringCertificate, jurisdictionStatus } from '../../shared/src/index.js';
import { calendarDate, certificate, dateNear, dayNumber, jurisdictionCode, plusDays, sampleCertificate, windowDays } from './arbitraries.js';

/** A sale somewhere near the certificate's own jurisdictions and dates, so both outcomes occur often. */
function saleFor(cert: Certificate): fc.Arbitrary<CoverageQuery> {
  return fc
    .tuple(fc.constantFrom(...cert.jurisdictions), fc.boolean())
    .chain(([j, listed]) =>
      fc.record({
        jurisdiction: listed ? fc.constant(j.code) : fc.oneof(jurisdictionCode, fc.constant(null)),
        date: dateNear(j, 5),
        invoiceNumber: fc.constantFrom('INV-0001', 'INV-0002', ' INV-0001 ', null),
        poNumber: fc.option(fc.constantFrom('PO-77', 'PO-78'), { nil: null }),
      }),
    );
}

const certificateAndSale = certificate().chain((cert) => fc.tuple(fc.constant(cert), saleFor(cert)));

describe('whether a certificate covers a sale', () => {
  it('covers a sale only when the certificate is not archived, lists the jurisdiction, is in force on the date (expiration day included) and, for a single purchase, names that invoice or PO', () => {
    fc.assert(
      fc.property(certificateAndSale, ([cert, sale]) => {
        const j = cert.jurisdictions.find((x) => x.code === sale.jurisdiction);
        const day = dayNumber(sale.date);
        const inForce =
          j !== undefined &&
          day >= dayNumber(j.effectiveDate) &&
          (j.expirationDate === null || day <= dayNumber(j.expirationDate));
        const purchaseMatches =
          cert.purchase.type === 'blanket' ||
          (cert.purchase.invoiceNumber !== null && sale.invoiceNumber?.trim() === cert.purchase.invoiceNumber) ||
          (cert.purchase.poNumber !== null && sale.poNumber === cert.purchase.poNumber);
        const expected = cert.archivedAt === null && inForce && purchaseMatches;

        const result = coverage(cert, sale);
        expect(result.covered).toBe(expected);
        expect(covers(cert, sale)).toBe(expected);
        if (result.covered) expect(result.jurisdiction).toBe(j);
      }),
      { numRuns: 3000 },
    );
  });

  it('never covers anything with an archived certificate, and says so before any other reason', () => {
    fc.assert(
      fc.property(
        certificate({ archived: true }).chain((cert) => fc.tuple(fc.constant(cert), saleFor(cert))),
        ([cert, sale]) => {
          expect(coverage(cert, sale)).toEqual({ covered: false, reason: 'archived' });
        },
      ),
    );
  });

  it('reports why a sale is skipped: jurisdiction not covered, not yet effective, expired, other purchase', () => {
    const texas = { code: 'US-TX' as const, registrationId: null, effectiveDate: '2026-04-01', expirationDate: '2026-12-31' };
    const blanket = sampleCertificate({ jurisdictions: [texas] });
    expect(coverage(blanket, { jurisdiction: 'US-CA', date: '2026-05-12' })).toEqual({ covered: false, reason: 'jurisdiction_not_covered' });
    expect(coverage(blanket, { jurisdiction: null, date: '2026-05-12' })).toEqual({ covered: false, reason: 'jurisdiction_not_covered' });
    // The brief's example: effective from April 1, so the March 3 invoice is skipped.
    expect(coverage(blanket, { jurisdiction: 'US-TX', date: '2026-03-03' })).toEqual({ covered: false, reason: 'not_yet_effective' });
    expect(coverage(blanket, { jurisdiction: 'US-TX', date: '2027-01-01' })).toEqual({ covered: false, reason: 'expired' });
    expect(coverage(blanket, { jurisdiction: 'US-TX', date: '2026-12-31' })).toEqual({ covered: true, jurisdiction: texas });

    const single = sampleCertificate({ jurisdictions: [texas], purchase: { type: 'single_purchase', invoiceNumber: null, poNumber: 'PO-77' } });
    expect(covers(single, { jurisdiction: 'US-TX', date: '2026-05-12', poNumber: 'PO-77' })).toBe(true);
    expect(coverage(single, { jurisdiction: 'US-TX', date: '2026-05-12', poNumber: 'PO-78' })).toEqual({ covered: false, reason: 'other_purchase' });
    expect(coverage(single, { jurisdiction: 'US-TX', date: '2026-05-12', invoiceNumber: 'INV-0001' })).toEqual({ covered: false, reason: 'other_purchase' });
  });

  it("agrees with the status: on a given day a blanket certificate covers a listed jurisdiction exactly when that jurisdiction is active or expiring soon", () => {
    const blanketAndDay = fc
      .tuple(certificate({ blanket: true }), windowDays)
      .chain(([cert, window]) => fc.tuple(fc.constant(cert), fc.constant(window), fc.oneof(...cert.jurisdictions.map((j) => dateNear(j, window)))));
    fc.assert(
      fc.property(blanketAndDay, ([cert, window, today]) => {
        const status = certificateStatus(cert, today, window);
        const coveredSomewhere = cert.jurisdictions.some((j) => covers(cert, { jurisdiction: j.code, date: today }));
        expect(coveredSomewhere).toBe(status === 'active' || status === 'expiring_soon');
        for (const j of cert.jurisdictions) {
          const inForce = ['active', 'expiring_soon'].includes(jurisdictionStatus(j, today, window));
          expect(covers(cert, { jurisdiction: j.code, date: today })).toBe(cert.archivedAt === null && inForce);
        }
      }),
    );
  });
});

describe('choosing among several covering certificates', () => {
  // Variants of one certificate whose effective dates differ by a few days or
  // not at all, so that several cover the same sale and ties really occur.
  const certificatesAndSale = fc
    .tuple(
      certificate(),
      fc.uniqueArray(fc.record({ shiftDays: fc.constantFrom(0, -3, -10), archived: fc.boolean(), idKey: fc.integer({ min: 0, max: 999 }) }), {
        minLength: 1,
        maxLength: 6,
        selector: (v) => v.idKey,
      }),
    )
    .map(([base, variants]) =>
      variants.map((v) => ({
        ...base,
        id: `cert_${v.idKey}`,
        archivedAt: v.archived ? base.createdAt : null,
        jurisdictions: base.jurisdictions.map((j) => ({ ...j, effectiveDate: plusDays(j.effectiveDate, v.shiftDays) })),
      })),
    )
    .chain((certs) => fc.tuple(fc.constant(certs), saleFor(certs[0] as Certificate), fc.shuffledSubarray(certs, { minLength: certs.length })));

  it('picks a covering certificate with the latest effective date, then the smallest id, whatever order they come in', () => {
    fc.assert(
      fc.property(certificatesAndSale, ([certs, sale, shuffled]) => {
        const chosen = findCoveringCertificate(certs, sale);
        const covering = certs.filter((c) => covers(c, sale));
        if (covering.length === 0) {
          expect(chosen).toBeNull();
          return;
        }
        expect(chosen).not.toBeNull();
        const pick = chosen as NonNullable<typeof chosen>;
        expect(covers(pick.certificate, sale)).toBe(true);
        for (const other of covering) {
          const otherEffective = (coverage(other, sale) as { jurisdiction: { effectiveDate: string } }).jurisdiction.effectiveDate;
          const byDate = dayNumber(pick.jurisdiction.effectiveDate) - dayNumber(otherEffective);
          expect(byDate > 0 || (byDate === 0 && pick.certificate.id <= other.id)).toBe(true);
        }
        expect(findCoveringCertificate(shuffled, sale)?.certificate).toBe(pick.certificate);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds nothing when no certificate covers the sale', () => {
    fc.assert(
      fc.property(fc.array(certificate({ archived: true }), { maxLength: 4 }), jurisdictionCode, calendarDate, (certs, code, date) => {
        expect(findCoveringCertificate(certs, { jurisdiction: code, date })).toBeNull();
      }),
    );
  });
});
