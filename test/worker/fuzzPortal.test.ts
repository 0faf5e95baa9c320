/**
 * Fuzzing the customer portal's form with fast-check: at least CASES submissions — the real form
 * with its fields kept, blanked, replaced by hostile strings or joined by unknown ones; files of
 * every kind under odd names; bodies cut short, misframed or not multipart at all; links guessed,
 * mangled or real. The portal is public, so every one of these is anyone's to send.
 *
 * No answer may be a 5xx; every answer is a page under the portal's CSP; nothing typed comes back
 * unescaped; and a submission is only accepted through a real, unused link. The figures go to
 * test/artifacts/hostile-input/fuzz-portal.json for SECURITY.md.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { Clock } from '../../worker/src/clock.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { writeFigures } from '../support/figures.js';
import { encodeMultipart, fileContentArbitrary, filenameArbitrary, type Part } from '../support/hostileRequests.js';
import { texasAnswer } from '../support/portal.js';
import { hostileStrings } from '../support/schemaArbitrary.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

/** The issue asks for at least 1,000; FUZZ_CASES changes it for a local run. */
const CASES = Number(process.env.FUZZ_CASES ?? 1000);

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 10)) };
const merchant: Tenant = { accountId: 'acct_1PortalFuzz00001', livemode: false };
const texas = { country: 'US', state: 'TX' };

/** Which link a case uses: the real one waiting for an answer, or one nobody was sent. */
type LinkChoice = 'real' | 'guessed' | 'malformed';

interface PortalCase {
  readonly link: LinkChoice;
  readonly malformedToken: string;
  readonly method: 'POST' | 'GET';
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly file: Part | null;
  /** How the body reaches the worker: framed properly, or broken on the way. */
  readonly framing: 'multipart' | 'cut short' | 'cut short near the end' | 'urlencoded' | 'no content type' | 'garbage';
  readonly cut: number;
  readonly garbage: Uint8Array;
}

const formFields = Object.keys(texasAnswer());

/** A field's value: the right one mostly, else blank, random, or hostile. */
const fieldValue = (right: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(right) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 2, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 1000), 'z'.repeat(9000)) },
  );

const mangledFields: fc.Arbitrary<ReadonlyArray<readonly [string, string]>> = fc
  .tuple(
    fc.tuple(...Object.entries(texasAnswer()).map(([name, value]) => fc.option(fieldValue(value).map((v) => [name, v] as const), { nil: undefined, freq: 12 }))),
    // Fields the form does not have, or has twice.
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...formFields, 'j5_code', 'accountId', '__proto__', 'certificateFile'), fc.string({ maxLength: 10 })), fc.string({ maxLength: 20 })), { maxLength: 3 }),
    // Now and then more fields than the form reads at all.
    fc.option(fc.constant(Array.from({ length: 320 }, (_, i) => [`x${i}`, 'x'] as const)), { nil: undefined, freq: 40 }),
  )
  .map(([known, extra, flood]) => [...known.filter((f): f is readonly [string, string] => f !== undefined), ...extra, ...(flood ?? [])]);

/** The form as a customer fills it in, or mangled: enough right ones that submissions get stored too. */
const fieldsArbitrary: fc.Arbitrary<ReadonlyArray<readonly [string, string]>> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(Object.entries(texasAnswer())) },
  { weight: 3, arbitrary: mangledFields },
);

const fileArbitrary: fc.Arbitrary<Part | null> = fc.option(
  fc.record({
    name: fc.oneof({ weight: 8, arbitrary: fc.constant('certificateFile') }, { weight: 1, arbitrary: fc.constantFrom('file', '', 'certificateFile[]') }),
    filename: fc.option(filenameArbitrary, { nil: null, freq: 8 }),
    type: fc.option(fc.constantFrom('application/pdf', 'image/png', 'image/jpeg', 'text/html', 'image/svg+xml'), { nil: null, freq: 4 }),
    content: fileContentArbitrary,
  }),
  { nil: null, freq: 8 },
);

