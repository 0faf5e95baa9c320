import { createHash } from 'node:crypto';
import { certificateLimits } from '@exemptions/shared';
import type { Clock } from '../../worker/src/clock.js';
import { CERTIFICATE_FILES_BUCKET } from '../../worker/src/files/fileStore.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient, type ApiResponse } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

const clock: Clock = { now: () => new Date('2026-05-12T12:00:00Z') };
const merchant: Tenant = { accountId: 'acct_1Merchant0000001', livemode: false };
const otherAccount: Tenant = { accountId: 'acct_1Other00000002', livemode: false };
const merchantLive: Tenant = { accountId: merchant.accountId, livemode: true };

// Small but real files: each starts with its format's signature, as a scanner or phone would write it.
const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
/** A 1×1 transparent PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** SOI, a JFIF APP0 segment, EOI. */
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes that are a PDF by signature, `size` long. */
function pdfOfSize(size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x20);
  pdf.copy(bytes);
  return bytes;
}

interface FileView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

interface CertificateView {
  id: string;
  version: number;
  files: FileView[];
  history?: Array<{ version: number; action: string; actor: { type: string; id: string } }>;
}

interface Attached {
  file: FileView;
  certificate: CertificateView;
}

interface ErrorBody {
  error: { message: string; details?: unknown };
}

function texasResale(customerId = 'cus_Acme') {
  return {
    customerId,
    reason: 'resale',
    form: 'single_state',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', effectiveDate: '2026-01-01', expirationDate: '2027-12-31' }],
  };
}

