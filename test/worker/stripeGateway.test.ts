import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeNotConfiguredError, createStripeGateway } from '../../worker/src/stripe/stripeGateway.js';
import { StripeFileTooLargeError } from '../../worker/src/stripe/gateway.js';
import { stripeInvoiceSchema } from '../../worker/src/ledger/stripeFacts.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { startStripeMock, type StripeMock } from '../support/stripeMock.js';

const tenant: Tenant = { accountId: 'acct_1Merchant0000001', livemode: false };

describe('the Stripe gateway against stripe-mock', () => {
  let mock: StripeMock;
  let files: Server;
  let filesUrl: string;
  const fileRequests: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

  beforeAll(async () => {
    mock = await startStripeMock();
    // Stripe serves file contents from a host of its own, which stripe-mock does not model.
    files = createServer((req, res) => {
      fileRequests.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { 'Content-Type': 'application/pdf' }).end(pdf);
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  }, 300_000);
  afterAll(async () => {
    await mock.stop();
    files.close();
  });

  it('retrieves a customer in a request shape the Stripe API accepts', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url });
    const customer = await gateway.retrieveCustomer(tenant, 'cus_123');
    expect(customer).toMatchObject({ deleted: false });
    expect(typeof customer?.id).toBe('string');
  });

  it('downloads a file with the platform key on behalf of the connected account', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url, filesBase: filesUrl });
    const file = await gateway.downloadFile(tenant, 'file_123', 10 * 1024 * 1024);
    expect(file?.bytes.equals(pdf)).toBe(true);
    const request = fileRequests.at(-1);
    expect(request?.url).toBe('/v1/files/file_123/contents');
    expect(request?.headers.authorization).toBe('Bearer sk_test_123');
    expect(request?.headers['stripe-account']).toBe(tenant.accountId);
  });

  it('refuses a file larger than the limit before downloading it', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url, filesBase: filesUrl });
    const before = fileRequests.length;
    // stripe-mock's file fixture reports a size larger than one byte.
    await expect(gateway.downloadFile(tenant, 'file_123', 1)).rejects.toBeInstanceOf(StripeFileTooLargeError);
    expect(fileRequests.length).toBe(before);
  });

  it('retrieves a tax rate and the jurisdiction it applies to', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url });
    const rate = await gateway.retrieveTaxRate(tenant, 'txr_123');
    expect(rate).toMatchObject({ id: expect.any(String), percentage: expect.any(Number) });
  });

  it('retrieves an invoice whose shape the ledger can read', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url });
    const invoice = await gateway.retrieveInvoice(tenant, 'in_123');
    expect(stripeInvoiceSchema.safeParse(invoice).success).toBe(true);
  });

  it('sends tax_exempt and invoice metadata writes in shapes the Stripe API accepts', async () => {
    const gateway = createStripeGateway({ secretKey: 'sk_test_123', apiBase: mock.url });
    await expect(gateway.updateCustomerTaxExempt(tenant, 'cus_123', 'exempt', 'tax_exempt:cus_123:1:exempt')).resolves.toBeUndefined();
    await expect(gateway.setInvoiceMetadata(tenant, 'in_123', { exemption_certificate: 'cert_1' }, 'invoice_metadata:in_123:cert_1')).resolves.toBeUndefined();
  });

  it('says so clearly when no Stripe key is configured', async () => {
    const gateway = createStripeGateway({ secretKey: undefined });
    await expect(gateway.retrieveCustomer(tenant, 'cus_123')).rejects.toBeInstanceOf(StripeNotConfiguredError);
  });
});
