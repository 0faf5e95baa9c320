import * as z from 'zod';
import type { CalendarDate } from './dates.js';
import { daysBetween } from './dates.js';

/*
 * Reminders before a certificate expires. An account names the days before expiry on which
 * the customer is reminded (default 30 and 7). The daily job asks, for each certificate,
 * which reminder is due today; the answer is a "step" (the number of days it stands for),
 * and the email goes out once per certificate, expiration date and step.
 *
 * A day the job did not run is caught up on the next: a step is due from its day until the
 * next step's day. When several steps are already past (a certificate entered with 5 days
 * left), only the nearest one is sent, so a customer never gets two reminders at once.
 */

export const defaultReminderDays: readonly number[] = [30, 7];

export const reminderDaysSchema = z
  .array(z.int().min(1, { error: 'a reminder is at least 1 day before expiry' }).max(365, { error: 'a reminder is at most 365 days before expiry' }))
  .max(5, { error: 'at most 5 reminders' })
  .refine((days) => new Set(days).size === days.length, { error: 'each reminder day appears once' });

/**
 * The reminder step due on `today` for a certificate whose (next) expiration is
 * `expirationDate`, or null. It is the smallest configured day count at least as large as
 * the days left; nothing is due after the expiration date or before the largest step.
 */
export function dueReminderStep(expirationDate: CalendarDate, reminderDays: readonly number[], today: CalendarDate): number | null {
  const daysLeft = daysBetween(today, expirationDate);
  if (daysLeft < 0) return null;
  let step: number | null = null;
  for (const days of reminderDays) {
    if (days >= daysLeft && (step === null || days < step)) step = days;
  }
  return step;
}

/** The idempotency key of one reminder: one email per certificate, expiration date and step. */
export function reminderKey(certificateId: string, expirationDate: CalendarDate, step: number): string {
  return `reminder:${certificateId}:${expirationDate}:${step}`;
}
