import type { Response } from 'express';
import type { Tenant } from '../../tenancy.js';

/**
 * Whose data a UI call may touch — the account and mode proven by the Stripe App
 * signature — and the Dashboard user who made the call (for history). Never built from
 * anything else the client sends, so every query that filters on it is isolated per
 * account and mode.
 */
export interface VerifiedTenant extends Tenant {
  readonly userId: string;
}

/**
 * A route asked for the tenant on a request that `appSignatureAuth` did not verify:
 * a wiring mistake, so a 500 rather than a client error.
 */
export class MissingTenantError extends Error {
  override readonly name = 'MissingTenantError';
  constructor() {
    super('No verified tenant on this request: mount appSignatureAuth before this route');
  }
}

// Only objects that went through attachVerifiedTenant count, so a stray assignment to
// res.locals.tenant elsewhere can never pass for a verified tenant.
const verifiedTenants = new WeakSet<VerifiedTenant>();

/** Records the verified tenant on the response; called by `appSignatureAuth` only. */
export function attachVerifiedTenant(res: Response, tenant: VerifiedTenant): VerifiedTenant {
  const frozen = Object.freeze({ accountId: tenant.accountId, livemode: tenant.livemode, userId: tenant.userId });
  verifiedTenants.add(frozen);
  res.locals.tenant = frozen;
  return frozen;
}

/** The tenant `appSignatureAuth` verified for this request; throws {@link MissingTenantError} if there is none. */
export function tenantOf(res: Response): VerifiedTenant {
  const tenant: unknown = res.locals.tenant;
  if (typeof tenant === 'object' && tenant !== null && verifiedTenants.has(tenant as VerifiedTenant)) return tenant as VerifiedTenant;
  throw new MissingTenantError();
}
