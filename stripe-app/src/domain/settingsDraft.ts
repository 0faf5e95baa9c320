/**
 * The settings form: strings as the inputs hold them, checked and turned back into the changed
 * settings only, so saving one field never overwrites another someone changed meanwhile.
 * The ranges are the service's (worker/src/accounts/accountSettings.ts); the service checks again.
 */
import { isKnownJurisdiction, isValidTimeZone, periodFrequencies, syncPolicies } from '@exemptions/shared';
import type { JurisdictionCode, PeriodFrequency, SyncPolicy } from '@exemptions/shared';
import type { AccountSettings } from '../api/types';
import type { FieldErrors, Validated } from './certificateDraft';

export interface FilingOverrideDraft {
  readonly jurisdiction: string;
  readonly frequency: PeriodFrequency;
}

export interface SettingsDraft {
  readonly businessName: string;
  readonly merchantNotificationEmail: string;
  readonly expiringWindowDays: string;
  /** Comma-separated days before expiry, such as "30, 7". */
  readonly reminderDays: string;
  readonly autoRenewalRequests: boolean;
  readonly requestLinkDays: string;
  readonly syncPolicy: SyncPolicy;
  readonly timeZone: string;
  readonly filingOverrides: readonly FilingOverrideDraft[];
}

export function settingsDraftOf(settings: AccountSettings): SettingsDraft {
  return {
    businessName: settings.businessName ?? '',
    merchantNotificationEmail: settings.merchantNotificationEmail ?? '',
    expiringWindowDays: String(settings.expiringWindowDays),
    reminderDays: settings.reminderDays.join(', '),
    autoRenewalRequests: settings.autoRenewalRequests,
    requestLinkDays: String(settings.requestLinkDays),
    syncPolicy: settings.syncPolicy,
    timeZone: settings.timeZone,
    filingOverrides: Object.entries(settings.filingFrequencies).map(([jurisdiction, frequency]) => ({ jurisdiction, frequency: frequency ?? 'monthly' })),
  };
}

function wholeNumber(value: string, min: number, max: number): number | string {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) return `enter a whole number of days from ${min} to ${max}`;
  const days = Number(trimmed);
  return days < min || days > max ? `enter a whole number of days from ${min} to ${max}` : days;
}

/** A plain shape check; the service has the final word on what an address is. */
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The settings that differ from `saved`, or the fields to fix. An empty object: nothing changed. */
export function validateSettings(draft: SettingsDraft, saved: AccountSettings): Validated<Partial<AccountSettings>> {
  const errors: Record<string, string> = {};
  const next: Record<string, unknown> = {};

  const businessName = draft.businessName.trim();
  if (businessName.length > 100) errors.businessName = 'at most 100 characters';
  next.businessName = businessName === '' ? null : businessName;

  const email = draft.merchantNotificationEmail.trim();
  if (email !== '' && !emailShape.test(email)) errors.merchantNotificationEmail = 'enter an email address, or leave it empty to send no notifications';
  next.merchantNotificationEmail = email === '' ? null : email;

  const window = wholeNumber(draft.expiringWindowDays, 0, 365);
  if (typeof window === 'string') errors.expiringWindowDays = window;
  else next.expiringWindowDays = window;

  const linkDays = wholeNumber(draft.requestLinkDays, 1, 90);
  if (typeof linkDays === 'string') errors.requestLinkDays = linkDays;
  else next.requestLinkDays = linkDays;

  const parts = draft.reminderDays.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const reminderDays = parts.map((part) => wholeNumber(part, 1, 365));
  if (reminderDays.some((day) => typeof day === 'string')) errors.reminderDays = 'enter days before expiry from 1 to 365, separated by commas, such as 30, 7';
  else if (reminderDays.length > 5) errors.reminderDays = 'at most 5 reminders';
  else if (new Set(reminderDays).size !== reminderDays.length) errors.reminderDays = 'each reminder day appears once';
  else next.reminderDays = reminderDays;

  next.autoRenewalRequests = draft.autoRenewalRequests;
  if (!(syncPolicies as readonly string[]).includes(draft.syncPolicy)) errors.syncPolicy = 'choose a sync policy';
  next.syncPolicy = draft.syncPolicy;

  if (!isValidTimeZone(draft.timeZone.trim())) errors.timeZone = 'choose an IANA time zone such as America/Chicago';
  next.timeZone = draft.timeZone.trim();

  const filingFrequencies: Partial<Record<JurisdictionCode, PeriodFrequency>> = {};
  draft.filingOverrides.forEach((override, index) => {
    if (!isKnownJurisdiction(override.jurisdiction)) errors[`filingOverrides.${index}.jurisdiction`] = 'choose a jurisdiction';
    else if (filingFrequencies[override.jurisdiction] !== undefined) errors[`filingOverrides.${index}.jurisdiction`] = 'this jurisdiction is listed twice';
    else if (!(periodFrequencies as readonly string[]).includes(override.frequency)) errors[`filingOverrides.${index}.frequency`] = 'choose a frequency';
    // Monthly is the default: an override saying so is dropped rather than stored.
    else if (override.frequency !== 'monthly') filingFrequencies[override.jurisdiction] = override.frequency;
  });
  next.filingFrequencies = filingFrequencies;

  if (Object.keys(errors).length > 0) return { ok: false, errors: errors as FieldErrors };
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(value) !== JSON.stringify(saved[key as keyof AccountSettings])) changes[key] = value;
  }
  return { ok: true, value: changes as Partial<AccountSettings> };
}
