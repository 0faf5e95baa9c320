import type { Tenant } from '../tenancy.js';
import type { StripeGateway, StripeTaxRate } from '../stripe/gateway.js';

/**
 * Tax rates an invoice's `total_taxes` point at, fetched once per process: an invoice names
 * the same few rates again and again, and where a rate applies does not change.
 */
export class TaxRateCache {
  private readonly rates = new Map<string, Promise<StripeTaxRate | null>>();

  constructor(private readonly stripe: StripeGateway) {}

  get(tenant: Tenant, taxRateId: string): Promise<StripeTaxRate | null> {
    const key = `${tenant.accountId}:${tenant.livemode}:${taxRateId}`;
    let rate = this.rates.get(key);
    if (rate === undefined) {
      rate = this.stripe.retrieveTaxRate(tenant, taxRateId);
      // A failed fetch is not remembered: the retry should ask Stripe again.
      rate.catch(() => this.rates.delete(key));
      this.rates.set(key, rate);
    }
    return rate;
  }
}
