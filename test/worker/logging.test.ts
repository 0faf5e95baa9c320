/**
 * What the worker writes to its logs about requests: each line names its request, and no
 * signature (replayable within its tolerance window) is ever written.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../worker/src/logger.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { deliver, signatureFor, stripeEvent } from '../support/stripeEvents.js';

const merchant: Tenant = { accountId: 'acct_1LoggingMerchant01', livemode: false };
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ stripe: new FakeStripe(), logger: createLogger('info', sink) });
});
afterAll(() => service.dispose());

function requestLines(url: string): Array<Record<string, unknown>> {
  return lines.filter((line) => typeof line.req === 'object' && line.req !== null && (line.req as { url?: string }).url === url);
}

it('logs each request with its id and without its signature', async () => {
  const event = stripeEvent('customer.updated', { id: 'cus_Logged', name: 'Logged' }, merchant);
  const signature = signatureFor(event.body);
  expect((await deliver(service.url ?? '', event, signature)).status).toBe(200);
  const api = new ApiClient(service.url ?? '', merchant);
  const listed = await api.request('GET', '/api/v1/certificates');
  expect(listed.status).toBe(200);

  const webhook = await eventually(async () => requestLines('/webhooks/stripe'), (found) => found.length > 0);
  const apiCall = await eventually(async () => requestLines('/api/v1/certificates'), (found) => found.length > 0);
  for (const line of [...webhook, ...apiCall]) {
    const req = line.req as { id?: unknown; headers?: Record<string, unknown> };
    expect(typeof req.id).toBe('string');
    expect(req.headers?.['stripe-signature']).toBe('[redacted]');
  }
  expect(listed.headers.get('x-request-id')).toBe((apiCall[0]?.req as { id?: string }).id);
  const everything = lines.map((line) => JSON.stringify(line)).join('\n');
  expect(everything).not.toContain(signature);
  expect(everything).not.toMatch(/v1=[0-9a-f]{64}/);
});
