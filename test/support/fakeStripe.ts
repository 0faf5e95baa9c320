import type { Tenant } from '../../worker/src/tenancy.js';
import {
  StripeFileTooLargeError,
  type StripeAddress,
  type StripeCustomer,
  type StripeFileDownload,
  type StripeGateway,
  type StripeTaxRate,
  type TaxExempt,
} from '../../worker/src/stripe/gateway.js';

type Call = { method: keyof StripeGateway; accountId: string; livemode: boolean; id: string; idempotencyKey?: string; value?: unknown };

export interface FakeCustomer {
  id: string;
  name?: string | null;
  email?: string | null;
  deleted?: boolean;
  taxExempt?: TaxExempt;
  address?: Partial<StripeAddress> | null;
  shipping?: Partial<StripeAddress> | null;
}

function fullAddress(value: Partial<StripeAddress> | null | undefined): StripeAddress | null {
  if (value === null || value === undefined) return null;
  return { country: null, state: null, postalCode: null, city: null, line1: null, ...value };
}

/**
 * Stripe at the gateway boundary, for tests: objects live per account and mode, exactly as the
 * real API scopes them, and every call is recorded so tests can assert what was asked of Stripe.
 */
export class FakeStripe implements StripeGateway {
  readonly calls: Call[] = [];
  private readonly customers = new Map<string, StripeCustomer>();
  private readonly files = new Map<string, Omit<StripeFileDownload, 'size'>>();
  private readonly usedKeys = new Set<string>();
  private readonly taxRates = new Map<string, StripeTaxRate>();
  private readonly invoices = new Map<string, Record<string, unknown>>();
  readonly invoiceMetadata = new Map<string, Record<string, string>>();

  private static key(tenant: Tenant, id: string): string {
    return `${tenant.accountId}:${tenant.livemode}:${id}`;
  }

  addCustomer(tenant: Tenant, customer: FakeCustomer): this {
    this.customers.set(FakeStripe.key(tenant, customer.id), {
      name: null,
      email: null,
      deleted: false,
      taxExempt: 'none',
      ...customer,
      address: fullAddress(customer.address),
      shipping: fullAddress(customer.shipping),
    });
    return this;
  }

  /** Changes a customer as the merchant would in the Dashboard. */
  updateCustomer(tenant: Tenant, id: string, changes: Omit<FakeCustomer, 'id'>): this {
    const current = this.customers.get(FakeStripe.key(tenant, id));
    if (current === undefined) throw new Error(`no customer ${id}`);
    this.customers.set(FakeStripe.key(tenant, id), {
      ...current,
      ...changes,
      address: changes.address === undefined ? current.address : fullAddress(changes.address),
      shipping: changes.shipping === undefined ? current.shipping : fullAddress(changes.shipping),
    });
    return this;
  }

  customer(tenant: Tenant, id: string): StripeCustomer | undefined {
    return this.customers.get(FakeStripe.key(tenant, id));
  }

  /** Writes Stripe applied: a repeated idempotency key is answered without applying the write again. */
  writes(method?: keyof StripeGateway): Call[] {
    return this.calls.filter((c) => (method === undefined ? c.method === 'updateCustomerTaxExempt' || c.method === 'setInvoiceMetadata' : c.method === method) && c.value !== undefined);
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

  /** An invoice as the API would return it (a fixture shaped like Stripe's JSON). */
  addInvoice(tenant: Tenant, invoice: Record<string, unknown> & { id: string }): this {
    this.invoices.set(FakeStripe.key(tenant, invoice.id), invoice);
    return this;
  }

  async retrieveInvoice(tenant: Tenant, invoiceId: string): Promise<unknown> {
    this.calls.push({ method: 'retrieveInvoice', accountId: tenant.accountId, livemode: tenant.livemode, id: invoiceId });
    return this.invoices.get(FakeStripe.key(tenant, invoiceId)) ?? null;
  }

  addTaxRate(tenant: Tenant, rate: StripeTaxRate): this {
    this.taxRates.set(FakeStripe.key(tenant, rate.id), rate);
    return this;
  }

  async retrieveTaxRate(tenant: Tenant, taxRateId: string): Promise<StripeTaxRate | null> {
    this.calls.push({ method: 'retrieveTaxRate', accountId: tenant.accountId, livemode: tenant.livemode, id: taxRateId });
    return this.taxRates.get(FakeStripe.key(tenant, taxRateId)) ?? null;
  }

  private once(tenant: Tenant, idempotencyKey: string): boolean {
    const key = `${tenant.accountId}:${idempotencyKey}`;
    if (this.usedKeys.has(key)) return false;
    this.usedKeys.add(key);
    return true;
  }

  async updateCustomerTaxExempt(tenant: Tenant, customerId: string, value: TaxExempt, idempotencyKey: string): Promise<void> {
    const applied = this.once(tenant, idempotencyKey);
    this.calls.push({ method: 'updateCustomerTaxExempt', ...tenant, id: customerId, idempotencyKey, ...(applied ? { value } : {}) });
    if (!applied) return;
    const customer = this.customers.get(FakeStripe.key(tenant, customerId));
    if (customer === undefined) throw new Error(`No such customer: '${customerId}'`);
    this.customers.set(FakeStripe.key(tenant, customerId), { ...customer, taxExempt: value });
  }

  async setInvoiceMetadata(tenant: Tenant, invoiceId: string, metadata: Readonly<Record<string, string>>, idempotencyKey: string): Promise<void> {
    const applied = this.once(tenant, idempotencyKey);
    this.calls.push({ method: 'setInvoiceMetadata', ...tenant, id: invoiceId, idempotencyKey, ...(applied ? { value: metadata } : {}) });
    if (!applied) return;
    const key = FakeStripe.key(tenant, invoiceId);
    const merged = { ...this.invoiceMetadata.get(key), ...metadata };
    for (const [name, value] of Object.entries(merged)) if (value === '') delete merged[name];
    this.invoiceMetadata.set(key, merged);
  }

  metadataOf(tenant: Tenant, invoiceId: string): Record<string, string> {
    return this.invoiceMetadata.get(FakeStripe.key(tenant, invoiceId)) ?? {};
  }
}
