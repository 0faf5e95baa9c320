import fc from 'fast-check';
import { dueReminderStep, reminderDaysSchema, reminderKey } from '../../shared/src/index.js';
import { calendarDate, plusDays } from './arbitraries.js';

const reminderDays = fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 5 });

describe('reminder schedule', () => {
  it('is due the configured number of days before expiry (default 30 and 7)', () => {
    expect(dueReminderStep('2026-06-30', [30, 7], '2026-05-31')).toBe(30);
    expect(dueReminderStep('2026-06-30', [30, 7], '2026-05-30')).toBeNull();
    expect(dueReminderStep('2026-06-30', [30, 7], '2026-06-23')).toBe(7);
    expect(dueReminderStep('2026-06-30', [30, 7], '2026-06-30')).toBe(7);
    expect(dueReminderStep('2026-06-30', [30, 7], '2026-07-01')).toBeNull();
  });

  it('is never due after expiry nor before the earliest reminder, and is the nearest step at least as far as the days left', () => {
    fc.assert(
      fc.property(calendarDate, reminderDays, fc.integer({ min: -30, max: 200 }), (expiration, days, daysLeft) => {
        const today = plusDays(expiration, -daysLeft);
        const step = dueReminderStep(expiration, days, today);
        if (daysLeft < 0 || daysLeft > Math.max(...days)) {
          expect(step).toBeNull();
          return;
        }
        expect(step).not.toBeNull();
        expect(days).toContain(step);
        expect(step as number).toBeGreaterThanOrEqual(daysLeft);
        for (const d of days) if (d >= daysLeft) expect(d).toBeGreaterThanOrEqual(step as number);
      }),
    );
  });

  it('sends each step once on the days leading to expiry, in order, however many days the job runs', () => {
    fc.assert(
      fc.property(calendarDate, reminderDays, (expiration, days) => {
        const keys: string[] = [];
        for (let left = 150; left >= -3; left -= 1) {
          const step = dueReminderStep(expiration, days, plusDays(expiration, -left));
          if (step !== null) keys.push(reminderKey('cert_x', expiration, step));
        }
        const distinct = [...new Set(keys)];
        expect(distinct).toEqual([...days].sort((a, b) => b - a).map((d) => reminderKey('cert_x', expiration, d)));
      }),
    );
  });

  it('accepts at most five distinct days from 1 to 365', () => {
    expect(reminderDaysSchema.safeParse([30, 7]).success).toBe(true);
    expect(reminderDaysSchema.safeParse([7, 7]).success).toBe(false);
    expect(reminderDaysSchema.safeParse([0]).success).toBe(false);
    expect(reminderDaysSchema.safeParse([1, 2, 3, 4, 5, 6]).success).toBe(false);
  });
});
