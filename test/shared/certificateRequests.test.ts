import fc from 'fast-check';
import type { RequestEvent, RequestStatus } from '../../shared/src/index.js';
import {
  RequestTransitionError,
  canTransition,
  certificateRequestInputSchema,
  finalRequestStatuses,
  isLinkUsable,
  isRequestTokenShape,
  linkExpiresAt,
  nextRequestStatus,
  portalSubmissionSchema,
  requestEligibility,
  requestEvents,
  requestStatuses,
} from '../../shared/src/index.js';
import { calendarDate, certificate, instant, plusDays, sampleCertificate } from './arbitraries.js';

const status = fc.constantFrom(...requestStatuses);
const event = fc.constantFrom(...requestEvents);

/** Runs events from `sent`, skipping the ones not allowed; returns every status visited. */
function walk(events: readonly RequestEvent[]): RequestStatus[] {
  const visited: RequestStatus[] = ['sent'];
  let current: RequestStatus = 'sent';
  for (const e of events) {
    if (!canTransition(current, e)) continue;
    current = nextRequestStatus(current, e);
    visited.push(current);
  }
  return visited;
}

describe('request status transitions', () => {
  it('allow exactly the events canTransition reports, and refuse the others with RequestTransitionError', () => {
    fc.assert(
      fc.property(status, event, (s, e) => {
        if (canTransition(s, e)) expect(requestStatuses).toContain(nextRequestStatus(s, e));
        else expect(() => nextRequestStatus(s, e)).toThrow(RequestTransitionError);
      }),
    );
  });

  it('never leave approved, rejected or cancelled', () => {
    for (const final of finalRequestStatuses) for (const e of requestEvents) expect(canTransition(final, e)).toBe(false);
  });

  it('reach approved or rejected only through submitted, and submitted only from a link still waiting (sent or opened)', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const visited = walk(events);
        visited.forEach((s, i) => {
          if (s === 'approved' || s === 'rejected') expect(visited[i - 1]).toBe('submitted');
          if (s === 'submitted') expect(['sent', 'opened']).toContain(visited[i - 1]);
        });
      }),
    );
  });

  it('re-send a waiting or expired request, never a submitted or decided one', () => {
    expect(nextRequestStatus('opened', 'resend')).toBe('sent');
    expect(nextRequestStatus('expired', 'resend')).toBe('sent');
    for (const s of ['submitted', 'approved', 'rejected', 'cancelled'] as const) expect(canTransition(s, 'resend')).toBe(false);
    expect(() => nextRequestStatus('submitted', 'cancel')).toThrow('a submitted request cannot be cancelled');
  });
});

describe('request links', () => {
  it('work until the moment they expire, and only while the request waits for the customer', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 365 }), fc.integer({ min: -5_000_000, max: 5_000_000 }), status, (sentAt, days, offsetMs, s) => {
        const expiresAt = linkExpiresAt(sentAt, days);
        expect(Date.parse(expiresAt) - Date.parse(sentAt)).toBe(days * 86_400_000);
        const now = new Date(Date.parse(expiresAt) + offsetMs).toISOString();
        expect(isLinkUsable({ status: s, expiresAt }, now)).toBe(offsetMs < 0 && (s === 'sent' || s === 'opened'));
      }),
    );
  });

  it('refuse a lifetime below one day', () => {
    expect(() => linkExpiresAt('2026-05-12T00:00:00.000Z', 0)).toThrow(RangeError);
  });

  it('carry a token of 43 base64url characters (32 bytes), nothing else', () => {
    expect(isRequestTokenShape('A'.repeat(43))).toBe(true);
    expect(isRequestTokenShape('A'.repeat(42))).toBe(false);
    expect(isRequestTokenShape(`${'A'.repeat(42)}=`)).toBe(false);
    expect(isRequestTokenShape(`${'A'.repeat(42)}/`)).toBe(false);
  });
});

describe('when a request may be made', () => {
  const today = '2026-05-12';

  it('is allowed for a customer with no certificate', () => {
    expect(requestEligibility([], ['US-TX'], today, 30)).toEqual({ allowed: true, needed: ['US-TX'] });
  });

  it('is allowed when the certificate for a jurisdiction asked for is expiring soon or expired, and refused when it is active', () => {
    const until = (expirationDate: string) => sampleCertificate({ jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2025-01-01', expirationDate }] });
    expect(requestEligibility([until(plusDays(today, 10))], ['US-TX'], today, 30).allowed).toBe(true);
    expect(requestEligibility([until(plusDays(today, -1))], ['US-TX'], today, 30).allowed).toBe(true);
    const refused = requestEligibility([until(plusDays(today, 31))], ['US-TX'], today, 30);
    expect(refused).toEqual({ allowed: false, reason: expect.stringContaining('US-TX (active)') });
  });

  it('ignores archived certificates, and asks only for the jurisdictions not covered', () => {
    fc.assert(
      fc.property(certificate(), calendarDate, (c, day) => {
        const archived = { ...c, archivedAt: '2026-01-01T00:00:00.000Z' };
        const codes = c.jurisdictions.map((j) => j.code);
        expect(requestEligibility([archived], codes, day, 30)).toEqual({ allowed: true, needed: codes });
        const result = requestEligibility([c], codes, day, 30);
        if (result.allowed) for (const code of result.needed) expect(codes).toContain(code);
      }),
    );
  });
});

describe('what a customer and a merchant may send', () => {
  const valid = {
    reason: 'resale',
    form: 'single_state',
    number: '  ',
    jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-05-01', expirationDate: null }],
    signerName: 'Ada Lovelace',
    signerTitle: 'Purchasing manager',
  };

  it('takes a submission with an empty number as no number', () => {
    expect(portalSubmissionSchema.parse(valid)).toMatchObject({ number: null, reasonOther: null });
  });

  it('names each missing or wrong field of a submission', () => {
    const result = portalSubmissionSchema.safeParse({ ...valid, reason: 'other', signerName: ' ', jurisdictions: [] });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['jurisdictions', 'reasonOther', 'signerName']);
  });

  it('refuses a request for the same jurisdiction twice, or with unknown fields', () => {
    expect(certificateRequestInputSchema.safeParse({ customerId: 'cus_A', jurisdictions: ['US-TX', 'us-tx'] }).success).toBe(false);
    expect(certificateRequestInputSchema.safeParse({ customerId: 'cus_A', colour: 'blue' }).success).toBe(false);
    expect(certificateRequestInputSchema.parse({ customerId: 'cus_A', jurisdictions: [' us-ca '] }).jurisdictions).toEqual(['US-CA']);
  });
});
