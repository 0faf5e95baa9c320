import type { Tenant } from '../tenancy.js';

/** The parts of a Stripe customer this service reads. */
export interface StripeCustomer {
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly deleted: boolean;
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
}

export class StripeFileTooLargeError extends Error {
  override name = 'StripeFileTooLargeError';
  constructor(readonly fileId: string, readonly maxBytes: number) {
    super(`Stripe file ${fileId} is larger than ${maxBytes} bytes`);
  }
}
