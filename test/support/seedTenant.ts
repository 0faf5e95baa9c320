/**
 * One tenant with at least one real object behind every kind of id the API takes — certificates
 * (one with a file, one archived), a ledger, a filed period, a reprocess run, certificate
 * requests (one sent, one submitted through the portal with its file), settings, an imported
 * certificate — through the API and the portal as a merchant and a customer would make them.
 * Fuzzing uses it so cases reach real objects; isolation tests use it as the victim.
 */
import type { Clock } from '../../worker/src/clock.js';
import type { Config } from '../../worker/src/config.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from './api.js';
import type { FakeStripe } from './fakeStripe.js';
import { postPortalForm, samplePdf, texasAnswer } from './portal.js';
import { testConfig } from './database.js';
import { eventually, startTestService, type TestService } from './service.js';
import { deliver, processedEvent, stripeEvent } from './stripeEvents.js';

export interface SeededTenant {
  readonly tenant: Tenant;
  readonly customerIds: readonly string[];
  readonly certificateIds: readonly string[];
  /** The certificate that holds `fileIds`. */
  readonly certificateWithFile: string;
  readonly fileIds: readonly string[];
  readonly invoiceIds: readonly string[];
  readonly runIds: readonly string[];
  readonly requestIds: readonly string[];
  /** A request the customer answered through the portal: it has a file, and can be approved or rejected. */
  readonly submittedRequestId: string;
  /** A request waiting on the customer, and its portal link (path only). */
  readonly sentRequestId: string;
  readonly portalPath: string;
  /** Strings that appear only in this tenant's data: any of them in another tenant's answer is a leak. */
  readonly markers: readonly string[];
  /** `nextCursor`s of real list pages. */
  readonly cursors: readonly string[];
  readonly stripeFileIds: readonly string[];
}

const texas = { country: 'US', state: 'TX', postalCode: '78701', city: 'Austin', line1: '1 Congress Ave' };

function finalizedInvoice(id: string, customer: string, finalizedOn: string) {
  return {
    id,
    number: id.replace('in_', 'INV-'),
    customer,
    currency: 'usd',
    subtotal: 16000,
    total_excluding_tax: 16000,
    customer_tax_exempt: 'none' as const,
    customer_address: { country: 'US', state: 'TX', postal_code: '78701', city: 'Austin', line1: '1 Congress Ave', line2: null },
    customer_shipping: null,
    status_transitions: { finalized_at: Math.floor(Date.parse(`${finalizedOn}T15:00:00Z`) / 1000), paid_at: null, voided_at: null, marked_uncollectible_at: null },
    total_taxes: [
      { amount: 1000, taxable_amount: 16000, taxability_reason: 'standard_rated' as const, tax_behavior: 'exclusive' as const, type: 'tax_rate_details' as const, tax_rate_details: { tax_rate: 'txr_TX' } },
    ],
  };
}

