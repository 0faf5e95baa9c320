import { MongoClient, MongoServerError } from 'mongodb';
import type { Clock } from '../../worker/src/clock.js';
import { createApp } from '../../worker/src/http/app.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../worker/src/http/errors.js';
import { createLogger } from '../../worker/src/logger.js';
import { createServiceContext } from '../../worker/src/service.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { StripeEventStore } from '../../worker/src/webhooks/eventStore.js';
import { ApiClient } from '../support/api.js';
import { testConfig, testServerUri } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { deliver, processedEvent, signatureFor, stripeEvent } from '../support/stripeEvents.js';
import { startTcpProxy } from '../support/tcpProxy.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Webhooks000001', livemode: false };
const texas = { country: 'US', state: 'TX', postalCode: '78701', city: 'Austin', line1: '1 Congress Ave' };
const oklahoma = { country: 'US', state: 'OK', postalCode: '73102', city: 'Oklahoma City', line1: '1 Main St' };

function texasCertificate(customerId: string) {
  return {
    customerId,
    reason: 'resale',
    form: 'single_state',
    number: 'TX-1',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }],
    notes: '',
  };
}

describe('Stripe webhooks and applying certificates', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe();

  beforeAll(async () => {
    service = await startTestService({ role: 'all', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  const taxExemptOf = (customerId: string) => stripe.customer(merchant, customerId)?.taxExempt;
  const processed = (eventId: string) => processedEvent(service.db, eventId);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

  async function customerWithCertificate(id: string): Promise<string> {
    stripe.addCustomer(merchant, { id, name: id, email: `${id}@example.com`, shipping: texas });
    const created = await api.post<{ id: string }>('/api/v1/certificates', texasCertificate(id));
    expect(created.status).toBe(201);
    return created.body.id;
  }

  it('makes a Texas customer with a Texas certificate exempt, and takes it back when the certificate is archived', async () => {
    const certificateId = await customerWithCertificate('cus_Tex');
    expect(await eventually(async () => taxExemptOf('cus_Tex'), (v) => v === 'exempt')).toBe('exempt');

    expect((await api.post(`/api/v1/certificates/${certificateId}/archive`, { reason: 'Closed' })).status).toBe(200);
    expect(await eventually(async () => taxExemptOf('cus_Tex'), (v) => v === 'none')).toBe('none');
  });

  it('sets none when the customer moves to a state the certificate does not cover', async () => {
    await customerWithCertificate('cus_Mover');
    await eventually(async () => taxExemptOf('cus_Mover'), (v) => v === 'exempt');
    stripe.updateCustomer(merchant, 'cus_Mover', { shipping: oklahoma });
    const event = stripeEvent('customer.updated', { id: 'cus_Mover', name: 'Mover', shipping: { address: { country: 'US', state: 'OK', city: null, line1: null, line2: null, postal_code: null }, name: 'Mover' } }, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processed(event.id);
    expect(taxExemptOf('cus_Mover')).toBe('none');
  });

  it('never touches a reverse charge the merchant set by hand, and reports the conflict', async () => {
    stripe.addCustomer(merchant, { id: 'cus_Reverse', shipping: texas, taxExempt: 'reverse' });
    await api.post('/api/v1/certificates', texasCertificate('cus_Reverse'));
    const conflicts = await eventually(
      async () => (await api.get<{ data: Array<{ customerId: string; current: string; wanted: string }> }>('/api/v1/coverage/conflicts')).body.data,
      (list) => list.some((c) => c.customerId === 'cus_Reverse'),
    );
    expect(conflicts.find((c) => c.customerId === 'cus_Reverse')).toMatchObject({ current: 'reverse', wanted: 'exempt' });
    await settle();
    expect(taxExemptOf('cus_Reverse')).toBe('reverse');
    expect(stripe.writes('updateCustomerTaxExempt').filter((w) => w.id === 'cus_Reverse')).toEqual([]);
  });

  it('records but never writes under the record-only policy', async () => {
    const recordOnly: Tenant = { accountId: 'acct_1RecordOnly00001', livemode: false };
    const client = api.as(recordOnly);
    expect((await client.patch('/api/v1/settings', { syncPolicy: 'record_only' })).status).toBe(200);
    stripe.addCustomer(recordOnly, { id: 'cus_Quiet', shipping: texas });
    expect((await client.post('/api/v1/certificates', texasCertificate('cus_Quiet'))).status).toBe(201);
    const memory = await eventually(
      () => service.db.collection('tax_exempt_sync').findOne({ accountId: recordOnly.accountId, customerId: 'cus_Quiet' }),
      (doc) => doc?.wanted === 'exempt',
    );
    expect(memory?.wanted).toBe('exempt');
    expect(memory?.lastSet ?? null).toBeNull();
    expect(stripe.customer(recordOnly, 'cus_Quiet')?.taxExempt).toBe('none');
  });

  it('treats include-pending like approved-only while no submission awaits review', async () => {
    const pending: Tenant = { accountId: 'acct_1IncludePend0001', livemode: false };
    const client = api.as(pending);
    expect((await client.patch('/api/v1/settings', { syncPolicy: 'include_pending' })).status).toBe(200);
    stripe.addCustomer(pending, { id: 'cus_Pend', shipping: texas });
    expect((await client.post('/api/v1/certificates', texasCertificate('cus_Pend'))).status).toBe(201);
    expect(await eventually(async () => stripe.customer(pending, 'cus_Pend')?.taxExempt, (v) => v === 'exempt')).toBe('exempt');
  });

  it('names the applied certificate on a draft invoice', async () => {
    const certificateId = await customerWithCertificate('cus_Draft');
    const event = stripeEvent('invoice.created', { id: 'in_Draft1', customer: 'cus_Draft', status: 'draft' }, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processed(event.id);
    expect(stripe.metadataOf(merchant, 'in_Draft1')).toEqual({ exemption_certificate: certificateId });
    expect(taxExemptOf('cus_Draft')).toBe('exempt');
  });

  it('acts once on an event delivered twenty times at once, in shuffled order with others', async () => {
    stripe.addCustomer(merchant, { id: 'cus_Burst', shipping: texas });
    await api.post('/api/v1/certificates', texasCertificate('cus_Burst'));
    await eventually(async () => taxExemptOf('cus_Burst'), (v) => v === 'exempt');
    stripe.updateCustomer(merchant, 'cus_Burst', { shipping: oklahoma });
    const moved = stripeEvent('customer.updated', { id: 'cus_Burst', name: 'Burst' }, merchant);
    const draft = stripeEvent('invoice.created', { id: 'in_Burst1', customer: 'cus_Burst', status: 'draft' }, merchant);
    const deliveries = [...Array.from({ length: 20 }, () => moved), ...Array.from({ length: 20 }, () => draft)].sort(() => Math.random() - 0.5);
    const writesBefore = stripe.writes().length;

    const answers = await Promise.all(deliveries.map((event) => deliver(service.url ?? '', event)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await processed(moved.id);
    await processed(draft.id);
    await settle();

    expect(await service.db.collection('stripe_events').countDocuments({ _id: { $in: [moved.id, draft.id] } as never })).toBe(2);
    const writes = stripe.writes().slice(writesBefore);
    expect(writes.filter((w) => w.method === 'updateCustomerTaxExempt')).toEqual([expect.objectContaining({ id: 'cus_Burst', value: 'none' })]);
    expect(writes.filter((w) => w.method === 'setInvoiceMetadata')).toEqual([expect.objectContaining({ id: 'in_Burst1', value: { exemption_certificate: '' } })]);
    expect(taxExemptOf('cus_Burst')).toBe('none');
  });

  it('refuses a forged signature with 400 and stores nothing', async () => {
    const event = stripeEvent('customer.updated', { id: 'cus_Tex' }, merchant);
    const forged = await deliver(service.url ?? '', event, signatureFor(event.body, 'whsec_attacker_0000000000000000000'));
    expect(forged.status).toBe(400);
    const tampered = await deliver(service.url ?? '', { ...event, body: event.body.replace('cus_Tex', 'cus_Bad') }, signatureFor(event.body));
    expect(tampered.status).toBe(400);
    const stale = await deliver(service.url ?? '', event, signatureFor(event.body, undefined, Math.floor(Date.now() / 1000) - 301));
    expect(stale.status).toBe(400);
    const unsigned = await fetch(`${service.url}/webhooks/stripe`, { method: 'POST', body: event.body, headers: { 'Content-Type': 'application/json' } });
    expect(unsigned.status).toBe(400);
    expect(await service.db.collection('stripe_events').findOne({ _id: event.id as never })).toBeNull();
  });

  it('acknowledges an event type it does not handle, and keeps it', async () => {
    const event = stripeEvent('product.created', { id: 'prod_1' }, merchant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    expect(await processed(event.id)).toMatchObject({ outcome: 'ignored', type: 'product.created' });
  });

  it('keeps the events of an account that uninstalled the app but writes nothing to its Stripe', async () => {
    const leaving: Tenant = { accountId: 'acct_1Leaving00000001', livemode: false };
    stripe.addCustomer(leaving, { id: 'cus_Gone', shipping: texas });
    const bye = stripeEvent('account.application.deauthorized', { id: 'ca_1' }, leaving);
    expect((await deliver(service.url ?? '', bye)).status).toBe(200);
    await processed(bye.id);
    const after = stripeEvent('customer.updated', { id: 'cus_Gone' }, leaving);
    expect((await deliver(service.url ?? '', after)).status).toBe(200);
    expect(await processed(after.id)).toMatchObject({ outcome: 'skipped_disabled_account' });
    expect(stripe.writes().filter((w) => w.accountId === leaving.accountId)).toEqual([]);
  });

  it('answers 503 when the database is unavailable, so Stripe retries', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    const context = createServiceContext(client.db('unreachable'), testConfig(), {
      logger: createLogger('silent'),
      clock,
      stripe,
      queue: { enqueue: async () => undefined },
    });
    const server = createApp(context).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await deliver(`http://127.0.0.1:${port}`, stripeEvent('customer.updated', { id: 'cus_Tex' }, merchant));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    } finally {
      server.close();
      await client.close();
    }
  });

  it('answers 503 while its database connection is cut, and books the event when Stripe delivers it again', async () => {
    const database = new URL(testServerUri());
    const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) });
    const throughProxy = new URL(database);
    throughProxy.host = `127.0.0.1:${proxy.port}`;
    const cutOff = await startTestService({ role: 'all', stripe, clock, config: testConfig({ MONGODB_URI: throughProxy.href }) });
    try {
      const event = stripeEvent('product.created', { id: 'prod_Cut' }, merchant);
      proxy.cut();
      const refused = await deliver(cutOff.url ?? '', event);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
      await proxy.restore();
      // Stripe's retry, once the database is back.
      expect((await deliver(cutOff.url ?? '', event)).status).toBe(200);
      expect(await processedEvent(cutOff.db, event.id)).toMatchObject({ outcome: 'ignored' });
    } finally {
      await proxy.restore();
      await cutOff.dispose();
      await proxy.close();
    }
  });

  it('answers 503, not 500, when FerretDB reports its SQLite database busy', async () => {
    // FerretDB's answer to a write that waited too long for SQLite's write lock, as the driver
    // raises it. It cannot be provoked on demand, so the event store throws it.
    const busy = new MongoServerError({ ok: 0, code: 1, codeName: 'InternalError', errmsg: 'database is locked (5) (SQLITE_BUSY)' });
    class BusyEventStore extends StripeEventStore {
      override record(): Promise<'new' | 'duplicate'> {
        return Promise.reject(busy);
      }
    }
    const context = createServiceContext(service.db, testConfig(), { logger: createLogger('silent'), clock, stripe, queue: { enqueue: async () => undefined } });
    const server = createApp({ ...context, events: new BusyEventStore(service.db) }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await deliver(`http://127.0.0.1:${port}`, stripeEvent('customer.updated', { id: 'cus_Tex' }, merchant));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
      expect(await response.json()).toEqual({ error: { message: 'The database is unavailable; try again shortly' } });
    } finally {
      server.close();
    }
  });
});
