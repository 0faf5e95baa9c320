/**
 * Hostile input at the doors the fuzzing does not cover: the upload attack corpus through every
 * way a file comes in (the portal, the operators' upload, a Stripe File), signature attacks on
 * every signed route and on the webhook, and guessing portal tokens.
 *
 * Figures (corpus size and outcomes, attacks tried) go to test/artifacts/hostile-input/ for SECURITY.md.
 */
import { randomBytes } from 'node:crypto';
import type { CertificateFileContentType, PdfActiveContentKind } from '@exemptions/shared';
import type { Clock } from '../../worker/src/clock.js';
import { REQUEST_CLAIMS } from '../../worker/src/requests/requestRepository.js';
import { CERTIFICATE_FILES_BUCKET } from '../../worker/src/files/fileStore.js';
import { JOBS_COLLECTION } from '../../worker/src/jobs/scheduler.js';
import { apiOperations, type ApiOperation } from '../../worker/src/http/openapi.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signCall, type CallerIdentity } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from '../support/api.js';
import { snapshotDatabase, snapshotDifferences } from '../support/databaseSnapshot.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { writeFigures } from '../support/figures.js';
import { encodeMultipart, sendSigned, type RawAnswer, type RawCall } from '../support/hostileRequests.js';
import { getPortalPage, samplePdf, texasAnswer } from '../support/portal.js';
import { sampleCall } from '../support/sampleCalls.js';
import { startSeededService, type SeededTenant } from '../support/seedTenant.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { signatureFor, stripeEvent, TEST_WEBHOOK_SECRET } from '../support/stripeEvents.js';
import { servableTypes, unsafeNameProblem, uploadCorpus, type CorpusExpectation, type CorpusFile } from '../support/uploadCorpus.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 10)) };
const merchant: Tenant = { accountId: 'acct_1Hostile00000001', livemode: false };
const texas = { country: 'US', state: 'TX', postalCode: '78701', city: 'Austin', line1: '1 Congress Ave' };

interface StoredFileView {
  id: string;
  filename: string;
  contentType: CertificateFileContentType;
  size: number;
  activeContent?: PdfActiveContentKind[];
}

type UploadPath = 'portal' | 'operators’ upload' | 'Stripe File';

/** What became of each corpus file on each path: for the figures. */
const outcomes: Array<{ file: string; category: string; path: UploadPath; status: number; result: string }> = [];

function jsonOf<T>(answer: RawAnswer): T {
  return JSON.parse(answer.text) as T;
}

/**
 * A download must be the stored bytes as an attachment of the stored type, which is only ever
 * a PDF, PNG or JPEG, with sniffing off and a sandboxing CSP: nothing a browser would run.
 */
async function expectServedSafely(response: Response, file: StoredFileView, bytes: Buffer): Promise<void> {
  const headers = {
    status: response.status,
    type: response.headers.get('content-type'),
    disposition: response.headers.get('content-disposition') ?? '',
    nosniff: response.headers.get('x-content-type-options'),
    csp: response.headers.get('content-security-policy') ?? '',
  };
  expect(headers).toEqual({
    status: 200,
    type: file.contentType,
    disposition: expect.stringMatching(/^attachment; filename/),
    nosniff: 'nosniff',
    csp: expect.stringMatching(/^default-src 'none'; sandbox/),
  });
  expect(servableTypes).toContain(headers.type);
  expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
}

/** What must become of the file on a path: multipart paths may have their own expectation. */
function expectationOn(corpusFile: CorpusFile, multipart: boolean): CorpusExpectation {
  return multipart ? (corpusFile.expectInMultipart ?? corpusFile.expect) : corpusFile.expect;
}

function expectStoredAsExpected(corpusFile: CorpusFile, expectation: CorpusExpectation, stored: StoredFileView): void {
  if (expectation.outcome !== 'stored') throw new Error('not a stored case');
  expect({ contentType: stored.contentType, size: stored.size, activeContent: stored.activeContent }).toEqual({
    contentType: expectation.contentType,
    size: corpusFile.bytes.length,
    activeContent: expectation.activeContent,
  });
  expect({ name: stored.filename, problem: unsafeNameProblem(stored.filename, stored.contentType) }).toEqual({ name: stored.filename, problem: null });
}

