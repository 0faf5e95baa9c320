import { calendarDateIn, defaultExpiryWindowDays, timeZoneSchema, type CalendarDate } from '@exemptions/shared';
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Tenant } from '../tenancy.js';

export const accountSettingsSchema = z.strictObject({
  /** Certificate dates are calendar dates here; "today" is today in this zone. */
  timeZone: timeZoneSchema,
  /** How many days before expiry a certificate counts as expiring soon. */
  expiringWindowDays: z.int().min(0).max(365),
});

export type AccountSettings = z.infer<typeof accountSettingsSchema>;

export const defaultAccountSettings: AccountSettings = { timeZone: 'UTC', expiringWindowDays: defaultExpiryWindowDays };

interface SettingsDocument extends AccountSettings {
  _id: string;
  accountId: string;
  livemode: boolean;
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
    const stored = await this.settings.findOne({ _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode });
    return stored === null ? defaultAccountSettings : { timeZone: stored.timeZone, expiringWindowDays: stored.expiringWindowDays };
  }

  async update(tenant: Tenant, changes: Partial<AccountSettings>): Promise<AccountSettings> {
    const next = accountSettingsSchema.parse({ ...(await this.get(tenant)), ...changes });
    await this.settings.replaceOne(
      { _id: AccountSettingsRepository.key(tenant), accountId: tenant.accountId, livemode: tenant.livemode },
      { accountId: tenant.accountId, livemode: tenant.livemode, ...next },
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
