import { jurisdictionCode, type JurisdictionCode } from './jurisdictions.js';

export type TaxExemptValue = 'none' | 'exempt' | 'reverse';

/**
 * How an account lets this service change Stripe: only for approved certificates (the
 * default), also while a customer's submission awaits review, or never (record only).
 */
export type SyncPolicy = 'approved_only' | 'include_pending' | 'record_only';

export const syncPolicies = ['approved_only', 'include_pending', 'record_only'] as const satisfies readonly SyncPolicy[];

export interface PostalAddress {
  readonly country: string | null;
  readonly state: string | null;
}

export type AddressSource = 'shipping' | 'billing';

/** The jurisdiction Stripe taxes a customer in: the shipping address first, then the billing address. */
export function customerJurisdiction(customer: {
  readonly shipping: PostalAddress | null;
  readonly address: PostalAddress | null;
}): { jurisdiction: JurisdictionCode | null; source: AddressSource | null } {
  for (const [source, address] of [
    ['shipping', customer.shipping],
    ['billing', customer.address],
  ] as const) {
    if (address?.country) return { jurisdiction: jurisdictionCode(address.country, address.state ?? ''), source };
  }
  return { jurisdiction: null, source: null };
}

/** What this service remembers of its own writes to one customer's `tax_exempt`. */
export interface TaxExemptMemory {
  /** The value this service last wrote and Stripe confirmed; null if it never wrote. */
  readonly lastSet: TaxExemptValue | null;
  /** A value this service decided to write but has not seen confirmed (a crash or retry in between). */
  readonly pending: TaxExemptValue | null;
}

export type TaxExemptDecision =
  | { readonly action: 'in_sync' }
  | { readonly action: 'write'; readonly value: TaxExemptValue }
  | { readonly action: 'record_only'; readonly wanted: TaxExemptValue }
  | { readonly action: 'conflict'; readonly current: TaxExemptValue; readonly wanted: TaxExemptValue };

/**
 * Whether to change Stripe's `tax_exempt`. A value is ours to change only if this service put
 * it there (or it is Stripe's default `none` and we never wrote); anything else the merchant set
 * by hand — `reverse` always, since we never write it — is reported as a conflict, not overwritten.
 */
export function decideTaxExempt(current: TaxExemptValue, wanted: TaxExemptValue, memory: TaxExemptMemory, policy: SyncPolicy): TaxExemptDecision {
  if (current === wanted) return { action: 'in_sync' };
  if (policy === 'record_only') return { action: 'record_only', wanted };
  const ours = current === memory.lastSet || current === memory.pending || (memory.lastSet === null && current === 'none');
  if (!ours) return { action: 'conflict', current, wanted };
  return { action: 'write', value: wanted };
}