function expectStatus(what: string, status: number, wanted: readonly number[], body: unknown): void {
  if (!wanted.includes(status)) throw new Error(`seeding: ${what} answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
}

/**
 * Seeds `tenant` on a running service (role `all`: the ledger needs its event jobs). `tag` makes
 * the ids and markers unique, so two tenants seeded on one service never share a string.
 */
export async function seedTenant(service: TestService, stripe: FakeStripe, tenant: Tenant, tag: string): Promise<SeededTenant> {
  const baseUrl = service.url ?? '';
  const api = new ApiClient(baseUrl, tenant);
  const customerIds = [`cus_${tag}Texan`, `cus_${tag}Other`, `cus_${tag}Asked`];
  const secretName = `Secret Customer ${tag}`;
  const secretEmail = `secret-${tag.toLowerCase()}@victim.example`;
  stripe
    .addTaxRate(tenant, { id: 'txr_TX', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
    .addCustomer(tenant, { id: customerIds[0] ?? '', name: secretName, email: secretEmail, address: texas })
    .addCustomer(tenant, { id: customerIds[1] ?? '', name: `${secretName} Two`, email: `two-${secretEmail}`, address: texas })
    .addCustomer(tenant, { id: customerIds[2] ?? '', name: `${secretName} Three`, email: `three-${secretEmail}`, address: texas })
    .addFile(tenant, { id: `file_${tag}Pdf`, filename: 'stripe-upload.pdf', bytes: samplePdf(`% ${tag} stripe file\n`) });

  const invoiceIds = [`in_${tag}March`, `in_${tag}April`];
  for (const [id, day] of [
    [invoiceIds[0] ?? '', '2026-03-03'],
    [invoiceIds[1] ?? '', '2026-04-08'],
  ] as const) {
    const event = stripeEvent('invoice.finalized', finalizedInvoice(id, customerIds[0] ?? '', day) as never, tenant);
    expectStatus('an invoice event', (await deliver(baseUrl, event)).status, [200], null);
    await processedEvent(service.db, event.id, 20_000);
  }

  const secretNumber = `SECRET-${tag}-0001`;
  const secretNotes = `Secret notes of ${tag}`;
  const certificate = (customerId: string, number: string) => ({
    customerId,
    reason: 'resale',
    form: 'single_state',
    number,
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: '2028-12-31' }],
    notes: secretNotes,
  });
  const created = await api.post<{ id: string }>('/api/v1/certificates', certificate(customerIds[0] ?? '', secretNumber));
  expectStatus('creating a certificate', created.status, [201], created.body);
  const second = await api.post<{ id: string }>('/api/v1/certificates', certificate(customerIds[1] ?? '', `${secretNumber}-B`));
  expectStatus('creating a second certificate', second.status, [201], second.body);
  const archived = await api.post<{ id: string }>('/api/v1/certificates', certificate(customerIds[1] ?? '', `${secretNumber}-C`));
  expectStatus('creating a third certificate', archived.status, [201], archived.body);
  expectStatus('archiving', (await api.post(`/api/v1/certificates/${archived.body.id}/archive`, { reason: `Archived by ${tag}` })).status, [200], null);

  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(samplePdf(`% ${tag} upload\n`))]), `secret-${tag}.pdf`);
  const encoded = new Request('http://localhost/', { method: 'POST', body: form });
  const uploaded = await signedFetch(
    baseUrl,
    { method: 'POST', target: `/api/v1/certificates/${created.body.id}/files/upload`, body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' },
    api.identity,
  );
  const uploadBody = (await uploaded.json()) as { file: { id: string; sha256: string } };
  expectStatus('uploading a file', uploaded.status, [201], uploadBody);

  expectStatus('filing a period', (await api.post('/api/v1/periods/file', { jurisdiction: 'US-TX', periodKey: '2026-03' })).status, [200], null);
  const run = await api.post<{ id: string }>(`/api/v1/certificates/${created.body.id}/reprocess`, {
    startDate: '2026-03-01',
    endDate: '2026-04-30',
    acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due', 'past_refund_statute'],
  });
  expectStatus('starting a reprocess run', run.status, [201], run.body);

  const settings = await api.patch('/api/v1/settings', { businessName: `Secret Business ${tag}`, merchantNotificationEmail: `ap-${tag.toLowerCase()}@victim.example` });
  expectStatus('changing the settings', settings.status, [200], settings.body);

  const sent = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: customerIds[1] ?? '', jurisdictions: ['US-NY'], message: `Secret message ${tag}` });
  expectStatus('requesting a certificate', sent.status, [201], sent.body);
  const submitted = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: customerIds[2] ?? '', jurisdictions: ['US-TX'] });
  expectStatus('requesting a second certificate', submitted.status, [201], submitted.body);
  const portalPath = await portalPathOf(service, sent.body.id);
  const answered = await postPortalForm(baseUrl, `https://portal.invalid${await portalPathOf(service, submitted.body.id)}`, texasAnswer({ signerName: `Signer ${tag}` }), {
    bytes: samplePdf(`% ${tag} portal\n`),
    filename: `portal-${tag}.pdf`,
    type: 'application/pdf',
  });
  expectStatus('answering through the portal', answered.status, [200], answered.text.slice(0, 300));

  const header = 'externalId,customerId,reason,form,purchaseType,jurisdiction1Code,jurisdiction1EffectiveDate,notes';
  const imported = await signedFetch(
    baseUrl,
    { method: 'POST', target: '/api/v1/certificates/import', body: `${header}\r\next-${tag},${customerIds[0] ?? ''},resale,single_state,blanket,US-CA,2026-01-01,${secretNotes}\r\n`, contentType: 'text/csv' },
    api.identity,
  );
  const importBody = (await imported.json()) as { rows: Array<{ certificateId: string | null }> };
  expectStatus('importing a CSV', imported.status, [200], importBody);

  const certificateIds = [created.body.id, second.body.id, archived.body.id, ...importBody.rows.flatMap((row) => (row.certificateId === null ? [] : [row.certificateId]))];
  const firstPage = await api.get<{ nextCursor: string | null }>('/api/v1/certificates?limit=1');
  const firstRequests = await api.get<{ nextCursor: string | null }>('/api/v1/certificate-requests?limit=1');
  const cursors = [firstPage.body.nextCursor, firstRequests.body.nextCursor].filter((c): c is string => c !== null);

  return {
    tenant,
    customerIds,
    certificateIds,
    certificateWithFile: created.body.id,
    fileIds: [uploadBody.file.id],
    invoiceIds,
    runIds: [run.body.id],
    requestIds: [sent.body.id, submitted.body.id],
    submittedRequestId: submitted.body.id,
    sentRequestId: sent.body.id,
    portalPath,
    markers: [
      ...certificateIds,
      uploadBody.file.id,
      uploadBody.file.sha256,
      run.body.id,
      sent.body.id,
      submitted.body.id,
      secretName,
      secretEmail,
      secretNumber,
      secretNotes,
      `Secret Business ${tag}`,
      `Secret message ${tag}`,
      `Signer ${tag}`,
      `ext-${tag}`,
      // Inside the stored files' bytes.
      `% ${tag} upload`,
      `% ${tag} portal`,
    ],
    cursors,
    stripeFileIds: [`file_${tag}Pdf`],
  };
}

