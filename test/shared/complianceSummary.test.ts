import type { Certificate, CertificateStatus, LedgerEntry } from '../../shared/src/index.js';
import {
  certificateSnapshot,
  countByJurisdiction,
  countByStatus,
  entriesForInvoice,
  expiringWithin,
  flaggedInvoices,
  negationsForVoid,
  requestQueueCounts,
  revisionEntries,
} from '../../shared/src/index.js';
import { context, customerId, invoice } from './ledgerFixtures.js';
import { sampleCertificate } from './arbitraries.js';

const today = '2026-05-12';

/** A Texas certificate effective since January whose only jurisdiction ends on `expirationDate`. */
const texasUntil = (expirationDate: string | null, overrides: Partial<Certificate> = {}): Certificate =>
  sampleCertificate({ customerId, jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate }], ...overrides });

describe('counts by status', () => {
  it('counts each status, and lists every status with zero when none has it', () => {
    const statuses: CertificateStatus[] = ['active', 'active', 'expired', 'archived', 'active'];
    expect(countByStatus(statuses)).toEqual({ active: 3, expiring_soon: 0, not_yet_effective: 0, expired: 1, archived: 1 });
  });

  it('is all zeros for an account without certificates', () => {
    expect(countByStatus([])).toEqual({ active: 0, expiring_soon: 0, not_yet_effective: 0, expired: 0, archived: 0 });
  });
});

describe('certificates expiring within 30, 60 and 90 days', () => {
  it('counts a certificate under every horizon its next expiration falls within, both ends included', () => {
    const certificates = [
      texasUntil('2026-05-12'), // expires today: still valid today, so it counts under every horizon
      texasUntil('2026-06-11'), // exactly 30 days
      texasUntil('2026-06-12'), // 31 days
      texasUntil('2026-08-10'), // exactly 90 days
      texasUntil('2026-08-11'), // 91 days
      texasUntil(null), // valid until revoked
    ];
    expect(expiringWithin(certificates, today)).toEqual([
      { withinDays: 30, count: 2 },
      { withinDays: 60, count: 3 },
      { withinDays: 90, count: 4 },
    ]);
  });

  it('leaves out archived certificates, expired ones, and expirations of jurisdictions not yet in force', () => {
    const certificates = [
      texasUntil('2026-05-20', { archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: 'Replaced' }),
      texasUntil('2026-05-11'),
      sampleCertificate({ jurisdictions: [{ code: 'US-CA', registrationId: null, effectiveDate: '2026-06-01', expirationDate: '2026-06-30' }] }),
    ];
    expect(expiringWithin(certificates, today).map((row) => row.count)).toEqual([0, 0, 0]);
  });

  it('counts a certificate once even when several of its jurisdictions expire soon', () => {
    const twoStates = sampleCertificate({
      jurisdictions: [
        { code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: '2026-05-20' },
        { code: 'US-CA', registrationId: null, effectiveDate: '2026-01-01', expirationDate: '2026-05-25' },
      ],
    });
    expect(expiringWithin([twoStates], today, [30])).toEqual([{ withinDays: 30, count: 1 }]);
  });

  it('refuses a horizon that is not a whole number of days', () => {
    expect(() => expiringWithin([], today, [1.5])).toThrow(RangeError);
  });
});

