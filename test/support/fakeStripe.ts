import type { Tenant } from '../../worker/src/tenancy.js';
import { StripeFileTooLargeError, type StripeCustomer, type StripeFileDownload, type StripeGateway } from '../../worker/src/stripe/gateway.js';

type Call = { method: keyof StripeGateway; accountId: string; livemode: boolean; id: string };

/**
 * Stripe at the gateway boundary, for tests: objects live per account and mode, exactly as the
 * real API scopes them, and every call is recorded so tests can assert what was asked of Stripe.
 */
export class FakeStripe implements StripeGateway {
  readonly calls: Call[] = [];
  private readonly customers = new Map<string, StripeCustomer>();
  private readonly files = new Map<string, Omit<StripeFileDownload, 'size'>>();

  private static key(tenant: Tenant, id: string): string {
    return `${tenant.accountId}:${tenant.livemode}:${id}`;
  }

  addCustomer(tenant: Tenant, customer: { id: string; name?: string | null; email?: string | null; deleted?: boolean }): this {
    this.customers.set(FakeStripe.key(tenant, customer.id), { name: null, email: null, deleted: false, ...customer });
    return this;
  }

  addFile(tenant: Tenant, file: { id: string; filename?: string | null; bytes: Buffer; purpose?: string }): this {
    this.files.set(FakeStripe.key(tenant, file.id), { filename: null, purpose: 'tax_document_user_upload', ...file });
    return this;
  }

  async retrieveCustomer(tenant: Tenant, customerId: string): Promise<StripeCustomer | null> {
    this.calls.push({ method: 'retrieveCustomer', accountId: tenant.accountId, livemode: tenant.livemode, id: customerId });
    return this.customers.get(FakeStripe.key(tenant, customerId)) ?? null;
  }

  async downloadFile(tenant: Tenant, fileId: string, maxBytes: number): Promise<StripeFileDownload | null> {
    this.calls.push({ method: 'downloadFile', accountId: tenant.accountId, livemode: tenant.livemode, id: fileId });
    const file = this.files.get(FakeStripe.key(tenant, fileId));
    if (file === undefined) return null;
    if (file.bytes.length > maxBytes) throw new StripeFileTooLargeError(fileId, maxBytes);
    return { ...file, size: file.bytes.length };
  }
}