const caseArbitrary: fc.Arbitrary<PortalCase> = fc.record({
  link: fc.oneof({ weight: 8, arbitrary: fc.constant<LinkChoice>('real') }, { weight: 1, arbitrary: fc.constantFrom<LinkChoice>('guessed', 'malformed') }),
  malformedToken: fc.constantFrom('short', '%00', '..%2F..%2Fapi%2Fv1%2Fsettings', 'A'.repeat(2000), '%E0%A4%A', 'tok en', '<script>'),
  method: fc.oneof({ weight: 9, arbitrary: fc.constant<'POST'>('POST') }, { weight: 1, arbitrary: fc.constant<'GET'>('GET') }),
  fields: fieldsArbitrary,
  file: fileArbitrary,
  framing: fc.oneof(
    { weight: 12, arbitrary: fc.constant<PortalCase['framing']>('multipart') },
    { weight: 2, arbitrary: fc.constantFrom<PortalCase['framing']>('cut short', 'cut short near the end') },
    { weight: 1, arbitrary: fc.constantFrom<PortalCase['framing']>('urlencoded', 'no content type', 'garbage') },
  ),
  cut: fc.nat(),
  garbage: fc.uint8Array({ maxLength: 400 }),
});

function describeCase(c: PortalCase): string {
  const file = c.file === null ? 'no file' : `file ${JSON.stringify(c.file.name)} named ${JSON.stringify(c.file.filename)} (${c.file.content.length} B)`;
  return `${c.method} ${c.link} link, ${c.framing}, ${c.fields.length} fields (${JSON.stringify(c.fields.slice(0, 16)).slice(0, 600)}), ${file}`;
}

/** The body and its Content-Type, as the case frames it. */
function bodyOf(c: PortalCase): { body: Buffer; contentType: string | null } {
  const boundary = `----portalfuzz${randomBytes(8).toString('hex')}`;
  const parts: Part[] = c.fields.map(([name, value]) => ({ name, filename: null, type: null, content: Buffer.from(value) }));
  if (c.file !== null) parts.push(c.file);
  const multipart = encodeMultipart(parts, boundary);
  switch (c.framing) {
    case 'multipart':
      return { body: multipart, contentType: `multipart/form-data; boundary=${boundary}` };
    case 'cut short':
      // Anywhere: inside a part's headers, inside a field, inside the file.
      return { body: multipart.subarray(0, c.cut % Math.max(1, multipart.length)), contentType: `multipart/form-data; boundary=${boundary}` };
    case 'cut short near the end':
      // Inside the file part (it comes last) or its closing boundary: a client that hung up mid-upload.
      return { body: multipart.subarray(0, Math.max(0, multipart.length - 1 - (c.cut % Math.min(multipart.length, 400)))), contentType: `multipart/form-data; boundary=${boundary}` };
    case 'urlencoded':
      return { body: Buffer.from(new URLSearchParams(c.fields.map(([n, v]): [string, string] => [n, v])).toString()), contentType: 'application/x-www-form-urlencoded' };
    case 'no content type':
      return { body: multipart, contentType: null };
    case 'garbage':
      return { body: Buffer.from(c.garbage), contentType: `multipart/form-data; boundary=${boundary}` };
  }
}

