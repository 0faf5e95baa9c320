/**
 * Short-lived download links for certificate files: the signed API issues one, and a browser tab
 * (which cannot sign) opens it at /downloads/<token> until it expires. Time is the service's own
 * clock, moved by the test.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../worker/src/clock.js';
import { CERTIFICATE_FILE_LINKS } from '../../worker/src/files/fileLinkStore.js';
import { FILE_LINK_LIFETIME_MS, redactDownloadPath } from '../../worker/src/files/fileLinkRoutes.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient, type ApiResponse } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

const START = Date.parse('2026-05-12T12:00:00.000Z');
let nowMs = START;
const clock: Clock = { now: () => new Date(nowMs) };

const merchant: Tenant = { accountId: 'acct_1LinkMerchant001', livemode: false };
const otherAccount: Tenant = { accountId: 'acct_1LinkOther00002', livemode: false };
const merchantLive: Tenant = { accountId: merchant.accountId, livemode: true };

const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
/** A 1×1 transparent PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

interface FileView {
  id: string;
  filename: string;
  sha256: string;
}

interface CertificateView {
  id: string;
  files: FileView[];
}

interface FileLink {
  url: string;
  expiresAt: string;
}

interface ErrorBody {
  error: { message: string };
}

const texasResale = {
  customerId: 'cus_Links',
  reason: 'resale',
  form: 'single_state',
  purchase: { type: 'blanket' },
  jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: '2027-12-31' }],
};

/** The same token with one character changed, still well-formed. */
function tampered(url: string): string {
  const last = url.at(-1);
  return `${url.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
}

describe('certificate file links', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Links', name: 'Links Supply' })
    .addFile(merchant, { id: 'file_Pdf', filename: 'resale-certificate.pdf', bytes: pdf })
    .addFile(merchant, { id: 'file_Png', filename: 'scan.png', bytes: png });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());
  beforeEach(() => {
    nowMs = START;
  });

  async function newCertificate(): Promise<CertificateView> {
    const created = await api.post<CertificateView>('/api/v1/certificates', texasResale);
    expect(created.status).toBe(201);
    return created.body;
  }

  async function withFile(stripeFileId = 'file_Pdf'): Promise<{ certificate: CertificateView; file: FileView }> {
    const certificate = await newCertificate();
    const attached = await api.post<{ file: FileView }>(`/api/v1/certificates/${certificate.id}/files`, { stripeFileId });
    expect(attached.status).toBe(201);
    return { certificate, file: attached.body.file };
  }

  function linkFor<T = FileLink>(certificateId: string, fileId: string, client = api): Promise<ApiResponse<T>> {
    return client.post<T>(`/api/v1/certificates/${certificateId}/files/${fileId}/link`);
  }

  /** The link as a browser tab opens it: no signature, no Stripe headers. */
  function open(url: string): Promise<Response> {
    return fetch(url, { redirect: 'manual' });
  }

  function storedLinks() {
    return service.db.collection<{ _id: string }>(CERTIFICATE_FILE_LINKS).find({}).toArray();
  }

  it('issues a link that downloads the file’s bytes without a signature, as a safe attachment', async () => {
    const { certificate, file } = await withFile();
    const issued = await linkFor(certificate.id, file.id);
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body.expiresAt).toBe(new Date(START + FILE_LINK_LIFETIME_MS).toISOString());
    expect(FILE_LINK_LIFETIME_MS).toBe(5 * 60_000);
    expect(issued.body.url).toMatch(new RegExp(`^${service.url ?? ''}/downloads/[A-Za-z0-9_-]{43}$`));

    const response = await open(issued.body.url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(pdf)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-length')).toBe(String(pdf.length));
    expect(response.headers.get('content-disposition')).toBe('attachment; filename=resale-certificate.pdf');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    // Not the API: no CORS answer lets another page's script read the file.
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the type sniffed when the file was stored, and encodes an awkward name safely', async () => {
    const certificate = await newCertificate();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'application/pdf' }), 'Acme résale; x=1.png');
    const encoded = new Response(form);
    const uploadResponse = await signedFetch(
      api.baseUrl,
      { method: 'POST', target: `/api/v1/certificates/${certificate.id}/files/upload`, body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' },
      api.identity,
    );
    expect(uploadResponse.status).toBe(201);
    const { file } = (await uploadResponse.json()) as { file: FileView };

    const response = await open((await linkFor(certificate.id, file.id)).body.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    // Quoted, with an ASCII fallback: the name's `;` and `=` cannot start a parameter of their own.
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="Acme r?sale; x=1.png"; filename*=UTF-8\'\'Acme%20r%C3%A9sale%3B%20x%3D1.png');
    expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
  });

  it('works as often as needed until it expires, then answers 410 in plain words', async () => {
    const { certificate, file } = await withFile();
    const { body } = await linkFor(certificate.id, file.id);

    nowMs = START + FILE_LINK_LIFETIME_MS - 1;
    expect((await open(body.url)).status).toBe(200);
    expect((await open(body.url)).status).toBe(200);

    nowMs = START + FILE_LINK_LIFETIME_MS;
    const expired = await open(body.url);
    expect(expired.status).toBe(410);
    expect(expired.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(expired.headers.get('content-disposition')).toBeNull();
    expect(expired.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await expired.text()).toContain('has expired');

    // A new link from the Dashboard works again.
    const fresh = await linkFor(certificate.id, file.id);
    expect((await open(fresh.body.url)).status).toBe(200);
  });

  it('forgets links a day after they expired, when the account asks for a new one', async () => {
    const { certificate, file } = await withFile();
    const old = await linkFor(certificate.id, file.id);
    const oldHash = createHash('sha256').update(old.body.url.split('/').at(-1) ?? '').digest('hex');

    nowMs = START + FILE_LINK_LIFETIME_MS + 24 * 60 * 60_000 - 1;
    await linkFor(certificate.id, file.id);
    expect((await storedLinks()).map((link) => link._id)).toContain(oldHash);
    expect((await open(old.body.url)).status).toBe(410);

    nowMs += 2;
    await linkFor(certificate.id, file.id);
    expect((await storedLinks()).map((link) => link._id)).not.toContain(oldHash);
    expect((await open(old.body.url)).status).toBe(404);
  });

  it('answers 404 for a tampered, truncated, lengthened or made-up token, and serves nothing', async () => {
    const { certificate, file } = await withFile();
    const { body } = await linkFor(certificate.id, file.id);
    const base = `${service.url ?? ''}/downloads/`;

    for (const url of [tampered(body.url), body.url.slice(0, -1), `${body.url}A`, `${base}${'A'.repeat(43)}`, `${base}..%2F..%2Fapi`, `${base}%00`]) {
      const response = await open(url);
      expect({ url, status: response.status }).toEqual({ url, status: 404 });
      expect(response.headers.get('content-disposition')).toBeNull();
      expect(await response.text()).toContain('not valid');
    }
    expect((await open(body.url)).status).toBe(200);
  });

  it('keeps only a hash of the token, scoped to the tenant, the certificate and the file', async () => {
    const { certificate, file } = await withFile();
    const { body } = await linkFor(certificate.id, file.id);
    const token = body.url.split('/').at(-1) ?? '';

    const stored = await service.db.collection<{ _id: string }>(CERTIFICATE_FILE_LINKS).findOne({ _id: createHash('sha256').update(token).digest('hex') });
    expect(stored).toMatchObject({ accountId: merchant.accountId, livemode: false, certificateId: certificate.id, fileId: file.id, issuedBy: api.identity.userId });
    expect(JSON.stringify(await storedLinks())).not.toContain(token);
  });

  it('refuses a link to a file of another certificate, and says so when the certificate has no file', async () => {
    const { certificate: first, file } = await withFile();
    const empty = await newCertificate();
    const before = (await storedLinks()).length;

    const noFile = await linkFor<ErrorBody>(empty.id, file.id);
    expect(noFile.status).toBe(404);
    expect(noFile.body.error.message).toBe(`Certificate ${empty.id} has no file yet: upload one first`);

    const { certificate: second } = await withFile('file_Png');
    const elsewhere = await linkFor<ErrorBody>(second.id, file.id);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.message).toBe(`No file ${file.id} on certificate ${second.id}`);

    expect((await linkFor<ErrorBody>(first.id, 'cfile_000000000000000000000000')).status).toBe(404);
    expect((await linkFor<ErrorBody>(first.id, 'file_Pdf')).status).toBe(400);
    expect((await linkFor<ErrorBody>('cert_123', file.id)).status).toBe(400);
    expect((await storedLinks()).length).toBe(before);
  });

  it.each([
    ['another account', otherAccount],
    ['the other livemode', merchantLive],
  ])('gives %s no link to the merchant’s certificate, and stores none', async (_name, tenant) => {
    const { certificate, file } = await withFile();
    const before = (await storedLinks()).length;

    const refused = await linkFor<ErrorBody>(certificate.id, file.id, api.as(tenant));
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toBe(`No certificate ${certificate.id} in this account`);
    expect(JSON.stringify(refused.body)).not.toContain('/downloads/');
    expect((await storedLinks()).length).toBe(before);
  });

  it('issues links only on a signed call', async () => {
    const { certificate, file } = await withFile();
    const before = (await storedLinks()).length;
    const unsigned = await fetch(`${service.url ?? ''}/api/v1/certificates/${certificate.id}/files/${file.id}/link`, { method: 'POST' });
    expect(unsigned.status).toBe(401);
    expect((await storedLinks()).length).toBe(before);
  });

  it('keeps the token out of the request logs', () => {
    expect(redactDownloadPath(`/downloads/${'A'.repeat(43)}`)).toBe('/downloads/[token]');
    expect(redactDownloadPath(`/downloads/${'A'.repeat(43)}?x=1`)).toBe('/downloads/[token]?x=1');
    expect(redactDownloadPath('/api/v1/certificates')).toBe('/api/v1/certificates');
  });
});
