import fc from 'fast-check';
import {
  certificateInputSchema,
  certificateLimits,
  certificatePatchSchema,
  certificateSchema,
} from '../../shared/src/index.js';
import { certificate, certificateJurisdiction } from './arbitraries.js';

const validInput = {
  customerId: 'cus_Q1w2e3',
  reason: 'resale',
  form: 'sst_multistate',
  number: 'SST-000123',
  purchase: { type: 'blanket' },
  jurisdictions: [
    { code: 'US-TX', registrationId: '32012345678', effectiveDate: '2026-01-01', expirationDate: null },
    { code: 'us-wa', effectiveDate: '2026-01-01', expirationDate: '2029-12-31' },
  ],
  notes: 'Received by email from the buyer.',
};

function issuesOf(input: unknown) {
  const result = certificateInputSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.error?.issues ?? [];
}

function withJurisdiction(changes: Record<string, unknown>) {
  return { ...validInput, jurisdictions: [{ ...validInput.jurisdictions[0], ...changes }] };
}

describe('what a merchant may submit as a certificate', () => {
  it('accepts a complete certificate, normalising jurisdiction codes and filling absent optional fields with null', () => {
    const parsed = certificateInputSchema.parse(validInput);
    expect(parsed.jurisdictions.map((j) => j.code)).toEqual(['US-TX', 'US-WA']);
    expect(parsed.jurisdictions[1]?.registrationId).toBeNull();
    expect(parsed.reasonOther).toBeNull();
  });

  it('rejects an expiration date before the effective date, pointing at the expiration date of that jurisdiction', () => {
    const issues = issuesOf(withJurisdiction({ effectiveDate: '2026-06-01', expirationDate: '2026-05-31' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toEqual(['jurisdictions', 0, 'expirationDate']);
    expect(issues[0]?.message).toMatch(/2026-05-31 is before effective date 2026-06-01/);
  });

  it('accepts a certificate valid for a single day (effective and expiring on the same date)', () => {
    expect(certificateInputSchema.safeParse(withJurisdiction({ effectiveDate: '2028-02-29', expirationDate: '2028-02-29' })).success).toBe(true);
  });

  it('rejects a jurisdiction that does not exist, naming it', () => {
    const issues = issuesOf(withJurisdiction({ code: 'US-ZZ' }));
    expect(issues[0]?.path).toEqual(['jurisdictions', 0, 'code']);
    expect(issues[0]?.message).toMatch(/unknown jurisdiction "US-ZZ"/);
  });

  it('rejects the same jurisdiction listed twice', () => {
    const issues = issuesOf({ ...validInput, jurisdictions: [validInput.jurisdictions[0], { ...validInput.jurisdictions[0], code: 'us-tx' }] });
    expect(issues[0]?.path).toEqual(['jurisdictions', 1, 'code']);
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '01/05/2026'])('rejects the impossible or malformed date %s', (date) => {
    const issues = issuesOf(withJurisdiction({ effectiveDate: date }));
    expect(issues.map((i) => i.path)).toEqual([['jurisdictions', 0, 'effectiveDate']]);
  });

  it('rejects fields it does not know, at every level, including keys MongoDB would read as operators or paths', () => {
    for (const key of ['status', '$where', '$set', 'jurisdictions.0.code', 'a.b']) {
      expect(certificateInputSchema.safeParse({ ...validInput, [key]: 1 }).success).toBe(false);
      expect(certificateInputSchema.safeParse(withJurisdiction({ [key]: 1 })).success).toBe(false);
      expect(certificateInputSchema.safeParse({ ...validInput, purchase: { type: 'blanket', [key]: 1 } }).success).toBe(false);
    }
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((k) => !(k in validInput)), (key) => {
        expect(certificateInputSchema.safeParse({ ...validInput, [key]: 'x' }).success).toBe(false);
      }),
    );
  });

  it('rejects notes longer than the limit and accepts notes exactly at it', () => {
    const limit = certificateLimits.notesLength;
    expect(certificateInputSchema.safeParse({ ...validInput, notes: 'n'.repeat(limit) }).success).toBe(true);
    expect(issuesOf({ ...validInput, notes: 'n'.repeat(limit + 1) })[0]?.path).toEqual(['notes']);
    expect(issuesOf({ ...validInput, number: '9'.repeat(certificateLimits.numberLength + 1) })[0]?.path).toEqual(['number']);
  });

  it('requires an explanation when the reason is other, and only then', () => {
    expect(issuesOf({ ...validInput, reason: 'other' })[0]?.path).toEqual(['reasonOther']);
    expect(certificateInputSchema.safeParse({ ...validInput, reason: 'other', reasonOther: 'Exempt utility cooperative' }).success).toBe(true);
    expect(issuesOf({ ...validInput, reasonOther: 'Exempt utility cooperative' })[0]?.path).toEqual(['reasonOther']);
    expect(issuesOf({ ...validInput, reason: 'because' })[0]?.path).toEqual(['reason']);
  });

  it('requires a single-purchase certificate to name its invoice or purchase order', () => {
    expect(issuesOf({ ...validInput, purchase: { type: 'single_purchase' } })[0]?.path).toEqual(['purchase', 'invoiceNumber']);
    expect(certificateInputSchema.safeParse({ ...validInput, purchase: { type: 'single_purchase', poNumber: 'PO-77' } }).success).toBe(true);
  });

  it('requires at least one jurisdiction', () => {
    expect(issuesOf({ ...validInput, jurisdictions: [] })[0]?.path).toEqual(['jurisdictions']);
  });

  it('accepts every well-formed jurisdiction entry, and the stored form of every well-formed certificate', () => {
    fc.assert(
      fc.property(fc.uniqueArray(certificateJurisdiction, { minLength: 1, maxLength: 8, selector: (j) => j.code }), (jurisdictions) => {
        expect(certificateInputSchema.parse({ ...validInput, jurisdictions }).jurisdictions).toEqual(jurisdictions);
      }),
    );
    fc.assert(
      fc.property(certificate(), (cert) => {
        expect(certificateSchema.parse({ _id: cert.id, ...cert })).toEqual(cert);
      }),
    );
  });
});

describe('what a merchant may submit as an edit', () => {
  it('needs the version it was made on and at least one of details, jurisdictions or notes', () => {
    expect(certificatePatchSchema.safeParse({ expectedVersion: 3, notes: 'Renewed by phone.' }).success).toBe(true);
    expect(certificatePatchSchema.safeParse({ notes: 'Renewed by phone.' }).success).toBe(false);
    expect(certificatePatchSchema.safeParse({ expectedVersion: 3 }).success).toBe(false);
    expect(certificatePatchSchema.safeParse({ expectedVersion: 3, notes: 'x', customerId: 'cus_other' }).success).toBe(false);
  });

  it('checks replaced details and jurisdictions by the same rules as a new certificate', () => {
    const details = { reason: 'other', form: 'other', purchase: { type: 'blanket' } };
    expect(certificatePatchSchema.safeParse({ expectedVersion: 1, details }).success).toBe(false);
    expect(certificatePatchSchema.safeParse({ expectedVersion: 1, details: { ...details, reasonOther: 'Hospital' } }).success).toBe(true);
    const backwards = [{ code: 'US-TX', effectiveDate: '2026-06-01', expirationDate: '2026-01-01' }];
    const result = certificatePatchSchema.safeParse({ expectedVersion: 1, jurisdictions: backwards });
    expect(result.error?.issues[0]?.path).toEqual(['jurisdictions', 0, 'expirationDate']);
  });
});
