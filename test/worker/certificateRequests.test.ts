/**
 * Certificate requests end to end: the merchant API, the emails (received by a real SMTP
 * server and parsed), the public portal (over HTTP as a browser posts it), the review queue,
 * and what hostile input gets. The browser itself is in portalBrowser.test.ts.
 */
import { createHash } from 'node:crypto';
import { certificateLimits } from '@exemptions/shared';
import type { Clock } from '../../worker/src/clock.js';
import { CERTIFICATE_FILES_BUCKET } from '../../worker/src/files/fileStore.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import { CERTIFICATE_REQUESTS, REQUEST_CLAIMS, REQUEST_TOKENS } from '../../worker/src/requests/requestRepository.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { getPortalPage, onService, postPortalForm, samplePdf, texasAnswer } from '../support/portal.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { linkIn, TestSmtpServer, type ReceivedEmail } from '../support/smtp.js';

const merchant: Tenant = { accountId: 'acct_1Requests0000001', livemode: false };
const PUBLIC_URL = 'https://certificates.example.test';
const SCRIPT = '<script>alert("x")</script>';

let now = new Date('2026-05-12T15:00:00Z');
const clock: Clock = { now: () => now };

interface RequestBody {
  id: string;
  status: string;
  email: string;
  jurisdictions: string[];
  sendCount: number;
  expiresAt: string;
  submission: null | { signerName: string; activeContent: string[]; file: { id: string; sha256: string } };
  review: null | { decision: string; reason: string | null; certificateId: string | null; resubmissionRequestId: string | null };
}

interface CertificateBody {
  id: string;
  source: string;
  number: string | null;
  version: number;
  archivedAt: string | null;
  archivedReason: string | null;
  notes: string;
  files: Array<{ id: string; sha256: string }>;
  jurisdictions: Array<{ code: string; expirationDate: string | null }>;
}

interface ErrorBody {
  error: { message: string; details?: Array<{ field: string; message: string }> };
}

const texas = { country: 'US', state: 'TX' };

