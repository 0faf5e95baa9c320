import { auditRangeProblem, inForceDuring } from '../../shared/src/index.js';

const texas = (effectiveDate: string, expirationDate: string | null) => ({
  jurisdictions: [{ code: 'US-TX' as const, registrationId: null, effectiveDate, expirationDate }],
});

describe('what an audit package for a range covers', () => {
  it.each([
    ['in force throughout', texas('2025-01-01', null), null, true],
    ['taking effect on the last day', texas('2026-03-31', null), null, true],
    ['taking effect the day after', texas('2026-04-01', null), null, false],
    ['expiring on the first day', texas('2025-01-01', '2026-01-01'), null, true],
    ['expired the day before', texas('2025-01-01', '2025-12-31'), null, false],
    ['archived during the range', texas('2025-01-01', null), '2026-02-10', true],
    ['archived on the first day', texas('2025-01-01', null), '2026-01-01', true],
    ['archived before the range', texas('2025-01-01', null), '2025-12-31', false],
  ])('a certificate %s: %s', (_case, certificate, archivedOn, expected) => {
    expect(inForceDuring(certificate, archivedOn, '2026-01-01', '2026-03-31')).toBe(expected);
  });

  it('counts a certificate whose second jurisdiction alone is in force', () => {
    const both = { jurisdictions: [...texas('2020-01-01', '2020-12-31').jurisdictions, { code: 'US-OK' as const, registrationId: null, effectiveDate: '2026-02-01', expirationDate: null }] };
    expect(inForceDuring(both, null, '2026-01-01', '2026-03-31')).toBe(true);
  });

  it('accepts a single day and up to ten years, and says why it refuses the rest', () => {
    expect(auditRangeProblem('2026-01-01', '2026-01-01')).toBeNull();
    expect(auditRangeProblem('2016-01-01', '2025-12-31')).toBeNull();
    expect(auditRangeProblem('2026-01-02', '2026-01-01')).toBe('to 2026-01-01 is before from 2026-01-02');
    expect(auditRangeProblem('2010-01-01', '2026-01-01')).toBe('the range may span at most 10 years');
  });
});
