import { ledgerContext, type LedgerContext } from '@exemptions/shared';
import { todayFor, type AccountSettings } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import type { Tenant } from '../tenancy.js';

/**
 * The account's zone, today, filing frequencies and filed returns, as the ledger rules take them.
 * The settings and the filed periods are read concurrently; a caller that has read the
 * settings already passes them.
 */
export async function ledgerContextFor(context: ServiceContext, tenant: Tenant, known?: AccountSettings): Promise<LedgerContext> {
  const [settings, filed] = await Promise.all([known ?? context.settings.get(tenant), context.filing.filedPeriods(tenant)]);
  return ledgerContext({
    timeZone: settings.timeZone,
    today: todayFor(settings, context.clock),
    frequencies: settings.filingFrequencies,
    filed,
  });
}