describe('certificate requests, the portal and the review queue', () => {
  let smtp: TestSmtpServer;
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Acme', name: `Acme ${SCRIPT} Supply`, email: 'buyer@acme.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Active', name: 'Active Co', email: 'tax@active.example', address: texas })
    .addCustomer(merchant, { id: 'cus_NoEmail', name: 'Quiet Co', email: null, address: texas })
    .addCustomer(merchant, { id: 'cus_Renew', name: 'Renew Co', email: 'tax@renew.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Reject', name: 'Retry Co', email: 'tax@retry.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Cancel', name: 'Cancel Co', email: 'tax@cancel.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Expire', name: 'Late Co', email: 'tax@late.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Retry', name: 'Flaky Co', email: 'tax@flaky.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Hostile', name: 'Hostile Co', email: 'tax@hostile.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Form', name: 'Form Co', email: 'tax@form.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Files', name: 'Files Co', email: 'tax@files.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Submit', name: `Submit ${SCRIPT} Co`, email: 'tax@submit.example', address: texas })
    .addCustomer(merchant, { id: 'cus_Race', name: 'Race Co', email: 'tax@race.example', address: texas });

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    service = await startTestService({
      stripe,
      clock,
      config: testConfig({ SMTP_URL: smtp.url, PUBLIC_URL, MAIL_FROM: 'Certificates <certificates@merchant.example>', PORTAL_SUBMIT_LIMIT: '1000', PORTAL_REQUEST_LIMIT: '1000' }),
    });
    api = new ApiClient(service.url ?? '', merchant);
    const settings = await api.patch('/api/v1/settings', { businessName: `Widgets ${SCRIPT} Co`, merchantNotificationEmail: 'ap@merchant.example', timeZone: 'America/Chicago' });
    expect(settings.status).toBe(200);
  });
  afterAll(async () => {
    await service.dispose();
    await smtp.stop();
  });

  const url = (): string => service.url ?? '';

  const used = new Set<ReceivedEmail>();

  /** Creates a request through the API and returns it with the email the customer received. */
  async function requestFor(customerId: string, extra: Record<string, unknown> = {}): Promise<{ request: RequestBody; email: ReceivedEmail; link: string }> {
    const created = await api.post<RequestBody>('/api/v1/certificate-requests', { customerId, ...extra });
    expect({ status: created.status, body: created.body }).toMatchObject({ status: 201 });
    const email = await smtp.waitFor((e) => e.template === 'request' && e.to.includes(created.body.email) && !used.has(e));
    used.add(email);
    return { request: created.body, email, link: linkIn(email) };
  }

  /** Waits until the SMTP server has every email the worker queued. */
  async function allEmailsDelivered(): Promise<void> {
    const queued = await eventually(() => collection(EMAILS).countDocuments({ status: 'queued' }), (n) => n === 0, 20_000);
    expect(queued).toBe(0);
  }

  function pdfFile(bytes = samplePdf()): { bytes: Buffer; filename: string; type: string } {
    return { bytes, filename: 'signed-certificate.pdf', type: 'application/pdf' };
  }

  async function texasCertificate(customerId: string, expirationDate: string): Promise<CertificateBody> {
    const created = await api.post<CertificateBody>('/api/v1/certificates', {
      customerId,
      reason: 'resale',
      form: 'single_state',
      number: 'OLD-1',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', effectiveDate: '2024-01-01', expirationDate }],
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  const collection = (name: string) => service.db.collection(name);
  const storedFilesOf = (requestId: string) => collection(`${CERTIFICATE_FILES_BUCKET}.files`).countDocuments({ 'metadata.certificateId': requestId });
  const claimsOf = (requestId: string) => collection(REQUEST_CLAIMS).countDocuments({ requestId });

  it('emails a single-use link built from PUBLIC_URL, keeps only the SHA-256 of its token, and escapes names in the email', async () => {
    const { request, email, link } = await requestFor('cus_Acme', { message: `Thanks! ${SCRIPT}` });
    expect(request).toMatchObject({ status: 'sent', email: 'buyer@acme.example', jurisdictions: ['US-TX'], sendCount: 1 });
    expect(Date.parse(request.expiresAt) - now.getTime()).toBe(30 * 86_400_000);

    expect(link.startsWith(`${PUBLIC_URL}/portal/r/`)).toBe(true);
    const token = link.slice(link.lastIndexOf('/') + 1);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hash = createHash('sha256').update(token).digest('hex');
    const stored = await collection(CERTIFICATE_REQUESTS).findOne({ _id: request.id as never });
    expect(stored?.tokenHash).toBe(hash);
    expect(await collection(REQUEST_TOKENS).findOne({ _id: hash as never })).toMatchObject({ requestId: request.id, accountId: merchant.accountId });
    // The token itself is nowhere in the database, nor in the API's answer.
    for (const name of [CERTIFICATE_REQUESTS, REQUEST_TOKENS, REQUEST_CLAIMS]) {
      expect(JSON.stringify(await collection(name).find({}).toArray())).not.toContain(token);
    }
    expect(JSON.stringify(request)).not.toContain(token);

    expect(email.from).toContain('certificates@merchant.example');
    expect(email.subject).toContain('Widgets');
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('Acme &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Supply');
    expect(email.html).toContain('Thanks! &lt;script&gt;');
    expect(email.text).toContain(link);
    expect(email.html).toContain(link);
  });

  it('refuses (409) a request when the customer’s certificate is active and not expiring soon, saying why, and stores nothing', async () => {
    await texasCertificate('cus_Active', '2028-12-31');
    const refused = await api.post<ErrorBody>('/api/v1/certificate-requests', { customerId: 'cus_Active' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('US-TX (active)');
    // Another jurisdiction is not covered: that request is allowed.
    const california = await api.post<RequestBody>('/api/v1/certificate-requests', { customerId: 'cus_Active', jurisdictions: ['US-CA'] });
    expect(california.status).toBe(201);
    expect(await collection(CERTIFICATE_REQUESTS).countDocuments({ customerId: 'cus_Active' })).toBe(1);
    // One open request per customer: a second is refused until the first is settled.
    const again = await api.post<ErrorBody>('/api/v1/certificate-requests', { customerId: 'cus_Active', jurisdictions: ['US-NY'] });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(california.body.id);
  });

  it('answers bad requests with the field and the reason, and stores nothing', async () => {
    const before = await collection(CERTIFICATE_REQUESTS).countDocuments({});
    const noEmail = await api.post<ErrorBody>('/api/v1/certificate-requests', { customerId: 'cus_NoEmail' });
    expect(noEmail.status).toBe(422);
    expect(noEmail.body.error.details).toEqual([{ field: 'email', message: expect.stringContaining('no email address') }]);
    const unknown = await api.post<ErrorBody>('/api/v1/certificate-requests', { customerId: 'cus_Nobody' });
    expect(unknown.status).toBe(422);
    const bad = await api.post<ErrorBody>('/api/v1/certificate-requests', { customerId: 'cus_Acme', email: 'not-an-email', jurisdictions: ['US-XX'], colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field).sort()).toEqual(['', 'email', 'jurisdictions[0]']);
    expect(await collection(CERTIFICATE_REQUESTS).countDocuments({})).toBe(before);
  });

  it('shows the customer who asks and for what, marks the request opened, and sends a strict CSP and no referrer', async () => {
    const { request, link } = await requestFor('cus_Hostile', { message: `Please ${SCRIPT}` });
    const page = await getPortalPage(url(), link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Widgets &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Co asks for your exemption certificate');
    expect(page.text).toContain('Texas');
    expect(page.text).toContain('Please &lt;script&gt;');
    expect(page.text).not.toContain('<script');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect((await api.get<RequestBody>(`/api/v1/certificate-requests/${request.id}`)).body.status).toBe('opened');
  });

  it('keeps the customer’s entries and names each problem when the form is incomplete, escaping what was typed; nothing is stored', async () => {
    const { request, link } = await requestFor('cus_Form');
    const answer = texasAnswer({ reason: '', signerName: SCRIPT, signerTitle: '', j0_effectiveDate: '', number: `N-${SCRIPT}`.slice(0, 40) });
    const response = await postPortalForm(url(), link, answer, pdfFile());
    expect(response.status).toBe(400);
    expect(response.text).toContain('choose the reason for the exemption');
    expect(response.text).toContain('enter the date the certificate takes effect');
    expect(response.text).toContain('aria-invalid="true"');
    expect(response.text).toContain('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
    expect(response.text).not.toContain('<script');
    expect(response.text).toContain('value="32012345678"');
    expect(await storedFilesOf(request.id)).toBe(0);
    expect(await claimsOf(request.id)).toBe(0);
  });

  it('refuses an oversized file (413) and a file whose content is not a PDF, PNG or JPEG whatever its name (415); nothing is stored and the link still works', async () => {
    const { request, link } = await requestFor('cus_Files');
    const huge = Buffer.alloc(certificateLimits.fileBytes + 1, 0x20);
    samplePdf().copy(huge);
    const tooLarge = await postPortalForm(url(), link, texasAnswer(), pdfFile(huge));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.text).toContain('larger than 10 MB');

    const disguised = Buffer.from(`<!DOCTYPE html><html><body>${SCRIPT}</body></html>`);
    const mislabelled = await postPortalForm(url(), link, texasAnswer(), { bytes: disguised, filename: 'certificate.pdf', type: 'application/pdf' });
    expect(mislabelled.status).toBe(415);
    expect(mislabelled.text).toContain('not a PDF, PNG or JPEG');

    const none = await postPortalForm(url(), link, texasAnswer());
    expect(none.status).toBe(400);
    expect(none.text).toContain('choose the signed certificate file');

    expect(await storedFilesOf(request.id)).toBe(0);
    expect(await claimsOf(request.id)).toBe(0);
    expect((await getPortalPage(url(), link)).status).toBe(200);
  });

  it('answers unknown, malformed, replaced, expired and used links with the same page, which reveals nothing', async () => {
    const unknown = await getPortalPage(url(), `${PUBLIC_URL}/portal/r/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    const malformed = await getPortalPage(url(), `${PUBLIC_URL}/portal/r/short`);

    // Replaced: a re-send voids the first link.
    const first = await requestFor('cus_Expire');
    const resent = await api.post<RequestBody>(`/api/v1/certificate-requests/${first.request.id}/resend`, {});
    expect(resent.body).toMatchObject({ status: 'sent', sendCount: 2 });
    const second = await smtp.waitFor((e) => e.template === 'request' && e.to.includes('tax@late.example') && linkIn(e) !== first.link);
    const replaced = await getPortalPage(url(), first.link);
    const replacedPost = await postPortalForm(url(), first.link, texasAnswer(), pdfFile());

    // Expired: thirty days on, the new link stops working too.
    const saved = now;
    now = new Date(saved.getTime() + 30 * 86_400_000 + 1000);
    const expired = await getPortalPage(url(), linkIn(second));
    const expiredPost = await postPortalForm(url(), linkIn(second), texasAnswer(), pdfFile());
    now = saved;

    for (const response of [malformed, replaced, replacedPost, expired, expiredPost]) {
      expect({ status: response.status, text: response.text }).toEqual({ status: unknown.status, text: unknown.text });
    }
    expect(unknown.text).toContain('This link cannot be used');
    expect(await claimsOf(first.request.id)).toBe(1); // only the re-send's voiding of the first link
  });

  const unusablePage = async (): Promise<{ status: number; text: string }> => {
    const page = await getPortalPage(url(), `${PUBLIC_URL}/portal/r/${'Z'.repeat(43)}`);
    return { status: page.status, text: page.text };
  };

  async function download(target: string): Promise<Buffer> {
    const response = await signedFetch(url(), { method: 'GET', target }, api.identity);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  it('stores a submission once, flags PDF JavaScript for the reviewer, emails the merchant, lists it for review, and refuses the used link', async () => {
    const { request, link } = await requestFor('cus_Submit');
    // The name is spelled with a #-escape, as droppers do to slip past naive scanners.
    const withScript = samplePdf('3 0 obj\n<< /Type /Action /S /J#61vaScript /JS (app.alert\\(1\\)) >>\nendobj\n');
    const sent = await postPortalForm(url(), link, texasAnswer({ signerName: `Eve ${SCRIPT}` }), pdfFile(withScript));
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('Thank you, your certificate was sent');
    expect(sent.text).not.toContain('<script');

    const reused = await postPortalForm(url(), link, texasAnswer(), pdfFile());
    expect({ status: reused.status, text: reused.text }).toEqual(await unusablePage());
    expect(await claimsOf(request.id)).toBe(1);
    expect(await storedFilesOf(request.id)).toBe(1);

    const view = await api.get<RequestBody>(`/api/v1/certificate-requests/${request.id}`);
    expect(view.body).toMatchObject({ status: 'submitted', submission: { signerName: `Eve ${SCRIPT}`, activeContent: ['javascript'] } });
    const queue = await api.get<{ data: RequestBody[] }>('/api/v1/review-queue');
    expect(queue.body.data.map((r) => r.id)).toContain(request.id);
    expect(queue.body.data.every((r) => r.status === 'submitted')).toBe(true);
    expect(await download(`/api/v1/certificate-requests/${request.id}/file`)).toEqual(withScript);

    const notice = await smtp.waitFor((e) => e.template === 'submission_received' && e.text.includes(request.id));
    expect(notice.to).toContain('ap@merchant.example');
    expect(notice.text).toContain('active content (javascript)');
    expect(notice.html).toContain('Eve &lt;script&gt;');
    expect(notice.html).not.toContain('<script');
  });

  it('accepts exactly one of five simultaneous submissions through one link', async () => {
    const { request, link } = await requestFor('cus_Race');
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => postPortalForm(url(), link, texasAnswer({ signerName: `Signer ${n}` }), pdfFile(samplePdf(`% copy ${n}\n`)))),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404, 404, 404, 404]);
    expect(await claimsOf(request.id)).toBe(1);
    const winner = answers.findIndex((a) => a.status === 200) + 1;
    expect((await api.get<RequestBody>(`/api/v1/certificate-requests/${request.id}`)).body.submission?.signerName).toBe(`Signer ${winner}`);
  });

  it('approves with the reviewer’s corrections: creates the certificate with its file, archives the one it renews, re-syncs Stripe and emails the customer', async () => {
    const old = await texasCertificate('cus_Renew', '2026-05-01');
    const { request, link } = await requestFor('cus_Renew', { renewsCertificateId: old.id });
    expect(request.jurisdictions).toEqual(['US-TX']);
    const pdf = samplePdf('% the signed form\n');
    expect((await postPortalForm(url(), link, texasAnswer({ number: 'TX-TYPO' }), pdfFile(pdf))).status).toBe(200);
    expect(stripe.customer(merchant, 'cus_Renew')?.taxExempt).toBe('none');

    const wrong = await api.post<ErrorBody>(`/api/v1/certificate-requests/${request.id}/approve`, {
      jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-05-01', expirationDate: '2026-04-01' }],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details?.map((d) => d.field)).toEqual(['jurisdictions[0].expirationDate']);
    expect((await api.get<RequestBody>(`/api/v1/certificate-requests/${request.id}`)).body.status).toBe('submitted');

    const approved = await api.post<{ request: RequestBody; certificate: CertificateBody }>(`/api/v1/certificate-requests/${request.id}/approve`, {
      details: { reason: 'resale', form: 'single_state', number: 'TX-RESALE-778', purchase: { type: 'blanket' } },
    });
    expect(approved.status).toBe(200);
    const { certificate } = approved.body;
    expect(approved.body.request).toMatchObject({ status: 'approved', review: { decision: 'approved', certificateId: certificate.id } });
    expect(certificate).toMatchObject({ source: 'customer_submission', number: 'TX-RESALE-778', version: 1, jurisdictions: [{ code: 'US-TX', expirationDate: '2030-04-30' }] });
    expect(certificate.notes).toContain('Signed by Ada Lovelace, Purchasing manager');
    expect(certificate.files).toHaveLength(1);
    expect(certificate.files[0]?.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
    expect(await download(`/api/v1/certificates/${certificate.id}/files/${certificate.files[0]?.id ?? ''}`)).toEqual(pdf);

    const renewed = await api.get<CertificateBody & { history: Array<{ action: string; actor: { type: string } }> }>(`/api/v1/certificates/${old.id}`);
    expect(renewed.body.archivedAt).not.toBeNull();
    expect(renewed.body.archivedReason).toContain(certificate.id);
    expect(renewed.body.history.at(-1)).toMatchObject({ action: 'archived', actor: { type: 'user' } });

    const exempt = await eventually(async () => stripe.customer(merchant, 'cus_Renew')?.taxExempt, (value) => value === 'exempt');
    expect(exempt).toBe('exempt');
    const email = await smtp.waitFor((e) => e.template === 'approved' && e.to.includes('tax@renew.example'));
    expect(email.text).toContain('Texas: valid until 2030-04-30');

    // The same decision again is the same approval; the other decision is refused.
    const again = await api.post<{ certificate: CertificateBody }>(`/api/v1/certificate-requests/${request.id}/approve`, {});
    expect(again.status).toBe(200);
    expect(again.body.certificate.id).toBe(certificate.id);
    expect((await api.post(`/api/v1/certificate-requests/${request.id}/reject`, { reason: 'Too late' })).status).toBe(409);
    expect((await api.get<{ data: unknown[] }>('/api/v1/customers/cus_Renew/certificates')).body.data).toHaveLength(2);
    await allEmailsDelivered();
    expect(smtp.matching((e) => e.template === 'approved' && e.to.includes('tax@renew.example'))).toHaveLength(1);
  });

  it('rejects with a reason the customer is emailed with a new link; the old link is dead; the customer sends it again and it is approved', async () => {
    const { request, link } = await requestFor('cus_Reject');
    expect((await postPortalForm(url(), link, texasAnswer(), pdfFile())).status).toBe(200);

    const noReason = await api.post<ErrorBody>(`/api/v1/certificate-requests/${request.id}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details?.[0]?.field).toBe('reason');

    const rejected = await api.post<{ request: RequestBody; resubmission: RequestBody & { origin: string; previousRequestId: string } }>(
      `/api/v1/certificate-requests/${request.id}/reject`,
      { reason: `The form is not signed ${SCRIPT}` },
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.request).toMatchObject({ status: 'rejected', review: { decision: 'rejected', reason: `The form is not signed ${SCRIPT}` } });
    const resubmission = rejected.body.resubmission;
    expect(resubmission).toMatchObject({ status: 'sent', origin: 'resubmission', previousRequestId: request.id, jurisdictions: ['US-TX'] });

    const email = await smtp.waitFor((e) => e.template === 'rejected' && e.to.includes('tax@retry.example'));
    expect(email.text).toContain(`The form is not signed ${SCRIPT}`);
    expect(email.html).toContain('The form is not signed &lt;script&gt;');
    expect(email.html).not.toContain('<script');
    const newLink = linkIn(email);
    expect(newLink).not.toBe(link);
    expect(await getPortalPage(url(), link)).toMatchObject(await unusablePage());

    expect((await postPortalForm(url(), newLink, texasAnswer({ number: 'TX-SIGNED' }), pdfFile(samplePdf('% now signed\n')))).status).toBe(200);
    const queue = await api.get<{ data: RequestBody[] }>('/api/v1/review-queue');
    expect(queue.body.data.map((r) => r.id)).toContain(resubmission.id);
    expect(queue.body.data.map((r) => r.id)).not.toContain(request.id);
    const approved = await api.post<{ certificate: CertificateBody }>(`/api/v1/certificate-requests/${resubmission.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.certificate.number).toBe('TX-SIGNED');
    expect((await api.get<RequestBody>(`/api/v1/certificate-requests/${request.id}`)).body.status).toBe('rejected');
  });

  it('cancels a waiting request, whose link then stops working, and refuses to cancel or re-send a submitted one', async () => {
    const { request, link } = await requestFor('cus_Cancel');
    const cancelled = await api.post<RequestBody>(`/api/v1/certificate-requests/${request.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await api.post<RequestBody>(`/api/v1/certificate-requests/${request.id}/cancel`)).body.status).toBe('cancelled');
    expect(await getPortalPage(url(), link)).toMatchObject(await unusablePage());
    expect(await postPortalForm(url(), link, texasAnswer(), pdfFile())).toMatchObject(await unusablePage());

    const { request: submitted } = await api
      .get<{ data: RequestBody[] }>('/api/v1/certificate-requests?status=submitted')
      .then((r) => ({ request: r.body.data[0] as RequestBody }));
    expect(submitted).toBeDefined();
    const refusedCancel = await api.post<ErrorBody>(`/api/v1/certificate-requests/${submitted.id}/cancel`);
    expect(refusedCancel.status).toBe(409);
    expect(refusedCancel.body.error.message).toContain('a submitted request cannot be cancelled');
    expect((await api.post(`/api/v1/certificate-requests/${submitted.id}/resend`, {})).status).toBe(409);
  });

  it('lists requests by status and customer, keeps every account to itself, and answers a bad query with 400', async () => {
    const sent = await api.get<{ data: RequestBody[]; nextCursor: string | null }>('/api/v1/certificate-requests?status=approved&limit=1');
    expect(sent.status).toBe(200);
    expect(sent.body.data).toHaveLength(1);
    expect(sent.body.nextCursor).not.toBeNull();
    const next = await api.get<{ data: RequestBody[] }>(`/api/v1/certificate-requests?status=approved&limit=1&cursor=${sent.body.nextCursor ?? ''}`);
    expect(next.body.data[0]?.id).not.toBe(sent.body.data[0]?.id);
    const byCustomer = await api.get<{ data: Array<RequestBody & { customer: { id: string } }> }>('/api/v1/certificate-requests?customerId=cus_Reject');
    expect(byCustomer.body.data.map((r) => r.status).sort()).toEqual(['approved', 'rejected']);

    const other = api.as({ accountId: 'acct_1Someone0000002', livemode: false });
    const id = byCustomer.body.data[0]?.id ?? '';
    expect((await other.get(`/api/v1/certificate-requests/${id}`)).status).toBe(404);
    expect((await other.get<{ data: unknown[] }>('/api/v1/certificate-requests')).body.data).toEqual([]);
    expect((await other.post(`/api/v1/certificate-requests/${id}/approve`, {})).status).toBe(404);
    expect((await api.as({ ...merchant, livemode: true }).get(`/api/v1/certificate-requests/${id}`)).status).toBe(404);

    expect((await api.get('/api/v1/certificate-requests?status=lost')).status).toBe(400);
    expect((await api.get('/api/v1/certificate-requests/creq_123')).status).toBe(400);
    // The development outbox is off unless MAIL_OUTBOX_ROUTE says otherwise.
    expect((await fetch(new URL('/dev/outbox', url()))).status).toBe(404);
  });

  it('counts a submission awaiting review as coverage under the include-pending policy, and stops counting it when rejected', async () => {
    const pendingTenant = { accountId: 'acct_1PendingPolicy01', livemode: false };
    const client = api.as(pendingTenant);
    stripe.addCustomer(pendingTenant, { id: 'cus_Pending', name: 'Pending Co', email: 'tax@pending.example', address: texas });
    expect((await client.patch('/api/v1/settings', { syncPolicy: 'include_pending' })).status).toBe(200);
    const created = await client.post<RequestBody>('/api/v1/certificate-requests', { customerId: 'cus_Pending' });
    expect(created.status).toBe(201);
    const email = await smtp.waitFor((e) => e.template === 'request' && e.to.includes('tax@pending.example') && !used.has(e));
    used.add(email);
    expect((await postPortalForm(url(), linkIn(email), texasAnswer(), pdfFile())).status).toBe(200);
    const taxExempt = () => stripe.customer(pendingTenant, 'cus_Pending')?.taxExempt;
    expect(await eventually(async () => taxExempt(), (v) => v === 'exempt')).toBe('exempt');

    expect((await client.post(`/api/v1/certificate-requests/${created.body.id}/reject`, { reason: 'Unsigned' })).status).toBe(200);
    expect(await eventually(async () => taxExempt(), (v) => v === 'none')).toBe('none');
  });

  it('delivers an email once however many send jobs it has at once', async () => {
    await allEmailsDelivered();
    const key = 'reminder:cert_concurrent:2026-06-30:30';
    const email = { key, template: 'reminder' as const, to: 'tax@concurrent.example', subject: 'Reminder', html: '<p>Reminder</p>', text: 'Reminder' };
    expect(await service.context.mailer.send(merchant, email)).toBe(true);
    expect(await service.context.mailer.send(merchant, email)).toBe(false);
    await Promise.all(Array.from({ length: 5 }, () => service.context.mailer.enqueue(merchant, key)));
    await smtp.waitFor((e) => e.to.includes('tax@concurrent.example'), 30_000);
    await allEmailsDelivered();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.matching((e) => e.to.includes('tax@concurrent.example'))).toHaveLength(1);
  });

  it('retries an email the SMTP server turned away, with backoff, and delivers it once', async () => {
    await allEmailsDelivered();
    const attemptsBefore = smtp.attempts;
    smtp.failNext(1);
    const created = await api.post<RequestBody>('/api/v1/certificate-requests', { customerId: 'cus_Retry' });
    expect(created.status).toBe(201);
    await smtp.waitFor((e) => e.to.includes('tax@flaky.example'), 30_000);
    expect(smtp.attempts - attemptsBefore).toBe(2);
    // One failed attempt recorded, then the delivery that cleared it (recorded just after the server took it).
    const stored = await eventually(() => collection(EMAILS).findOne({ _id: `request:${created.body.id}:1` as never }), (doc) => doc?.status === 'sent');
    expect(stored).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.matching((e) => e.to.includes('tax@flaky.example'))).toHaveLength(1);
  });
});

describe('the portal’s rate limit and the development outbox', () => {
  let service: TestService;
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Outbox', name: 'Outbox Co', email: 'tax@outbox.example', address: texas });

  beforeAll(async () => {
    service = await startTestService({ stripe, clock, config: testConfig({ MAIL_OUTBOX_ROUTE: 'true', PORTAL_SUBMIT_LIMIT: '2' }) });
  });
  afterAll(() => service.dispose());

  it('keeps emails in the database outbox when no SMTP server is configured, readable at /dev/outbox, with links to this worker', async () => {
    const api = new ApiClient(service.url ?? '', merchant);
    const created = await api.post<RequestBody>('/api/v1/certificate-requests', { customerId: 'cus_Outbox' });
    expect(created.status).toBe(201);
    const outbox = (await (await fetch(new URL('/dev/outbox?to=tax@outbox.example', service.url ?? ''))).json()) as { data: Array<{ id: string; status: string; text: string }> };
    expect(outbox.data).toHaveLength(1);
    expect(outbox.data[0]).toMatchObject({ id: `request:${created.body.id}:1`, status: 'outbox' });
    expect(outbox.data[0]?.text).toContain(`${service.url ?? ''}/portal/r/`);
  });

  it('turns away submissions past the limit with 429', async () => {
    const link = `${service.url ?? ''}/portal/r/${'B'.repeat(43)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await postPortalForm(service.url ?? '', link, texasAnswer())).status);
    expect(statuses).toEqual([404, 404, 429]);
    expect(onService(service.url ?? '', link)).toBe(link);
  });
});