/** The portal link of a request, from the email kept in the outbox (no SMTP server in these tests). */
async function portalPathOf(service: TestService, requestId: string): Promise<string> {
  const email = await eventually(
    () => service.db.collection(EMAILS).findOne({ _id: `request:${requestId}:1` as never }),
    (doc) => doc !== null,
  );
  const match = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(String(email?.text ?? ''));
  if (match === null) throw new Error(`seeding: no portal link in the email of ${requestId}`);
  return match[0];
}

export interface SeededService {
  readonly service: TestService;
  readonly seeded: readonly SeededTenant[];
}

/**
 * A web-role service on a database seeded with `tenants`. Seeding needs the jobs (the ledger is
 * booked by event jobs) but the tests that follow do not, and jobs running beside them would slow
 * them down or change data under a before/after comparison; so the database is seeded through a
 * service of every role, which is then stopped, and served by the web role alone.
 */
export async function startSeededService(
  options: { readonly stripe: FakeStripe; readonly clock?: Clock; readonly config?: Config },
  tenants: ReadonlyArray<{ readonly tenant: Tenant; readonly tag: string }>,
): Promise<SeededService> {
  const config = options.config ?? testConfig();
  const common = { stripe: options.stripe, config, ...(options.clock === undefined ? {} : { clock: options.clock }) };
  const seeding = await startTestService({ role: 'all', ...common });
  const seeded: SeededTenant[] = [];
  for (const { tenant, tag } of tenants) seeded.push(await seedTenant(seeding, options.stripe, tenant, tag));
  await seeding.stop();
  return { service: await startTestService({ role: 'web', ...common }), seeded };
}
