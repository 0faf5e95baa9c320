import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  InvalidCalendarDateError,
  InvalidTimeZoneError,
  addDays,
  calendarDateIn,
  calendarDateSchema,
  compareDates,
  daysBetween,
  timeZoneSchema,
} from '../../shared/src/index.js';
import { calendarDate, dayNumber, instant } from './arbitraries.js';

const usZones = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu'];

describe('calendar dates', () => {
  it.each(['2026-05-12', '2028-02-29', '2000-02-29', '2026-12-31'])('accepts %s as a real date', (date) => {
    expect(calendarDateSchema.safeParse(date).success).toBe(true);
  });

  it.each(['2026-02-30', '2025-02-29', '2100-02-29', '2026-04-31', '2026-13-01', '2026-5-12', '2026-05-12T00:00:00Z', '20260512', ''])(
    'rejects %j, which is not a real date in YYYY-MM-DD form',
    (date) => {
      expect(calendarDateSchema.safeParse(date).success).toBe(false);
      expect(() => addDays(date, 1)).toThrow(InvalidCalendarDateError);
    },
  );

  it('counts whole days between dates exactly, agreeing with day arithmetic and with ordering', () => {
    fc.assert(
      fc.property(calendarDate, fc.integer({ min: -5000, max: 5000 }), (from, n) => {
        const to = addDays(from, n);
        expect(calendarDateSchema.safeParse(to).success).toBe(true);
        expect(daysBetween(from, to)).toBe(n);
        expect(dayNumber(to) - dayNumber(from)).toBe(n);
        expect(Math.sign(compareDates(to, from))).toBe(Math.sign(n));
      }),
    );
  });

  it('counts days between local dates across US daylight-saving changes as whole days, whatever the hours elapsed', () => {
    // 2026-03-07 noon to 2026-03-09 noon in New York is 47 hours, yet two days.
    const before = DateTime.fromISO('2026-03-07T12:00', { zone: 'America/New_York' }).toJSDate();
    const after = DateTime.fromISO('2026-03-09T12:00', { zone: 'America/New_York' }).toJSDate();
    expect((after.getTime() - before.getTime()) / 3_600_000).toBe(47);
    expect(daysBetween(calendarDateIn(before, 'America/New_York'), calendarDateIn(after, 'America/New_York'))).toBe(2);

    fc.assert(
      fc.property(
        fc.constantFrom(...usZones),
        fc.constantFrom('2026-03-08', '2026-11-01', '2027-03-14', '2027-11-07'),
        fc.integer({ min: -3, max: 0 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 23 }),
        (zone, transition, startOffset, span, hour) => {
          const start = addDays(transition, startOffset);
          const end = addDays(start, span);
          const localStart = DateTime.fromISO(`${start}T${String(hour).padStart(2, '0')}:30`, { zone });
          const localEnd = DateTime.fromISO(`${end}T${String(hour).padStart(2, '0')}:30`, { zone });
          const from = calendarDateIn(localStart.toJSDate(), zone);
          const to = calendarDateIn(localEnd.toJSDate(), zone);
          expect(daysBetween(from, to)).toBe(span);
        },
      ),
    );
  });

  it('gives the same instant a later date in Kiritimati (UTC+14) than in Pago Pago (UTC-11), by one or two days', () => {
    const noonUtc = new Date('2026-05-12T10:30:00Z');
    expect(calendarDateIn(noonUtc, 'Pacific/Kiritimati')).toBe('2026-05-13');
    expect(calendarDateIn(noonUtc, 'Pacific/Pago_Pago')).toBe('2026-05-11');

    fc.assert(
      fc.property(instant, (iso) => {
        const at = new Date(iso);
        const gap = daysBetween(calendarDateIn(at, 'Pacific/Pago_Pago'), calendarDateIn(at, 'Pacific/Kiritimati'));
        expect([1, 2]).toContain(gap);
        expect(calendarDateIn(at, 'UTC')).toBe(iso.slice(0, 10));
      }),
    );
  });

  it('accepts IANA time zones and refuses anything else', () => {
    for (const zone of ['America/Chicago', 'Pacific/Kiritimati', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+5']) {
      expect(timeZoneSchema.safeParse(zone).success).toBe(true);
    }
    for (const zone of ['Mars/Olympus_Mons', '+05:00', 'EST5EDT ', '', 'America/../etc']) {
      expect(timeZoneSchema.safeParse(zone).success).toBe(false);
    }
    expect(() => calendarDateIn(new Date(), 'Mars/Olympus_Mons')).toThrow(InvalidTimeZoneError);
  });
});