describe('certificate files', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Acme', name: 'Acme Supply' })
    .addCustomer(otherAccount, { id: 'cus_Acme', name: 'Acme Elsewhere' })
    .addFile(merchant, { id: 'file_Pdf', filename: 'resale-certificate.pdf', bytes: pdf })
    .addFile(merchant, { id: 'file_Png', filename: 'scan.png', bytes: png })
    .addFile(merchant, { id: 'file_Jpeg', filename: 'photo.jpeg', bytes: jpeg })
    .addFile(merchant, { id: 'file_NoName', filename: null, bytes: jpeg })
    .addFile(merchant, { id: 'file_Html', filename: 'certificate.pdf', bytes: html })
    .addFile(merchant, { id: 'file_Gif', filename: 'certificate.gif', bytes: gif })
    .addFile(merchant, { id: 'file_Huge', filename: 'huge.pdf', bytes: pdfOfSize(11 * 1000 * 1000) })
    .addFile(merchant, { id: 'file_Empty', filename: 'empty.pdf', bytes: Buffer.alloc(0) })
    .addFile(merchant, { id: 'file_Identity', filename: 'passport.pdf', bytes: pdf, purpose: 'identity_document' })
    .addFile(otherAccount, { id: 'file_Pdf', filename: 'theirs.pdf', bytes: pdf })
    .addFile(merchantLive, { id: 'file_Pdf', filename: 'live.pdf', bytes: pdf });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  async function newCertificate(): Promise<CertificateView> {
    const created = await api.post<CertificateView>('/api/v1/certificates', texasResale());
    expect(created.status).toBe(201);
    return created.body;
  }

  async function certificate(id: string): Promise<CertificateView> {
    const fetched = await api.get<CertificateView>(`/api/v1/certificates/${id}`);
    expect(fetched.status).toBe(200);
    return fetched.body;
  }

  function attach<T = Attached>(certificateId: string, stripeFileId: string, client = api): Promise<ApiResponse<T>> {
    return client.post<T>(`/api/v1/certificates/${certificateId}/files`, { stripeFileId });
  }

  /** The GridFS files documents stored for a certificate. */
  function storedCopies(certificateId: string) {
    return service.db.collection(`${CERTIFICATE_FILES_BUCKET}.files`).find({ 'metadata.certificateId': certificateId }).toArray();
  }

  async function download(certificateId: string, fileId: string, client = api): Promise<Response> {
    return signedFetch(client.baseUrl, { method: 'GET', target: `/api/v1/certificates/${certificateId}/files/${fileId}` }, client.identity);
  }

  /** A multipart body as a browser or curl would send it, signed like any other call. */
  async function upload<T = Attached>(certificateId: string, fill: (form: FormData) => void, client = api): Promise<ApiResponse<T>> {
    const form = new FormData();
    fill(form);
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    return sendRaw<T>(certificateId, body, encoded.headers.get('content-type') ?? '', client);
  }

  async function sendRaw<T>(certificateId: string, body: Buffer, contentType: string, client = api): Promise<ApiResponse<T>> {
    const response = await signedFetch(client.baseUrl, { method: 'POST', target: `/api/v1/certificates/${certificateId}/files/upload`, body, contentType }, client.identity);
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  }

  /** A file as a form part; the declared type is the uploader's claim, which the worker ignores. */
  function filePart(bytes: Buffer, declaredType = 'application/octet-stream'): Blob {
    return new Blob([new Uint8Array(bytes)], { type: declaredType });
  }

  describe('attaching a Stripe File', () => {
    it('keeps its own copy with size, type and SHA-256, and records the attachment as a new version', async () => {
      const cert = await newCertificate();
      const attached = await attach(cert.id, 'file_Pdf');

      expect(attached.status).toBe(201);
      expect(attached.body.file).toEqual({
        id: expect.stringMatching(/^cfile_[0-9a-f]{24}$/),
        filename: 'resale-certificate.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
        sha256: sha256(pdf),
        uploadedAt: '2026-05-12T12:00:00.000Z',
      });
      expect(attached.body.certificate).toMatchObject({ id: cert.id, version: 2, files: [attached.body.file] });

      const fetched = await certificate(cert.id);
      expect(fetched.files).toEqual([attached.body.file]);
      expect(fetched.history?.at(-1)).toMatchObject({ version: 2, action: 'file_attached', actor: { type: 'user', id: 'usr_test0000001' } });

      const [copy, ...more] = await storedCopies(cert.id);
      expect(more).toEqual([]);
      expect(copy).toMatchObject({
        filename: 'resale-certificate.pdf',
        length: pdf.length,
        metadata: { accountId: merchant.accountId, livemode: false, certificateId: cert.id, sha256: sha256(pdf), contentType: 'application/pdf' },
      });
    });

    it('serves the copy for download: identical bytes, the stored type, as an attachment, nosniff, not cached', async () => {
      const cert = await newCertificate();
      const { body } = await attach(cert.id, 'file_Pdf');

      const response = await download(cert.id, body.file.id);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(pdf)).toBe(true);
      expect(sha256(bytes)).toBe(body.file.sha256);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-length')).toBe(String(pdf.length));
      // A name that is an RFC 7230 token goes unquoted (RFC 6266 allows both forms).
      expect(response.headers.get('content-disposition')).toBe('attachment; filename=resale-certificate.pdf');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('private, no-store');
    });

    it('answers a retry of the same file with 200 and the same file: no second copy, no new version', async () => {
      const cert = await newCertificate();
      const first = await attach(cert.id, 'file_Pdf');
      const second = await attach(cert.id, 'file_Pdf');

      expect(second.status).toBe(200);
      expect(second.body.file).toEqual(first.body.file);
      expect(second.body.certificate.version).toBe(2);
      expect((await certificate(cert.id)).files).toHaveLength(1);
      expect(await storedCopies(cert.id)).toHaveLength(1);
    });

    it('stores one copy when the same file is attached twice at the same moment', async () => {
      const cert = await newCertificate();
      const results = await Promise.all([attach(cert.id, 'file_Pdf'), attach(cert.id, 'file_Pdf'), attach(cert.id, 'file_Pdf')]);

      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(results.map((r) => r.body.file.id)).size).toBe(1);
      const fetched = await certificate(cert.id);
      expect(fetched).toMatchObject({ version: 2, files: [results[0]?.body.file] });
      expect(await storedCopies(cert.id)).toHaveLength(1);
    });

    it('keeps both files when two different files are attached at the same moment', async () => {
      const cert = await newCertificate();
      const [a, b] = await Promise.all([attach(cert.id, 'file_Pdf'), attach(cert.id, 'file_Png')]);

      expect([a?.status, b?.status]).toEqual([201, 201]);
      const fetched = await certificate(cert.id);
      expect(fetched.version).toBe(3);
      expect(fetched.files.map((f) => f.contentType).sort()).toEqual(['application/pdf', 'image/png']);
    });

    it('accepts PNG and JPEG by their bytes, and names a nameless file after its type', async () => {
      const cert = await newCertificate();
      const pngFile = await attach(cert.id, 'file_Png');
      const jpegFile = await attach(cert.id, 'file_Jpeg');
      const nameless = await attach((await newCertificate()).id, 'file_NoName');

      expect(pngFile.status).toBe(201);
      expect(pngFile.body.file).toMatchObject({ filename: 'scan.png', contentType: 'image/png', size: png.length, sha256: sha256(png) });
      expect(jpegFile.status).toBe(201);
      expect(jpegFile.body.file).toMatchObject({ filename: 'photo.jpeg', contentType: 'image/jpeg', size: jpeg.length });
      expect(nameless.body.file).toMatchObject({ filename: 'certificate.jpg', contentType: 'image/jpeg' });

      const response = await download(cert.id, jpegFile.body.file.id);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await response.arrayBuffer()).equals(jpeg)).toBe(true);
    });

    it('refuses an HTML file named .pdf (415 naming stripeFileId), judged by its bytes, writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Html');

      expect(refused.status).toBe(415);
      expect(refused.body.error.message).toMatch(/^stripeFileId: the content is not a PDF, PNG or JPEG \(no known file signature/);
      expect(refused.body.error.details).toEqual([{ field: 'stripeFileId', message: expect.stringContaining('not a PDF, PNG or JPEG') }]);
      expect(await storedCopies(cert.id)).toEqual([]);
      expect(await certificate(cert.id)).toMatchObject({ version: 1, files: [] });
    });

    it('refuses a file of another known type (415 naming the detected type), writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Gif');

      expect(refused.status).toBe(415);
      expect(refused.body.error.message).toBe('stripeFileId: the content is image/gif, not a PDF, PNG or JPEG');
      expect(await storedCopies(cert.id)).toEqual([]);
      expect((await certificate(cert.id)).version).toBe(1);
    });

    it('refuses a Stripe file over 10 MB (413 naming stripeFileId), writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Huge');

      expect(refused.status).toBe(413);
      expect(refused.body.error.message).toBe(`stripeFileId: Stripe file file_Huge is larger than ${certificateLimits.fileBytes} bytes (10 MiB)`);
      expect(await storedCopies(cert.id)).toEqual([]);
      expect((await certificate(cert.id)).version).toBe(1);
    });

    it('refuses an empty Stripe file (422)', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Empty');
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toBe('stripeFileId: the file is empty');
    });

    it('refuses a Stripe file id the account does not have (422 naming stripeFileId)', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Missing');
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toBe('stripeFileId: no file file_Missing in this Stripe account');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses a Stripe File uploaded for another purpose, such as an identity document (422)', async () => {
      const cert = await newCertificate();
      const refused = await attach<ErrorBody>(cert.id, 'file_Identity');
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toContain('purpose identity_document');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses a malformed body (400 naming the field) and unknown fields', async () => {
      const cert = await newCertificate();
      const malformed = await api.post<ErrorBody>(`/api/v1/certificates/${cert.id}/files`, { stripeFileId: 'cus_Acme' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toBe('Invalid body: stripeFileId: must be a Stripe file id (file_…)');
      const extra = await api.post<ErrorBody>(`/api/v1/certificates/${cert.id}/files`, { stripeFileId: 'file_Pdf', filename: 'x.pdf' });
      expect(extra.status).toBe(400);
      expect(extra.body.error.message).toContain('unknown field "filename"');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses a file for an archived certificate (409 with the current record), writing nothing', async () => {
      const cert = await newCertificate();
      expect((await api.post(`/api/v1/certificates/${cert.id}/archive`, { reason: 'Replaced' })).status).toBe(200);
      const refused = await attach<ErrorBody>(cert.id, 'file_Pdf');

      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('archived');
      expect(refused.body.error.details).toMatchObject({ current: { id: cert.id, version: 2 } });
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('answers 404 for a certificate that does not exist, without asking Stripe', async () => {
      const calls = stripe.calls.length;
      const refused = await attach<ErrorBody>('cert_000000000000000000000000', 'file_Pdf');
      expect(refused.status).toBe(404);
      expect(stripe.calls.slice(calls)).toEqual([]);
    });
  });

  describe('uploading directly (operators, multipart/form-data)', () => {
    it('stores the part named file, typed by its bytes rather than its declared type', async () => {
      const cert = await newCertificate();
      const uploaded = await upload(cert.id, (form) => form.append('file', filePart(pdf, 'text/html'), 'signed form.pdf'));

      expect(uploaded.status).toBe(201);
      expect(uploaded.body.file).toMatchObject({ filename: 'signed form.pdf', contentType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) });
      expect(uploaded.body.certificate.version).toBe(2);
      expect((await certificate(cert.id)).history?.at(-1)?.action).toBe('file_attached');

      const response = await download(cert.id, uploaded.body.file.id);
      expect(Buffer.from(await response.arrayBuffer()).equals(pdf)).toBe(true);
      expect(response.headers.get('content-type')).toBe('application/pdf');
    });

    it('is idempotent with the Stripe route: the same bytes are one file', async () => {
      const cert = await newCertificate();
      const fromStripe = await attach(cert.id, 'file_Pdf');
      const uploaded = await upload(cert.id, (form) => form.append('file', filePart(pdf), 'again.pdf'));

      expect(uploaded.status).toBe(200);
      expect(uploaded.body.file).toEqual(fromStripe.body.file);
      expect(await storedCopies(cert.id)).toHaveLength(1);
    });

    it('keeps a safe file name: no folders, controls or direction tricks, and an extension that matches the bytes', async () => {
      const cert = await newCertificate();
      const uploaded = await upload(cert.id, (form) => form.append('file', filePart(pdf), '..\\..\\evil\u202Efdp.html'));
      expect(uploaded.body.file.filename).toBe('evilfdp.html.pdf');

      const unicode = await upload(cert.id, (form) => form.append('file', filePart(png), 'Zertifikat für Müller.png'));
      expect(unicode.body.file.filename).toBe('Zertifikat für Müller.png');
      const response = await download(cert.id, unicode.body.file.id);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="Zertifikat f?r M?ller.png"; filename*=UTF-8''Zertifikat%20f%C3%BCr%20M%C3%BCller.png`,
      );
    });

    it('refuses an HTML file named .pdf and declared application/pdf (415 naming file), writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await upload<ErrorBody>(cert.id, (form) => form.append('file', filePart(html, 'application/pdf'), 'certificate.pdf'));

      expect(refused.status).toBe(415);
      expect(refused.body.error.message).toMatch(/^file: the content is not a PDF, PNG or JPEG/);
      expect(await storedCopies(cert.id)).toEqual([]);
      expect((await certificate(cert.id)).version).toBe(1);
    });

    it('refuses a file over 10 MiB (413 naming file), writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await upload<ErrorBody>(cert.id, (form) => form.append('file', filePart(pdfOfSize(certificateLimits.fileBytes + 1)), 'big.pdf'));

      expect(refused.status).toBe(413);
      expect(refused.body.error.message).toBe(`file: the file is larger than ${certificateLimits.fileBytes} bytes (10 MiB)`);
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses an 11 MB upload at the request-size cap (413), writing nothing', async () => {
      const cert = await newCertificate();
      const refused = await upload<ErrorBody>(cert.id, (form) => form.append('file', filePart(pdfOfSize(11 * 1000 * 1000)), 'big.pdf'));

      expect(refused.status).toBe(413);
      expect(await storedCopies(cert.id)).toEqual([]);
      expect((await certificate(cert.id)).version).toBe(1);
    });

    it('refuses a form without a part named file (400 naming file)', async () => {
      const cert = await newCertificate();
      const empty = await upload<ErrorBody>(cert.id, (form) => form.append('other', filePart(pdf), 'a.pdf'));
      expect(empty.status).toBe(400);
      expect(empty.body.error.message).toBe('Unexpected file part "other": send one file, in a part named "file"');

      const boundary = '----x';
      const noParts = await sendRaw<ErrorBody>(cert.id, Buffer.from(`--${boundary}--\r\n`), `multipart/form-data; boundary=${boundary}`);
      expect(noParts.status).toBe(400);
      expect(noParts.body.error.message).toBe('file: missing: send the certificate in a multipart part named "file"');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses two files, extra fields, and an empty file', async () => {
      const cert = await newCertificate();
      const two = await upload<ErrorBody>(cert.id, (form) => {
        form.append('file', filePart(pdf), 'a.pdf');
        form.append('file', filePart(png), 'b.png');
      });
      expect(two.status).toBe(400);
      expect(two.body.error.message).toContain('one file');

      const field = await upload<ErrorBody>(cert.id, (form) => {
        form.append('file', filePart(pdf), 'a.pdf');
        form.append('certificateId', cert.id);
      });
      expect(field.status).toBe(400);
      expect(field.body.error.message).toBe('Unknown field "certificateId": the form takes only a part named "file"');

      const empty = await upload<ErrorBody>(cert.id, (form) => form.append('file', filePart(Buffer.alloc(0)), 'empty.pdf'));
      expect(empty.status).toBe(422);
      expect(empty.body.error.message).toBe('file: the file is empty');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses a body that is not multipart (415) or has no boundary (400)', async () => {
      const cert = await newCertificate();
      const json = await api.post<ErrorBody>(`/api/v1/certificates/${cert.id}/files/upload`, { file: 'JVBERi0=' });
      expect(json.status).toBe(415);
      expect(json.body.error.message).toContain('multipart/form-data');

      const none = await api.post<ErrorBody>(`/api/v1/certificates/${cert.id}/files/upload`);
      expect(none.status).toBe(415);

      const noBoundary = await sendRaw<ErrorBody>(cert.id, pdf, 'multipart/form-data');
      expect(noBoundary.status).toBe(400);
      expect(noBoundary.body.error.message).toContain('Malformed multipart body');
      expect(await storedCopies(cert.id)).toEqual([]);
    });

    it('refuses an upload to an archived certificate (409)', async () => {
      const cert = await newCertificate();
      await api.post(`/api/v1/certificates/${cert.id}/archive`, {});
      const refused = await upload<ErrorBody>(cert.id, (form) => form.append('file', filePart(pdf), 'a.pdf'));
      expect(refused.status).toBe(409);
      expect(await storedCopies(cert.id)).toEqual([]);
    });
  });

  describe('downloading', () => {
    it('answers 404 for a file of another certificate, an unknown file id, and 400 for a malformed one', async () => {
      const first = await newCertificate();
      const second = await newCertificate();
      const { body } = await attach(first.id, 'file_Pdf');

      expect((await download(second.id, body.file.id)).status).toBe(404);
      expect((await download(first.id, 'cfile_000000000000000000000000')).status).toBe(404);
      expect((await download(first.id, 'file_Pdf')).status).toBe(400);
      expect((await download(first.id, body.file.id)).status).toBe(200);
    });
  });

  describe('tenant isolation', () => {
    const others: Array<[string, Tenant]> = [
      ['another account', otherAccount],
      ['the other livemode', merchantLive],
    ];

    it.each(others)('%s gets 404 attaching, uploading or downloading, and nothing is written', async (_name, tenant) => {
      const cert = await newCertificate();
      const { body } = await attach(cert.id, 'file_Pdf');
      const stranger = api.as(tenant);
      const calls = stripe.calls.length;

      expect((await attach(cert.id, 'file_Pdf', stranger)).status).toBe(404);
      expect((await upload(cert.id, (form) => form.append('file', filePart(png), 'a.png'), stranger)).status).toBe(404);
      const response = await download(cert.id, body.file.id, stranger);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-disposition')).toBeNull();

      expect(stripe.calls.slice(calls)).toEqual([]);
      expect(await storedCopies(cert.id)).toHaveLength(1);
      expect(await certificate(cert.id)).toMatchObject({ version: 2, files: [body.file] });
    });
  });
});
