/** How dates and money read in the app. Pure; `Intl` is all the sandbox needs. */
import type { CalendarDate, Instant } from '@exemptions/shared';

/** Calendar dates have no zone: format them in UTC so the day never shifts. `2026-05-12` → "May 12, 2026". */
export function formatDate(date: CalendarDate): string {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(parsed);
}

/** An instant as the merchant's browser sees it: "May 12, 2026, 3:04 PM". */
export function formatInstant(instant: Instant): string {
  const parsed = new Date(instant);
  if (Number.isNaN(parsed.getTime())) return instant;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(parsed);
}

/** The time of day of an instant, as the merchant's browser sees it: "3:04 PM". */
export function formatTime(instant: Instant): string {
  const parsed = new Date(instant);
  if (Number.isNaN(parsed.getTime())) return instant;
  return new Intl.DateTimeFormat('en-US', { timeStyle: 'short' }).format(parsed);
}

/** Integer minor units in their currency: (1050, 'usd') → "$10.50"; zero-decimal currencies stay whole. */
export function formatMoney(minor: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** "1 certificate", "2 certificates". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
