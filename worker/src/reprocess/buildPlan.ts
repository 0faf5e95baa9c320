import { customerJurisdiction, planReprocess, type Certificate, type CustomerAddress, type ReprocessPlan } from '@exemptions/shared';
import type { ServiceContext } from '../context.js';
import { ledgerContextFor } from '../ledger/ledgerContextFor.js';
import type { Tenant } from '../tenancy.js';

export interface ReprocessRange {
  readonly startDate: string;
  readonly endDate: string;
  readonly prioritizeCustomerAddress: boolean;
}

/** The customer is gone from Stripe, so "prioritize customer address" has no address to use. */
export class CustomerAddressUnavailableError extends Error {
  override name = 'CustomerAddressUnavailableError';
}

/** The customer's current address from Stripe, as the ledger records addresses. */
async function currentAddress(context: ServiceContext, tenant: Tenant, customerId: string): Promise<CustomerAddress> {
  const customer = await context.stripe.retrieveCustomer(tenant, customerId);
  if (customer === null || customer.deleted) throw new CustomerAddressUnavailableError(`customer ${customerId} is not in Stripe any more`);
  const { jurisdiction, source } = customerJurisdiction(customer);
  const raw = source === 'shipping' ? customer.shipping : source === 'billing' ? customer.address : null;
  return {
    jurisdiction,
    address: raw?.country ? { country: raw.country, state: raw.state, postalCode: raw.postalCode, line1: raw.line1, city: raw.city } : null,
    source: source === 'shipping' ? 'customer_shipping' : source === 'billing' ? 'customer_address' : null,
  };
}

/** What a reprocess of this certificate over this range does, as of now (the preview, and the run's work list). */
export async function buildReprocessPlan(context: ServiceContext, tenant: Tenant, certificate: Certificate, range: ReprocessRange, runId?: string): Promise<ReprocessPlan> {
  const ledger = await ledgerContextFor(context, tenant);
  const customerAddress = range.prioritizeCustomerAddress ? await currentAddress(context, tenant, certificate.customerId) : null;
  const entries = await context.ledger.find(tenant, { customerId: certificate.customerId });
  return planReprocess(
    entries,
    {
      certificate,
      start: range.startDate,
      end: range.endDate,
      customerAddress,
      today: ledger.today,
      ...(runId === undefined ? {} : { runId }),
    },
    (jurisdiction, key) => ledger.isFiled(jurisdiction, key),
  );
}
