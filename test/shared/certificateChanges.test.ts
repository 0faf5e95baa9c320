import {
  CertificateArchivedError,
  VersionConflictError,
  applyCertificatePatch,
  archiveCertificate,
  attachCertificateFile,
  certificateInputSchema,
  certificatePatchSchema,
  createCertificate,
} from '../../shared/src/index.js';

const input = certificateInputSchema.parse({
  customerId: 'cus_Q1w2e3',
  reason: 'resale',
  form: 'single_state',
  purchase: { type: 'blanket' },
  jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: null }],
});
const created = createCertificate(input, {
  id: 'cert_1',
  accountId: 'acct_1',
  livemode: false,
  source: 'merchant',
  now: '2026-05-12T15:00:00.000Z',
});
const file = {
  id: 'file_1',
  filename: 'texas-resale.pdf',
  contentType: 'application/pdf' as const,
  size: 48_213,
  sha256: 'a'.repeat(64),
  uploadedAt: '2026-05-12T15:01:00.000Z',
};

describe('changing a certificate', () => {
  it('creates version 1, not archived, with the time of creation', () => {
    expect(created).toMatchObject({ version: 1, archivedAt: null, notes: '', files: [], createdAt: '2026-05-12T15:00:00.000Z' });
  });

  it('makes each edit the next version and leaves the previous version untouched', () => {
    const patch = certificatePatchSchema.parse({ expectedVersion: 1, notes: 'Checked against the Texas comptroller site.' });
    const edited = applyCertificatePatch(created, patch, '2026-05-13T09:00:00.000Z');
    expect(edited).toMatchObject({ version: 2, notes: 'Checked against the Texas comptroller site.', updatedAt: '2026-05-13T09:00:00.000Z' });
    expect(created.notes).toBe('');
  });

  it('refuses an edit made on a version that is no longer current', () => {
    const patch = certificatePatchSchema.parse({ expectedVersion: 1, notes: 'first' });
    const edited = applyCertificatePatch(created, patch, '2026-05-13T09:00:00.000Z');
    expect(() => applyCertificatePatch(edited, patch, '2026-05-13T09:05:00.000Z')).toThrow(VersionConflictError);
  });

  it('archives once, records when and why, and refuses later edits', () => {
    const archived = archiveCertificate(created, { expectedVersion: 1, reason: 'Customer closed the account', now: '2026-06-01T00:00:00.000Z' });
    expect(archived).toMatchObject({ version: 2, archivedAt: '2026-06-01T00:00:00.000Z', archivedReason: 'Customer closed the account' });
    expect(() => archiveCertificate(archived, { expectedVersion: 2, reason: null, now: '2026-06-02T00:00:00.000Z' })).toThrow(CertificateArchivedError);
    const patch = certificatePatchSchema.parse({ expectedVersion: 2, notes: 'late' });
    expect(() => applyCertificatePatch(archived, patch, '2026-06-02T00:00:00.000Z')).toThrow(CertificateArchivedError);
  });

  it('attaches the same file only once, so a retried upload changes nothing', () => {
    const once = attachCertificateFile(created, file, '2026-05-12T15:01:00.000Z');
    expect(once.files).toEqual([file]);
    expect(once.version).toBe(2);
    expect(attachCertificateFile(once, { ...file, id: 'file_2' }, '2026-05-12T15:02:00.000Z')).toBe(once);
  });
});
