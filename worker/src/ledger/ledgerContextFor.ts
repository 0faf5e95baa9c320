import { ledgerContext, type LedgerContext } from '@exemptions/shared';
import { todayFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import type { Tenant } from '../tenancy.js';

/** The account's zone, today, filing frequencies and filed returns, as the ledger rules take them. */
export async function ledgerContextFor(context: ServiceContext, tenant: Tenant): Promise<LedgerContext> {
  const settings = await context.settings.get(tenant);
  return ledgerContext({
    timeZone: settings.timeZone,
    today: todayFor(settings, context.clock),
    frequencies: settings.filingFrequencies,
    filed: await context.filing.filedPeriods(tenant),
  });
}
