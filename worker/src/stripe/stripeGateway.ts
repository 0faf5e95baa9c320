import Stripe from 'stripe';
import type { Tenant } from '../tenancy.js';
import { StripeFileTooLargeError, type StripeAddress, type StripeCustomer, type StripeFileDownload, type StripeGateway, type TaxExempt } from './gateway.js';

function address(value: Stripe.Address | null | undefined): StripeAddress | null {
  if (value === null || value === undefined) return null;
  return { country: value.country, state: value.state, postalCode: value.postal_code, city: value.city, line1: value.line1 };
}

export class StripeNotConfiguredError extends Error {
  override name = 'StripeNotConfiguredError';
  constructor() {
    super('STRIPE_SECRET_KEY is not set, so this worker cannot call Stripe');
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404;
}

export interface StripeGatewayOptions {
  readonly secretKey: string | undefined;
  /** e.g. http://127.0.0.1:12111 for stripe-mock. */
  readonly apiBase?: string | undefined;
  /** Where file contents are downloaded from; Stripe serves them from a host of their own. */
  readonly filesBase?: string | undefined;
}

/**
 * The Stripe API on behalf of the account that installed the app: every call carries
 * `stripeAccount`, so one platform key serves every tenant and cannot cross between them.
 */
export function createStripeGateway({ secretKey, apiBase, filesBase = 'https://files.stripe.com' }: StripeGatewayOptions): StripeGateway {
  let client: Stripe | undefined;
  const stripe = (): Stripe => {
    if (secretKey === undefined) throw new StripeNotConfiguredError();
    if (client === undefined) {
      const base = apiBase === undefined ? undefined : new URL(apiBase);
      client = new Stripe(secretKey, {
        maxNetworkRetries: 2,
        timeout: 20_000,
        ...(base === undefined
          ? {}
          : { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' }),
      });
    }
    return client;
  };

  return {
    async retrieveCustomer(tenant: Tenant, customerId: string): Promise<StripeCustomer | null> {
      try {
        const customer = await stripe().customers.retrieve(customerId, {}, { stripeAccount: tenant.accountId });
        if (customer.deleted === true) {
          return { id: customer.id, name: null, email: null, deleted: true, taxExempt: 'none', address: null, shipping: null };
        }
        if (customer.livemode !== tenant.livemode) return null;
        return {
          id: customer.id,
          name: customer.name ?? null,
          email: customer.email ?? null,
          deleted: false,
          taxExempt: (customer.tax_exempt ?? 'none') as TaxExempt,
          address: address(customer.address),
          shipping: address(customer.shipping?.address),
        };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async downloadFile(tenant: Tenant, fileId: string, maxBytes: number): Promise<StripeFileDownload | null> {
      let file: Stripe.File;
      try {
        file = await stripe().files.retrieve(fileId, {}, { stripeAccount: tenant.accountId });
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      if (file.size > maxBytes) throw new StripeFileTooLargeError(fileId, maxBytes);
      // File contents are served from files.stripe.com with the same key and account header.
      const response = await fetch(new URL(`/v1/files/${encodeURIComponent(fileId)}/contents`, filesBase), {
        headers: { Authorization: `Bearer ${secretKey ?? ''}`, 'Stripe-Account': tenant.accountId },
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`Stripe file download failed with HTTP ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > maxBytes) throw new StripeFileTooLargeError(fileId, maxBytes);
      return { id: file.id, filename: file.filename ?? null, size: bytes.length, purpose: file.purpose, bytes };
    },

    async retrieveInvoice(tenant: Tenant, invoiceId: string): Promise<unknown> {
      try {
        const invoice = await stripe().invoices.retrieve(invoiceId, {}, { stripeAccount: tenant.accountId });
        return invoice.livemode === tenant.livemode ? invoice : null;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async retrieveTaxRate(tenant: Tenant, taxRateId: string) {
      try {
        const rate = await stripe().taxRates.retrieve(taxRateId, {}, { stripeAccount: tenant.accountId });
        if (rate.livemode !== tenant.livemode) return null;
        return { id: rate.id, country: rate.country, state: rate.state, jurisdictionLevel: rate.jurisdiction_level, percentage: rate.percentage };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async updateCustomerTaxExempt(tenant: Tenant, customerId: string, value: TaxExempt, idempotencyKey: string): Promise<void> {
      await stripe().customers.update(customerId, { tax_exempt: value }, { stripeAccount: tenant.accountId, idempotencyKey });
    },

    async setInvoiceMetadata(tenant: Tenant, invoiceId: string, metadata: Readonly<Record<string, string>>, idempotencyKey: string): Promise<void> {
      await stripe().invoices.update(invoiceId, { metadata: { ...metadata } }, { stripeAccount: tenant.accountId, idempotencyKey });
    },
  };
}
