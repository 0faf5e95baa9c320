import {
  calendarDateIn,
  defaultExpiryWindowDays,
  jurisdictionCodes,
  periodFrequencySchema,
  defaultReminderDays,
  defaultRequestLinkDays,
  reminderDaysSchema,
  syncPolicies,
  timeZoneSchema,
  type CalendarDate,
} from '@exemptions/shared';
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Tenant } from '../tenancy.js';

export const accountSettingsSchema = z.strictObject({
  /** Certificate dates are calendar dates here; "today" is today in this zone. */
  timeZone: timeZoneSchema,
  /** How many days before expiry a certificate counts as expiring soon. */
  expiringWindowDays: z.int().min(0).max(365),
  /** When this service may change Stripe's tax_exempt (see shared/src/taxExemptSync.ts). */
  syncPolicy: z.enum(syncPolicies),
  /** Filing frequency per jurisdiction where it is not monthly, e.g. { "US-TX": "quarterly" }. */
  filingFrequencies: z.partialRecord(z.enum(jurisdictionCodes), periodFrequencySchema),
  /** The name customers see on requests and emails ("who is asking"); null reads "your supplier". */
  businessName: z.string().trim().min(1).max(100).nullable(),
  /** Where submissions to review and the expiring-soon digest are emailed; null sends neither. */
  merchantNotificationEmail: z.email().max(254).nullable(),
  /** How many days a request link works. */
  requestLinkDays: z.int().min(1).max(90),
  /** Days before expiry on which customers are reminded. */
  reminderDays: reminderDaysSchema,
  /** Send a renewal request by itself when a certificate reaches its first reminder. */
  autoRenewalRequests: z.boolean(),
});

export type AccountSettings = z.infer<typeof accountSettingsSchema>;

export const defaultAccountSettings: AccountSettings = {
  timeZone: 'UTC',
  expiringWindowDays: defaultExpiryWindowDays,
  syncPolicy: 'approved_only',
  filingFrequencies: {},
  businessName: null,
  merchantNotificationEmail: null,
  requestLinkDays: defaultRequestLinkDays,
  reminderDays: [...defaultReminderDays],
  autoRenewalRequests: false,
};

interface SettingsDocument extends Partial<AccountSettings> {
  _id: string;
  accountId: string;
  livemode: boolean;
  /** Set when the account uninstalled the app: its events are kept, but nothing is written to Stripe. */
  disabledAt?: Date | null;
}

export class AccountSettingsRepository {
  private readonly settings: Collection<SettingsDocument>;

  constructor(db: Db) {
    this.settings = db.collection<SettingsDocument>('account_settings');
  }

  private static key(tenant: Tenant): string {
    return `${tenant.accountId}:${tenant.livemode ? 'live' : 'test'}`;
  }

  async get(tenant: Tenant): Promise<AccountSettings> {
    return (await this.read(tenant)).settings;
  }

  /** The settings and whether the account is disabled, in one read (an event's job needs both). */
  async read(tenant: Tenant): Promise<{ settings: AccountSettings; disabled: boolean }> {
    const stored = await this.settings.findOne({ _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode });
    return { settings: AccountSettingsRepository.withDefaults(stored), disabled: stored?.disabledAt != null };
  }

  private static withDefaults(stored: SettingsDocument | null): AccountSettings {
    if (stored === null) return defaultAccountSettings;
    return {
      timeZone: stored.timeZone ?? defaultAccountSettings.timeZone,
      expiringWindowDays: stored.expiringWindowDays ?? defaultAccountSettings.expiringWindowDays,
      syncPolicy: stored.syncPolicy ?? defaultAccountSettings.syncPolicy,
      filingFrequencies: stored.filingFrequencies ?? defaultAccountSettings.filingFrequencies,
      businessName: stored.businessName ?? defaultAccountSettings.businessName,
      merchantNotificationEmail: stored.merchantNotificationEmail ?? defaultAccountSettings.merchantNotificationEmail,
      requestLinkDays: stored.requestLinkDays ?? defaultAccountSettings.requestLinkDays,
      reminderDays: stored.reminderDays ?? defaultAccountSettings.reminderDays,
      autoRenewalRequests: stored.autoRenewalRequests ?? defaultAccountSettings.autoRenewalRequests,
    };
  }

  async markDisabled(tenant: Tenant, at: Date): Promise<void> {
    await this.settings.updateOne(
      { _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode },
      { $set: { disabledAt: at } },
      { upsert: true },
    );
  }

  async isDisabled(tenant: Tenant): Promise<boolean> {
    const stored = await this.settings.findOne({ _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode });
    return stored?.disabledAt != null;
  }

  async update(tenant: Tenant, changes: Partial<AccountSettings>): Promise<AccountSettings> {
    const next = accountSettingsSchema.parse({ ...(await this.get(tenant)), ...changes });
    await this.settings.updateOne(
      { _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode },
      { $set: next },
      { upsert: true },
    );
    return next;
  }
}

/** Today's calendar date for an account. */
export function todayFor(settings: AccountSettings, clock: Clock): CalendarDate {
  return calendarDateIn(clock.now(), settings.timeZone);
}

/** What a status is computed against for this account right now. */
export function statusBasisFor(settings: AccountSettings, clock: Clock): { today: CalendarDate; windowDays: number } {
  return { today: todayFor(settings, clock), windowDays: settings.expiringWindowDays };
}
