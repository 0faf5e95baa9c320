import { DateTime, IANAZone } from 'luxon';
import * as z from 'zod';
import { DomainError } from './errors.js';

/**
 * A calendar date, `YYYY-MM-DD`, with no time and no zone attached.
 *
 * Certificates are valid on calendar days as the account sees them, not on
 * 24-hour spans of UTC, so every rule works on these and the conversion from an
 * instant happens once, at the edge, through `calendarDateIn`. Equal-width ISO
 * dates also sort correctly as plain strings, which keeps stored values
 * comparable in the database.
 */
export type CalendarDate = string;

/**
 * A point in time as an ISO-8601 UTC string (`Date#toISOString()`), so it
 * reads the same through HTTP, MongoDB and CSV.
 */
export type Instant = string;

/** An IANA time zone name such as `America/Chicago`. */
export type TimeZone = string;

export class InvalidCalendarDateError extends DomainError {
  override readonly name = 'InvalidCalendarDateError';
  constructor(readonly value: unknown) {
    super(`not a calendar date in YYYY-MM-DD form: ${JSON.stringify(value)}`);
  }
}

export class InvalidTimeZoneError extends DomainError {
  override readonly name = 'InvalidTimeZoneError';
  constructor(readonly value: unknown) {
    super(`not an IANA time zone: ${JSON.stringify(value)}`);
  }
}

export class InvalidInstantError extends DomainError {
  override readonly name = 'InvalidInstantError';
  constructor() {
    super('not a valid instant (Invalid Date)');
  }
}

const calendarDateShape = /^\d{4}-\d{2}-\d{2}$/;

// zod's ISO date check already knows month lengths and leap years
// (2028-02-29 passes, 2025-02-29 and 2026-02-30 do not).
export const calendarDateSchema = z.iso.date({
  error: (issue) => `must be a real calendar date in YYYY-MM-DD form, got ${JSON.stringify(issue.input)}`,
});

export const instantSchema = z.iso.datetime({
  error: (issue) => `must be an ISO-8601 UTC timestamp such as 2026-05-12T09:30:00.000Z, got ${JSON.stringify(issue.input)}`,
});

// The name pattern keeps out offsets such as `+05:00`, which newer runtimes
// accept as zones but which follow no daylight-saving rules.
const timeZoneNameShape = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * Zones found valid. Luxon's check builds an `Intl.DateTimeFormat` every time, about 0.3 ms,
 * and an event's ledger work checks its account's zone three times (docs/performance.md,
 * "Webhooks"). Only valid names are kept, and there are a few hundred of those, so nothing
 * a caller sends can grow it without bound.
 */
const validTimeZones = new Set<string>();

export function isValidTimeZone(value: string): boolean {
  if (validTimeZones.has(value)) return true;
  const valid = timeZoneNameShape.test(value) && IANAZone.isValidZone(value);
  if (valid) validTimeZones.add(value);
  return valid;
}

export const timeZoneSchema = z.string().refine(isValidTimeZone, {
  error: (issue) => `must be an IANA time zone such as America/Chicago, got ${JSON.stringify(issue.input)}`,
});

/** Parses in UTC: a zone without DST makes day arithmetic exact. */
function toUtcDay(date: CalendarDate): DateTime {
  if (typeof date !== 'string' || !calendarDateShape.test(date)) throw new InvalidCalendarDateError(date);
  const parsed = DateTime.fromISO(date, { zone: 'utc' });
  if (!parsed.isValid) throw new InvalidCalendarDateError(date);
  return parsed;
}

function fromUtcDay(day: DateTime): CalendarDate {
  const iso = day.toISODate();
  if (iso === null) throw new InvalidCalendarDateError(day.toString());
  return iso;
}

export function isCalendarDate(value: unknown): value is CalendarDate {
  return calendarDateSchema.safeParse(value).success;
}

/** The calendar date an instant falls on for someone in `timeZone`. */
export function calendarDateIn(instant: Date, timeZone: TimeZone): CalendarDate {
  if (!isValidTimeZone(timeZone)) throw new InvalidTimeZoneError(timeZone);
  if (Number.isNaN(instant.getTime())) throw new InvalidInstantError();
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  const iso = local.toISODate();
  if (iso === null) throw new InvalidInstantError();
  return iso;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  if (!Number.isSafeInteger(days)) throw new RangeError(`days must be a whole number, got ${days}`);
  return fromUtcDay(toUtcDay(date).plus({ days }));
}

/**
 * Whole calendar days from `from` to `to` (negative when `to` is earlier).
 * Computed on dates rather than on instants, so a DST change in between
 * cannot turn a day into 23 or 25 hours and round the answer away.
 */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  // `+ 0` turns a -0 from equal dates into 0.
  return Math.round(toUtcDay(to).diff(toUtcDay(from), 'days').days) + 0;
}

/** Negative, zero or positive, for `Array#sort`. */
export function compareDates(a: CalendarDate, b: CalendarDate): number {
  toUtcDay(a);
  toUtcDay(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