describe('fuzzing the customer portal', () => {
  let service: TestService;
  let api: ApiClient;
  let customers = 0;
  let current: { id: string; path: string } | null = null;
  const stripe = new FakeStripe();
  const figures = { cases: 0, statuses: {} as Record<string, number>, accepted: 0, requestsUsed: 0 };

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock, config: testConfig({ PORTAL_SUBMIT_LIMIT: '1000000', PORTAL_REQUEST_LIMIT: '1000000' }) });
    api = new ApiClient(service.url ?? '', merchant);
  });

  afterAll(async () => {
    await writeFigures('fuzz-portal', figures);
    await service.dispose();
  });

  /** The link of a request waiting for its customer; a new request (and customer) once one is answered. */
  async function realLink(): Promise<{ id: string; path: string }> {
    if (current !== null) return current;
    customers += 1;
    const customerId = `cus_PortalFuzz${customers}`;
    stripe.addCustomer(merchant, { id: customerId, name: `Portal Fuzz ${customers}`, email: `fuzz${customers}@customer.example`, address: texas });
    const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId, jurisdictions: ['US-TX'] });
    if (created.status !== 201) throw new Error(`could not create a request: ${created.status}`);
    const email = await eventually(() => service.db.collection(EMAILS).findOne({ _id: `request:${created.body.id}:1` as never }), (doc) => doc !== null);
    const path = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(String(email?.text ?? ''))?.[0];
    if (path === undefined) throw new Error('no portal link in the request email');
    figures.requestsUsed += 1;
    current = { id: created.body.id, path };
    return current;
  }

  it(`answers ${CASES} hostile submissions without a 5xx, always as an escaped page under the portal's CSP`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const real = await realLink();
        const path = c.link === 'real' ? real.path : c.link === 'guessed' ? `/portal/r/${randomBytes(32).toString('base64url')}` : `/portal/r/${c.malformedToken}`;
        const { body, contentType } = bodyOf(c);
        const response = await fetch(new URL(path, service.url ?? ''), {
          method: c.method,
          headers: contentType === null ? {} : { 'Content-Type': contentType },
          ...(c.method === 'POST' ? { body: new Uint8Array(body) } : {}),
        });
        const text = await response.text();
        figures.cases += 1;
        figures.statuses[response.status] = (figures.statuses[response.status] ?? 0) + 1;
        const problems: string[] = [];
        if (response.status >= 500) problems.push(`answered ${response.status}`);
        if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) problems.push(`answered ${response.headers.get('content-type')}, not a page`);
        if (!(response.headers.get('content-security-policy') ?? '').includes("default-src 'none'")) problems.push('answered without the portal’s CSP');
        // What was typed comes back only escaped: no element or attribute can be injected.
        if (/<script|<img|<svg/i.test(text)) problems.push('reflected markup unescaped');
        for (const [, value] of c.fields) if (value.length >= 6 && /[<"]/.test(value) && text.includes(value)) problems.push(`reflected ${JSON.stringify(value)} unescaped`);
        if (response.status === 200 && c.method === 'POST') {
          // Accepted: only through the real link, with a file, and the request is now submitted.
          if (c.link !== 'real') problems.push('accepted a submission through a link nobody was sent');
          const view = await api.get<{ status: string }>(`/api/v1/certificate-requests/${real.id}`);
          if (view.body.status !== 'submitted') problems.push(`answered 200 but the request is ${view.body.status}`);
          figures.accepted += 1;
          current = null;
        }
        if (problems.length > 0) throw new Error(`${problems.join('; ')} for ${describeCase(c)}: ${text.slice(0, 400)}`);
      }),
      { numRuns: CASES },
    );
    expect(figures.cases).toBe(CASES);
    // Enough of the cases got all the way through to a stored submission to have tested that path too.
    expect(figures.accepted).toBeGreaterThan(0);
  }, 600_000);

  // Every 5xx the fuzzing found, kept as a fixed case so it stays fixed whatever the random seed.
  it.each([
    ['a token that is not valid percent-encoding', '/portal/r/%E0%A4%A', Buffer.from(''), 404],
    ['a form cut off inside its file part (it used to stop the process)', '/portal/r/' + 'A'.repeat(43), Buffer.from('--x\r\nContent-Disposition: form-data; name="certificateFile"; filename="a.pdf"\r\n\r\n%PDF-1.4'), 404],
  ])('found once: %s gets the page for an unusable link', async (_name, path, body, status) => {
    const response = await fetch(new URL(path, service.url ?? ''), { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: new Uint8Array(body) });
    expect(response.status).toBe(status);
    expect(await response.text()).toContain('This link cannot be used');
  });

  it('is still up afterwards', async () => {
    expect((await fetch(new URL('/readyz', service.url ?? ''))).status).toBe(200);
  });
});
