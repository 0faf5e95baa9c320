import type { CalendarDate, TimeZone } from '../dates.js';
import { InvalidCalendarDateError, InvalidTimeZoneError, isCalendarDate, isValidTimeZone } from '../dates.js';
import type { JurisdictionCode } from '../jurisdictions.js';
import type { PeriodFrequency, PeriodKey } from './periods.js';
import { comparePeriods, firstOpenPeriodFrom, periodFrequencyOf, periodKey, periodRange } from './periods.js';

/**
 * What the ledger needs to know about the account at the moment it records
 * something. The worker builds one per job from the account's settings, its
 * filed periods and its clock; the domain never reads a clock or a store.
 */
export interface LedgerContext {
  /** Transaction dates are calendar dates in this zone. */
  readonly timeZone: TimeZone;
  /** Today in `timeZone`: it decides which period is the current open one. */
  readonly today: CalendarDate;
  /** Filing frequency per jurisdiction; `null` is the bucket for sales outside every known jurisdiction. */
  periodFrequency(jurisdiction: JurisdictionCode | null): PeriodFrequency;
  /** Whether the return for that jurisdiction and period has been filed. */
  isFiled(jurisdiction: JurisdictionCode | null, periodKey: PeriodKey): boolean;
}

export interface FiledPeriod {
  readonly jurisdiction: JurisdictionCode | null;
  readonly periodKey: PeriodKey;
}

export interface LedgerContextInput {
  readonly timeZone: TimeZone;
  readonly today: CalendarDate;
  /** Monthly unless the account says otherwise. */
  readonly defaultFrequency?: PeriodFrequency;
  readonly frequencies?: Partial<Readonly<Record<JurisdictionCode, PeriodFrequency>>>;
  readonly filed?: Iterable<FiledPeriod>;
}

function filedKey(jurisdiction: JurisdictionCode | null, key: PeriodKey): string {
  return `${jurisdiction ?? ''}|${key}`;
}

/** A context from plain settings data, for callers that hold them in memory. */
export function ledgerContext(input: LedgerContextInput): LedgerContext {
  if (!isValidTimeZone(input.timeZone)) throw new InvalidTimeZoneError(input.timeZone);
  if (!isCalendarDate(input.today)) throw new InvalidCalendarDateError(input.today);
  const defaultFrequency = input.defaultFrequency ?? 'monthly';
  const frequencies = input.frequencies ?? {};
  const filed = new Set<string>();
  for (const period of input.filed ?? []) filed.add(filedKey(period.jurisdiction, period.periodKey));
  return {
    timeZone: input.timeZone,
    today: input.today,
    periodFrequency: (jurisdiction) => (jurisdiction === null ? undefined : frequencies[jurisdiction]) ?? defaultFrequency,
    isFiled: (jurisdiction, key) => filed.has(filedKey(jurisdiction, key)),
  };
}

/**
 * The period a new entry goes in, given the period it belongs in naturally
 * (the transaction's own period, or the period of the entry it adjusts).
 * That period if it is open; otherwise the current open period, so a filed
 * return never changes. A natural period later than today's (clock skew)
 * is never moved backwards.
 *
 * A natural key of another frequency (the account changed frequency since it
 * was written) is first mapped to the period of the current frequency that
 * contains its first day.
 */
export function placeInPeriod(
  context: LedgerContext,
  jurisdiction: JurisdictionCode | null,
  natural: PeriodKey,
): PeriodKey {
  const frequency = context.periodFrequency(jurisdiction);
  const key = periodFrequencyOf(natural) === frequency ? natural : periodKey(periodRange(natural).first, frequency);
  const isFiled = (candidate: PeriodKey) => context.isFiled(jurisdiction, candidate);
  if (!isFiled(key)) return key;
  const todays = periodKey(context.today, frequency);
  return firstOpenPeriodFrom(comparePeriods(key, todays) > 0 ? key : todays, isFiled);
}

/** The period a transaction on `date` is reported in: its own if open, else the current open one. */
export function placeTransaction(
  context: LedgerContext,
  jurisdiction: JurisdictionCode | null,
  date: CalendarDate,
): PeriodKey {
  return placeInPeriod(context, jurisdiction, periodKey(date, context.periodFrequency(jurisdiction)));
}
