import type { Tenant } from '../tenancy.js';

export type TaxExempt = 'none' | 'exempt' | 'reverse';

export interface StripeAddress {
  readonly country: string | null;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly city: string | null;
  readonly line1: string | null;
}

/** The parts of a Stripe customer this service reads. */
export interface StripeCustomer {
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly deleted: boolean;
  readonly taxExempt: TaxExempt;
  readonly address: StripeAddress | null;
  readonly shipping: StripeAddress | null;
}

/** Where a tax rate applies: what turns an invoice's `total_taxes` row into a jurisdiction. */
export interface StripeTaxRate {
  readonly id: string;
  readonly country: string | null;
  readonly state: string | null;
  readonly jurisdictionLevel: string | null;
  readonly percentage: number;
}

export interface StripeFileDownload {
  readonly id: string;
  readonly filename: string | null;
  readonly size: number;
  readonly purpose: string;
  readonly bytes: Buffer;
}

/**
 * Everything the worker asks of Stripe, on behalf of one tenant (the connected account that
 * installed the app). Tests put a recording implementation here: Stripe is not reachable from CI.
 */
export interface StripeGateway {
  /** null when the customer does not exist in that account and mode. */
  retrieveCustomer(tenant: Tenant, customerId: string): Promise<StripeCustomer | null>;
  /** null when the file does not exist in that account and mode. */
  downloadFile(tenant: Tenant, fileId: string, maxBytes: number): Promise<StripeFileDownload | null>;
  /** The invoice as Stripe's API returns it (the caller validates what it reads); null when missing. */
  retrieveInvoice(tenant: Tenant, invoiceId: string): Promise<unknown>;
  /** null when the tax rate does not exist in that account and mode. */
  retrieveTaxRate(tenant: Tenant, taxRateId: string): Promise<StripeTaxRate | null>;
  /** Idempotent under the key: a retried job sends the same key, and Stripe applies the write once. */
  updateCustomerTaxExempt(tenant: Tenant, customerId: string, value: TaxExempt, idempotencyKey: string): Promise<void>;
  /** Sets (or, with an empty string, removes) metadata keys on a draft invoice. */
  setInvoiceMetadata(tenant: Tenant, invoiceId: string, metadata: Readonly<Record<string, string>>, idempotencyKey: string): Promise<void>;
}

export class StripeFileTooLargeError extends Error {
  override name = 'StripeFileTooLargeError';
  constructor(readonly fileId: string, readonly maxBytes: number) {
    super(`Stripe file ${fileId} is larger than ${maxBytes} bytes`);
  }
}