describe('invoices flagged for exposure or over-collection', () => {
  // Texas exempted the sale (customer marked exempt) with no certificate on file: exposure.
  const exposed = (invoiceId: string): LedgerEntry[] =>
    entriesForInvoice({ invoice: invoice({ invoiceId, customerTaxExempt: 'exempt', taxes: [] }), certificates: [], eventId: `evt_${invoiceId}` }, context());
  // Tax charged in Texas although a valid Texas certificate covered the sale: over-collection.
  const certificate = texasUntil(null, { id: 'cert_TX' });
  const overCollected = (invoiceId: string): LedgerEntry[] =>
    entriesForInvoice({ invoice: invoice({ invoiceId }), certificates: [certificate], eventId: `evt_${invoiceId}` }, context());
  const clean = (invoiceId: string): LedgerEntry[] =>
    entriesForInvoice({ invoice: invoice({ invoiceId }), certificates: [], eventId: `evt_${invoiceId}` }, context());

  it('counts each flagged invoice once', () => {
    const entries = [...exposed('in_E1'), ...exposed('in_E2'), ...overCollected('in_O1'), ...clean('in_C1')];
    expect(entries.filter((entry) => entry.flags.exposure)).toHaveLength(2);
    expect(flaggedInvoices(entries)).toEqual({ exposure: 2, overCollection: 1 });
  });

  it('stops counting an invoice once it is voided', () => {
    const original = exposed('in_Void');
    const voided = negationsForVoid({ entries: original, invoiceId: 'in_Void', eventId: 'evt_void' }, context());
    expect(flaggedInvoices([...original, ...voided])).toEqual({ exposure: 0, overCollection: 0 });
  });

  it('stops counting an exposed invoice once reprocessing covers it with a certificate, even when only the flagged entries are given', () => {
    const original = exposed('in_Fixed');
    const jurisdiction = certificate.jurisdictions[0];
    if (jurisdiction === undefined) throw new Error('fixture has a jurisdiction');
    const revised = revisionEntries(
      {
        entries: original,
        invoiceId: 'in_Fixed',
        jurisdiction: 'US-TX',
        runId: 'rp_1',
        next: {
          treatment: 'exempt',
          taxable: 0,
          exempt: 10_000,
          tax: 0,
          certificate: certificateSnapshot(certificate, jurisdiction),
          flags: { exposure: false, overCollection: false },
          address: null,
          addressSource: null,
        },
      },
      context(),
    );
    const all = [...original, ...revised];
    expect(flaggedInvoices(all)).toEqual({ exposure: 0, overCollection: 0 });
    // What the worker queries: only the entries carrying a flag.
    expect(flaggedInvoices(all.filter((entry) => entry.flags.exposure || entry.flags.overCollection))).toEqual({ exposure: 0, overCollection: 0 });
  });
});

describe('counts by jurisdiction', () => {
  const zero = { active: 0, expiring_soon: 0, not_yet_effective: 0, expired: 0, archived: 0 };

  it('counts a certificate under each jurisdiction it covers, with that jurisdiction’s status, by code', () => {
    const twoStates = sampleCertificate({
      jurisdictions: [
        { code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: '2026-05-20' },
        { code: 'US-CA', registrationId: null, effectiveDate: '2026-06-01', expirationDate: null },
      ],
    });
    expect(countByJurisdiction([twoStates, texasUntil(null), texasUntil('2026-05-01')], today, 30)).toEqual([
      { jurisdiction: 'US-CA', byStatus: { ...zero, not_yet_effective: 1 }, total: 1 },
      { jurisdiction: 'US-TX', byStatus: { ...zero, active: 1, expiring_soon: 1, expired: 1 }, total: 3 },
    ]);
  });

  it('reads every jurisdiction of an archived certificate as archived, and lists nothing for no certificates', () => {
    const archived = texasUntil(null, { archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: null });
    expect(countByJurisdiction([archived], today, 30)).toEqual([{ jurisdiction: 'US-TX', byStatus: { ...zero, archived: 1 }, total: 1 }]);
    expect(countByJurisdiction([], today, 30)).toEqual([]);
  });
});

describe('the request queue', () => {
  const now = '2026-05-12T12:00:00.000Z';

  it('counts submissions waiting for review and requests whose link still works', () => {
    const requests = [
      { status: 'submitted', expiresAt: '2026-05-01T00:00:00.000Z' }, // a late submission still waits for review
      { status: 'sent', expiresAt: '2026-06-01T00:00:00.000Z' },
      { status: 'opened', expiresAt: '2026-05-12T12:00:00.001Z' },
      { status: 'sent', expiresAt: now }, // lapsed this instant: nobody can answer it
      { status: 'expired', expiresAt: '2026-05-01T00:00:00.000Z' },
      { status: 'approved', expiresAt: '2026-06-01T00:00:00.000Z' },
      { status: 'cancelled', expiresAt: '2026-06-01T00:00:00.000Z' },
    ] as const;
    expect(requestQueueCounts(requests, now)).toEqual({ pendingSubmissions: 1, outstandingRequests: 2 });
    expect(requestQueueCounts([], now)).toEqual({ pendingSubmissions: 0, outstandingRequests: 0 });
  });
});
