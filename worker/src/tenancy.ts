/**
 * Whose data a request or event may touch: the verified Stripe account and its mode.
 * Test-mode and live-mode data of one account are two tenants, never mixed.
 */
export interface Tenant {
  readonly accountId: string;
  readonly livemode: boolean;
}

/** The filter every query starts from. */
export function tenantFilter(tenant: Tenant): { accountId: string; livemode: boolean } {
  return { accountId: tenant.accountId, livemode: tenant.livemode };
}