function expectRefusedAsExpected(expectation: CorpusExpectation, status: number): void {
  if (expectation.outcome !== 'refused') throw new Error('not a refused case');
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  if (expectation.status !== undefined) expect(status).toBe(expectation.status);
}

describe('hostile input', () => {
  let service: TestService;
  let seeded: SeededTenant;
  let api: ApiClient;
  const stripe = new FakeStripe();
  const url = (): string => service.url ?? '';

  beforeAll(async () => {
    const started = await startSeededService(
      { stripe, clock, config: testConfig({ PORTAL_SUBMIT_LIMIT: '100000', PORTAL_REQUEST_LIMIT: '100000', PUBLIC_URL: 'https://certificates.example.test' }) },
      [{ tenant: merchant, tag: 'Hostile' }],
    );
    service = started.service;
    seeded = started.seeded[0] as SeededTenant;
    api = new ApiClient(url(), merchant);
  }, 120_000);

  afterAll(async () => {
    const byPath = (path: UploadPath) => ({
      refused: outcomes.filter((o) => o.path === path && o.result === 'refused').length,
      stored: outcomes.filter((o) => o.path === path && o.result.startsWith('stored')).length,
      flagged: outcomes.filter((o) => o.path === path && o.result.startsWith('stored, flagged')).length,
    });
    await writeFigures('upload-corpus', {
      files: uploadCorpus.length,
      byCategory: Object.fromEntries([...new Set(uploadCorpus.map((f) => f.category))].map((c) => [c, uploadCorpus.filter((f) => f.category === c).length])),
      paths: { portal: byPath('portal'), operatorsUpload: byPath('operators’ upload'), stripeFile: byPath('Stripe File') },
      outcomes,
    });
    await service.dispose();
  });

  // -------------------------------------------------------------------------------------
  describe('the upload attack corpus', () => {
    const cases = uploadCorpus.map((file) => [`${file.category}: ${file.label}`, file] as const);
    let customers = 0;

    async function newCertificate(): Promise<string> {
      const created = await api.post<{ id: string }>('/api/v1/certificates', {
        customerId: seeded.customerIds[0],
        reason: 'resale',
        form: 'single_state',
        purchase: { type: 'blanket' },
        jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: null }],
      });
      expect(created.status).toBe(201);
      return created.body.id;
    }

    async function storedCopies(ownerId: string): Promise<number> {
      return service.db.collection(`${CERTIFICATE_FILES_BUCKET}.files`).countDocuments({ 'metadata.certificateId': ownerId });
    }

    /** After a refusal: the certificate is as it was, and no copy was kept. */
    async function expectCertificateUntouched(certificateId: string): Promise<void> {
      const after = await api.get<{ version: number; files: unknown[] }>(`/api/v1/certificates/${certificateId}`);
      expect({ version: after.body.version, files: after.body.files.length, copies: await storedCopies(certificateId) }).toEqual({ version: 1, files: 0, copies: 0 });
    }

    /** Checks a stored file's record and both ways it is served back: the signed download and an unsigned link. */
    async function expectStoredAndServedSafely(corpusFile: CorpusFile, expectation: CorpusExpectation, certificateId: string, stored: StoredFileView): Promise<void> {
      expectStoredAsExpected(corpusFile, expectation, stored);
      const signed = await fetch(new URL(`/api/v1/certificates/${certificateId}/files/${stored.id}`, url()), {
        headers: signCall({ method: 'GET', target: `/api/v1/certificates/${certificateId}/files/${stored.id}` }, api.identity),
      });
      await expectServedSafely(signed, stored, corpusFile.bytes);
      const link = await api.post<{ url: string }>(`/api/v1/certificates/${certificateId}/files/${stored.id}/link`);
      expect(link.status).toBe(201);
      const opened = await fetch(new URL(new URL(link.body.url).pathname, url()));
      expect({ referrer: opened.headers.get('referrer-policy'), csp: opened.headers.get('content-security-policy') }).toEqual({
        referrer: 'no-referrer',
        csp: expect.stringContaining("frame-ancestors 'none'"),
      });
      await expectServedSafely(opened, stored, corpusFile.bytes);
    }

    function record(file: CorpusFile, path: UploadPath, status: number, stored?: StoredFileView): void {
      const result = stored === undefined ? 'refused' : stored.activeContent === undefined ? `stored as ${stored.contentType}` : `stored, flagged ${stored.activeContent.join(', ')}`;
      outcomes.push({ file: file.label, category: file.category, path, status, result });
    }

    it.each(cases)('the operators’ upload: %s', async (_label, corpusFile) => {
      const certificateId = await newCertificate();
      const boundary = `----corpus${randomBytes(12).toString('hex')}`;
      const body = encodeMultipart([{ name: 'file', filename: corpusFile.filename, type: corpusFile.declaredType, content: corpusFile.bytes }], boundary);
      const answer = await sendSigned(
        url(),
        { method: 'POST', target: `/api/v1/certificates/${certificateId}/files/upload`, body, contentType: `multipart/form-data; boundary=${boundary}` },
        api.identity,
      );
      const expectation = expectationOn(corpusFile, true);
      if (expectation.outcome === 'refused') {
        expectRefusedAsExpected(expectation, answer.status);
        await expectCertificateUntouched(certificateId);
        record(corpusFile, 'operators’ upload', answer.status);
        return;
      }
      expect({ status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({ status: 201 });
      const { file } = jsonOf<{ file: StoredFileView }>(answer);
      await expectStoredAndServedSafely(corpusFile, expectation, certificateId, file);
      record(corpusFile, 'operators’ upload', answer.status, file);
    });

    it.each(cases)('a Stripe File: %s', async (_label, corpusFile) => {
      const certificateId = await newCertificate();
      const stripeFileId = `file_Corpus${randomBytes(6).toString('hex')}`;
      stripe.addFile(merchant, { id: stripeFileId, filename: corpusFile.filename, bytes: corpusFile.bytes });
      const answer = await sendSigned(
        url(),
        { method: 'POST', target: `/api/v1/certificates/${certificateId}/files`, body: Buffer.from(JSON.stringify({ stripeFileId })), contentType: 'application/json' },
        api.identity,
      );
      const expectation = expectationOn(corpusFile, false);
      if (expectation.outcome === 'refused') {
        expectRefusedAsExpected(expectation, answer.status);
        await expectCertificateUntouched(certificateId);
        record(corpusFile, 'Stripe File', answer.status);
        return;
      }
      expect({ status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({ status: 201 });
      const { file } = jsonOf<{ file: StoredFileView }>(answer);
      await expectStoredAndServedSafely(corpusFile, expectation, certificateId, file);
      record(corpusFile, 'Stripe File', answer.status, file);
    });

    /** A request waiting on a customer of its own (one open request per customer), and the path of its link. */
    async function openRequest(): Promise<{ id: string; path: string }> {
      customers += 1;
      const customerId = `cus_Corpus${customers}`;
      stripe.addCustomer(merchant, { id: customerId, name: `Corpus ${customers}`, email: `corpus${customers}@customer.example`, address: texas });
      const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId, jurisdictions: ['US-TX'] });
      expect(created.status).toBe(201);
      const email = await eventually(() => service.db.collection(EMAILS).findOne({ _id: `request:${created.body.id}:1` as never }), (doc) => doc !== null);
      const path = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(String(email?.text ?? ''))?.[0];
      if (path === undefined) throw new Error('no portal link in the request email');
      return { id: created.body.id, path };
    }

    /** The customer's form as a client posts it, the file part written as the attacker wrote it. */
    async function postForm(path: string, corpusFile: CorpusFile): Promise<{ status: number; text: string }> {
      const boundary = `----corpus${randomBytes(12).toString('hex')}`;
      const fields = Object.entries(texasAnswer()).map(([name, value]) => ({ name, filename: null, type: null, content: Buffer.from(value) }));
      const body = encodeMultipart([...fields, { name: 'certificateFile', filename: corpusFile.filename, type: corpusFile.declaredType, content: corpusFile.bytes }], boundary);
      const response = await fetch(new URL(path, url()), { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: new Uint8Array(body) });
      return { status: response.status, text: await response.text() };
    }

    it.each(cases)('the portal: %s', async (_label, corpusFile) => {
      const request = await openRequest();
      const answer = await postForm(request.path, corpusFile);
      expect(answer.text).not.toContain('<script');
      const expectation = expectationOn(corpusFile, true);
      if (expectation.outcome === 'refused') {
        expectRefusedAsExpected(expectation, answer.status);
        // Nothing kept, the link still works, the request still waits.
        expect({ claims: await service.db.collection(REQUEST_CLAIMS).countDocuments({ requestId: request.id }), copies: await storedCopies(request.id) }).toEqual({ claims: 0, copies: 0 });
        expect((await getPortalPage(url(), `https://portal.invalid${request.path}`)).status).toBe(200);
        record(corpusFile, 'portal', answer.status);
        return;
      }
      expect({ status: answer.status, text: answer.text.slice(0, 300) }).toMatchObject({ status: 200 });
      const view = await api.get<{ submission: { file: StoredFileView; activeContent: PdfActiveContentKind[] } }>(`/api/v1/certificate-requests/${request.id}`);
      const { file, activeContent } = view.body.submission;
      const stored: StoredFileView = { ...file, ...(activeContent.length === 0 ? {} : { activeContent }) };
      expectStoredAsExpected(corpusFile, expectation, stored);
      const download = await fetch(new URL(`/api/v1/certificate-requests/${request.id}/file`, url()), {
        headers: signCall({ method: 'GET', target: `/api/v1/certificate-requests/${request.id}/file` }, api.identity),
      });
      await expectServedSafely(download, stored, corpusFile.bytes);
      record(corpusFile, 'portal', answer.status, stored);

      if (corpusFile.category === 'active content') {
        // Approving copies the file onto the certificate; the copy carries the flag too.
        const approved = await api.post<{ certificate: { id: string; files: StoredFileView[] } }>(`/api/v1/certificate-requests/${request.id}/approve`, {});
        expect(approved.status).toBe(200);
        expect(approved.body.certificate.files.map((f) => f.activeContent)).toEqual([expectation.activeContent]);
      }
    });
  });

  // -------------------------------------------------------------------------------------
  describe('signature attacks on every signed route', () => {
    const signed = apiOperations.filter((operation) => operation.public !== true);
    const attacks: Record<string, number> = {};
    let before: Awaited<ReturnType<typeof snapshotDatabase>>;
    let stripeCalls: number;

    beforeAll(async () => {
      before = await snapshotDatabase(service.db, { skipCollections: [JOBS_COLLECTION] });
      stripeCalls = stripe.calls.length;
    });

    afterAll(async () => {
      await writeFigures('signature-attacks', { routes: signed.length, attacksPerKind: attacks, total: Object.values(attacks).reduce((a, b) => a + b, 0) });
    });

    /** Sends `call` with `headers` as they are, and expects the signature check to refuse it. */
    async function expectRefused(kind: string, operation: ApiOperation, call: RawCall, headers: Record<string, string>): Promise<void> {
      const hasBody = call.body !== undefined && call.method !== 'GET';
      const response = await fetch(new URL(call.target, url()), { method: call.method, headers, ...(hasBody ? { body: new Uint8Array(call.body ?? Buffer.alloc(0)) } : {}) });
      const text = await response.text();
      attacks[kind] = (attacks[kind] ?? 0) + 1;
      expect({ kind, route: `${operation.method.toUpperCase()} ${operation.path}`, status: response.status }).toEqual({ kind, route: `${operation.method.toUpperCase()} ${operation.path}`, status: 401 });
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(/signature|Signature/);
    }

    function sign(call: RawCall, identity: CallerIdentity, timestamp?: number): Record<string, string> {
      return signCall({ method: call.method, target: call.target, ...(call.body === undefined ? {} : { body: call.body }), ...(call.contentType === undefined ? {} : { contentType: call.contentType }), ...(timestamp === undefined ? {} : { timestamp }) }, identity);
    }

    const now = (): number => Math.floor(Date.now() / 1000);

    it.each(signed.map((operation, index) => [`${operation.method.toUpperCase()} ${operation.path}`, operation, index] as const))('%s refuses every forged or replayed signature with 401', async (_name, operation, index) => {
      const call = sampleCall(operation, seeded);
      const identity = api.identity;
      const other = signed[(index + 1) % signed.length] as ApiOperation;
      const otherCall = sampleCall(other, seeded);

      await expectRefused('timestamp older than 300 s', operation, call, sign(call, identity, now() - 301));
      await expectRefused('timestamp more than 300 s ahead', operation, call, sign(call, identity, now() + 330)); // a margin: the request is checked a moment after it is signed
      // A captured signed call, replayed with its headers and body on another route (and method).
      await expectRefused('replayed on another route', operation, { ...otherCall, ...(call.body === undefined ? {} : { body: call.body }) }, sign(call, identity));
      await expectRefused('replayed with another query', operation, { ...call, target: `${call.target}${call.target.includes('?') ? '&' : '?'}limit=1` }, sign(call, identity));
      if (call.body !== undefined) await expectRefused('replayed with another body', operation, { ...call, body: Buffer.concat([call.body, Buffer.from(' ')]) }, sign(call, identity));
      await expectRefused('another account’s header', operation, call, { ...sign(call, identity), 'X-Stripe-Account-Id': 'acct_1Attacker0000001' });
      await expectRefused('another user’s header', operation, call, { ...sign(call, identity), 'X-Stripe-User-Id': 'usr_attacker000001' });
      await expectRefused('test-mode signature used on live data', operation, call, { ...sign(call, identity), 'X-Stripe-Livemode': 'true' });
      await expectRefused('live signature used on test data', operation, call, { ...sign(call, { ...identity, livemode: true }), 'X-Stripe-Livemode': 'false' });
      await expectRefused('signed with a secret the worker does not hold', operation, call, sign(call, { ...identity, secret: 'absec_test_another_app_or_dev_secret', livemode: true }));
      await expectRefused('forged HMAC', operation, call, { ...sign(call, identity), 'Stripe-Signature': `t=${now()},v1=${randomBytes(32).toString('hex')}` });
      await expectRefused('no v1 signature', operation, call, { ...sign(call, identity), 'Stripe-Signature': `t=${now()},v0=${randomBytes(32).toString('hex')}` });
    });

    it('changed nothing and asked nothing of Stripe', async () => {
      expect(Object.values(attacks).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(signed.length * 11);
      expect(snapshotDifferences(before, await snapshotDatabase(service.db, { skipCollections: [JOBS_COLLECTION] }))).toEqual([]);
      expect(stripe.calls.slice(stripeCalls)).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------
  describe('webhook signature attacks', () => {
    // The endpoint holds the live endpoint's secret only (TEST_WEBHOOK_SECRET, as configured).
    const liveEvent = () => stripeEvent('customer.updated', { id: seeded.customerIds[0] ?? '' }, { ...merchant, livemode: true });
    const post = (body: string, signature: string) =>
      fetch(new URL('/webhooks/stripe', url()), { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature }, body });
    const stored = (id: string) => service.db.collection('stripe_events').countDocuments({ _id: id as never });
    const refusals: Record<string, number> = {};

    afterAll(() => writeFigures('webhook-signature-attacks', refusals));

    it.each([
      ['signed with a forged secret', (body: string) => signatureFor(body, 'whsec_attacker_000000000000000000')],
      ['signed with the test-mode endpoint’s secret, for a live event', (body: string) => signatureFor(body, 'whsec_testmode_endpoint_0000000000')],
      ['signed 301 s ago', (body: string) => signatureFor(body, TEST_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301)],
      ['a forged HMAC', () => `t=${Math.floor(Date.now() / 1000)},v1=${randomBytes(32).toString('hex')}`],
      ['a signature without a v1 scheme', () => `t=${Math.floor(Date.now() / 1000)}`],
      ['no signature', () => ''],
    ])('refuses an event %s with 400, storing nothing', async (kind, signer) => {
      const event = liveEvent();
      const response = await post(event.body, signer(event.body));
      refusals[kind] = response.status;
      expect(response.status).toBe(400);
      expect(await stored(event.id)).toBe(0);
    });

    it('refuses a captured signature replayed on another event, storing nothing', async () => {
      const captured = liveEvent();
      const forged = liveEvent();
      const response = await post(forged.body, signatureFor(captured.body));
      refusals['a captured signature on another body'] = response.status;
      expect(response.status).toBe(400);
      expect(await stored(forged.id)).toBe(0);
    });

    it('accepts the same event signed with the endpoint’s secret (so the refusals above are the signature’s doing)', async () => {
      const event = liveEvent();
      expect((await post(event.body, signatureFor(event.body))).status).toBe(200);
      expect(await stored(event.id)).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------
describe('guessing portal tokens', () => {
  const REQUEST_LIMIT = 40;
  const SUBMIT_LIMIT = 5;
  const tenant: Tenant = { accountId: 'acct_1Guessing0000001', livemode: false };
  const stripe = new FakeStripe().addCustomer(tenant, { id: 'cus_Guessed', name: 'Guessed Co', email: 'tax@guessed.example', address: texas });
  let service: TestService;
  let realPath: string;

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock, config: testConfig({ PORTAL_REQUEST_LIMIT: String(REQUEST_LIMIT), PORTAL_SUBMIT_LIMIT: String(SUBMIT_LIMIT) }) });
    const created = await new ApiClient(service.url ?? '', tenant).post<{ id: string }>('/api/v1/certificate-requests', { customerId: 'cus_Guessed' });
    expect(created.status).toBe(201);
    const email = await eventually(() => service.db.collection(EMAILS).findOne({ _id: `request:${created.body.id}:1` as never }), (doc) => doc !== null);
    realPath = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(String(email?.text ?? ''))?.[0] ?? '';
    expect(realPath).not.toBe('');
  });
  afterAll(() => service.dispose());

  const guess = (): string => `/portal/r/${randomBytes(32).toString('base64url')}`;

  it('turns away guessed submissions with 429 after the submission limit, and every guess before it failed alike', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries(texasAnswer())) form.append(name, value);
    form.append('certificateFile', new Blob([new Uint8Array(samplePdf())], { type: 'application/pdf' }), 'certificate.pdf');
    const statuses: number[] = [];
    const pages = new Set<string>();
    for (let attempt = 0; attempt < SUBMIT_LIMIT + 3; attempt += 1) {
      const response = await fetch(new URL(guess(), service.url ?? ''), { method: 'POST', body: form });
      statuses.push(response.status);
      if (response.status === 404) pages.add(await response.text());
    }
    expect(statuses).toEqual([...Array<number>(SUBMIT_LIMIT).fill(404), 429, 429, 429]);
    expect(pages.size).toBe(1);
    await writeFigures('portal-brute-force-submissions', { limit: SUBMIT_LIMIT, attempts: statuses.length, refusedWith429: statuses.filter((s) => s === 429).length });
  });

  it('turns away guessed links with 429 after the request limit, a right guess included, with the limit in the headers', async () => {
    const statuses: number[] = [];
    const pages = new Set<string>();
    let limited: Response | undefined;
    for (let attempt = 0; attempt < REQUEST_LIMIT + 5 && limited === undefined; attempt += 1) {
      const response = await fetch(new URL(guess(), service.url ?? ''));
      statuses.push(response.status);
      if (response.status === 404) pages.add(await response.text());
      if (response.status === 429) limited = response;
    }
    // The submissions above counted too: every request to the portal does.
    const guessesBeforeLimit = REQUEST_LIMIT - (SUBMIT_LIMIT + 3);
    expect(statuses).toEqual([...Array<number>(guessesBeforeLimit).fill(404), 429]);
    expect(pages.size).toBe(1);
    expect(limited?.headers.get('ratelimit-policy') ?? limited?.headers.get('ratelimit')).toBeTruthy();
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    // A guess that happens to be right gets no further once the address is limited.
    expect((await fetch(new URL(realPath, service.url ?? ''))).status).toBe(429);
    await writeFigures('portal-brute-force-links', { limit: REQUEST_LIMIT, guessesAnswered404: guessesBeforeLimit, firstRefusedAttempt: statuses.length });
  });
});
