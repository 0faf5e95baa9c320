import * as z from 'zod';
import type { CalendarDate } from '../dates.js';
import { InvalidCalendarDateError, isCalendarDate } from '../dates.js';
import { InvalidPeriodKeyError, NoOpenPeriodError, PeriodFrequencyMismatchError } from './errors.js';

/**
 * How often a jurisdiction's return is filed. Monthly is the default; states
 * assign quarterly or annual filing to smaller sellers, per jurisdiction.
 */
export const periodFrequencies = ['monthly', 'quarterly', 'annual'] as const;

export type PeriodFrequency = (typeof periodFrequencies)[number];

export const periodFrequencySchema = z.enum(periodFrequencies, {
  error: (issue) => `unknown filing frequency ${JSON.stringify(issue.input)}; expected monthly, quarterly or annual`,
});

/**
 * A filing period named by its key: `2026-05` (monthly), `2026-Q2`
 * (quarterly) or `2026` (annual). The key carries its own frequency, and keys
 * of one frequency sort correctly as plain strings, so stored keys compare in
 * the database the same way they do here.
 */
export type PeriodKey = string;

export interface PeriodRange {
  /** First calendar day of the period. */
  readonly first: CalendarDate;
  /** Last calendar day of the period, inclusive. */
  readonly last: CalendarDate;
}

const keyShape = /^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$/;

interface ParsedKey {
  readonly frequency: PeriodFrequency;
  readonly year: number;
  /** Month (1–12), quarter (1–4) or 1 for a year. */
  readonly index: number;
}

function parseKey(key: PeriodKey): ParsedKey {
  const match = typeof key === 'string' ? keyShape.exec(key) : null;
  if (match === null) throw new InvalidPeriodKeyError(key);
  const year = Number(match[1]);
  if (year < 1) throw new InvalidPeriodKeyError(key);
  if (match[2] !== undefined) return { frequency: 'monthly', year, index: Number(match[2]) };
  if (match[3] !== undefined) return { frequency: 'quarterly', year, index: Number(match[3]) };
  return { frequency: 'annual', year, index: 1 };
}

function formatKey(frequency: PeriodFrequency, year: number, index: number): PeriodKey {
  const yyyy = String(year).padStart(4, '0');
  if (frequency === 'monthly') return `${yyyy}-${String(index).padStart(2, '0')}`;
  if (frequency === 'quarterly') return `${yyyy}-Q${index}`;
  return yyyy;
}

const periodsPerYear: Readonly<Record<PeriodFrequency, number>> = { monthly: 12, quarterly: 4, annual: 1 };

export function isPeriodKey(value: unknown): value is PeriodKey {
  if (typeof value !== 'string') return false;
  try {
    parseKey(value);
    return true;
  } catch {
    return false;
  }
}

export const periodKeySchema = z.string().refine(isPeriodKey, {
  error: (issue) => `must be a filing period key such as 2026-05, 2026-Q2 or 2026, got ${JSON.stringify(issue.input)}`,
});

export function periodFrequencyOf(key: PeriodKey): PeriodFrequency {
  return parseKey(key).frequency;
}

/** The period of `frequency` that contains `date`. */
export function periodKey(date: CalendarDate, frequency: PeriodFrequency): PeriodKey {
  if (!isCalendarDate(date)) throw new InvalidCalendarDateError(date);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  if (frequency === 'monthly') return formatKey('monthly', year, month);
  if (frequency === 'quarterly') return formatKey('quarterly', year, Math.ceil(month / 3));
  return formatKey('annual', year, 1);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

// Computed by hand: `Date.UTC` maps years 0–99 to 1900–1999.
function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function day(year: number, month: number, dayOfMonth: number): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
}

export function periodRange(key: PeriodKey): PeriodRange {
  const { frequency, year, index } = parseKey(key);
  const monthsPer = 12 / periodsPerYear[frequency];
  const firstMonth = (index - 1) * monthsPer + 1;
  const lastMonth = firstMonth + monthsPer - 1;
  return { first: day(year, firstMonth, 1), last: day(year, lastMonth, daysInMonth(year, lastMonth)) };
}

export function periodContains(key: PeriodKey, date: CalendarDate): boolean {
  return periodKey(date, periodFrequencyOf(key)) === key;
}

/** Negative, zero or positive, for `Array#sort`; both keys must have the same frequency. */
export function comparePeriods(a: PeriodKey, b: PeriodKey): number {
  const left = parseKey(a);
  const right = parseKey(b);
  if (left.frequency !== right.frequency) throw new PeriodFrequencyMismatchError(a, b);
  return left.year !== right.year ? left.year - right.year : left.index - right.index;
}

export function nextPeriod(key: PeriodKey): PeriodKey {
  const { frequency, year, index } = parseKey(key);
  if (index < periodsPerYear[frequency]) return formatKey(frequency, year, index + 1);
  if (year >= 9999) throw new InvalidPeriodKeyError(`after ${key}`);
  return formatKey(frequency, year + 1, 1);
}

export function previousPeriod(key: PeriodKey): PeriodKey {
  const { frequency, year, index } = parseKey(key);
  if (index > 1) return formatKey(frequency, year, index - 1);
  if (year <= 1) throw new InvalidPeriodKeyError(`before ${key}`);
  return formatKey(frequency, year - 1, periodsPerYear[frequency]);
}

/** Filed periods, as a set of keys or as a question the caller answers. */
export type FiledPeriods = ReadonlySet<PeriodKey> | ((key: PeriodKey) => boolean);

function filedTest(filed: FiledPeriods): (key: PeriodKey) => boolean {
  return typeof filed === 'function' ? filed : (key) => filed.has(key);
}

/** Far beyond any real run of filed periods (a century of months), yet finite. */
const searchLimit = 1200;

/** `from` itself if it is open, else the first later period that is not filed. */
export function firstOpenPeriodFrom(from: PeriodKey, filed: FiledPeriods): PeriodKey {
  const isFiled = filedTest(filed);
  let key = from;
  for (let step = 0; step < searchLimit; step += 1) {
    if (!isFiled(key)) return key;
    try {
      key = nextPeriod(key);
    } catch {
      break;
    }
  }
  throw new NoOpenPeriodError(from);
}

/**
 * The brief's "current open period": the period containing `today` (a
 * calendar date in the account's time zone), or, if that one is filed, the
 * next period that is not. Earlier periods left open are not considered:
 * corrections go forward, never back.
 */
export function currentOpenPeriod(today: CalendarDate, frequency: PeriodFrequency, filed: FiledPeriods): PeriodKey {
  return firstOpenPeriodFrom(periodKey(today, frequency), filed);
}
