/**
 * The portal stores the file as it arrives (GridFS chunks written while the body is still
 * coming): what it keeps must be the whole file, and whatever it does not keep (a refused form,
 * a body cut short, a connection dropped mid-upload, an unusable link) must leave no chunk behind.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { GridFSBucket, ObjectId } from 'mongodb';
import { certificateLimits } from '@exemptions/shared';
import { CERTIFICATE_FILES_BUCKET, FILE_CHUNK_BYTES } from '../../worker/src/files/fileStore.js';
import { EMAILS } from '../../worker/src/mail/emailOutbox.js';
import { CERTIFICATE_REQUESTS } from '../../worker/src/requests/requestRepository.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { samplePdf, texasAnswer } from '../support/portal.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const merchant: Tenant = { accountId: 'acct_1PortalUpload0001', livemode: false };
const CUSTOMERS = 12;

/** A PDF of about `size` bytes over several GridFS chunks: the sample, then comment lines. */
function largePdf(size: number, extra = ''): Buffer {
  const head = samplePdf(extra);
  const line = Buffer.from(`%${'.'.repeat(78)}\n`, 'latin1');
  const lines = Math.max(0, Math.ceil((size - head.length) / line.length));
  return Buffer.concat([head, ...Array.from({ length: lines }, () => line)]);
}

function multipart(fields: Readonly<Record<string, string>>, file: { bytes: Buffer; filename: string } | null, boundary = `----portalUpload${Math.random().toString(16).slice(2)}`): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file !== null) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="certificateFile"; filename="${file.filename}"\r\nContent-Type: application/pdf\r\n\r\n`), file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function post(url: string, body: Buffer, contentType: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('portal upload, stored as it arrives', () => {
  let service: TestService;
  let api: ApiClient;
  let next = 0;
  const stripe = new FakeStripe();
  for (let index = 0; index < CUSTOMERS; index += 1) {
    stripe.addCustomer(merchant, { id: `cus_Upload${index}`, name: `Upload ${index}`, email: `upload${index}@customer.example`, address: { country: 'US', state: 'TX' } });
  }

  beforeAll(async () => {
    service = await startTestService({ stripe, config: testConfig({ PORTAL_SUBMIT_LIMIT: '1000', PORTAL_REQUEST_LIMIT: '1000' }) });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  const chunks = () => service.db.collection<{ files_id: ObjectId }>(`${CERTIFICATE_FILES_BUCKET}.chunks`);
  const files = () => service.db.collection(`${CERTIFICATE_FILES_BUCKET}.files`);

  /** A new request's portal address on this service. */
  async function portalLink(): Promise<{ id: string; url: string }> {
    const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: `cus_Upload${next}`, jurisdictions: ['US-TX'] });
    next += 1;
    expect(created.status).toBe(201);
    const email = await eventually(
      () => service.db.collection<{ _id: string; text: string }>(EMAILS).findOne({ _id: `request:${created.body.id}:1` }),
      (found) => found !== null,
    );
    const path = /\/portal\/r\/[A-Za-z0-9_-]+/.exec(email?.text ?? '')?.[0];
    if (path === undefined) throw new Error('no portal link in the email');
    return { id: created.body.id, url: new URL(path, service.url ?? '').toString() };
  }

  /** Chunks no files document points to. */
  async function orphanChunks(): Promise<number> {
    const ids = new Set((await files().find({}, { projection: { _id: 1 } }).toArray()).map((file) => String(file._id)));
    const all = await chunks().find({}, { projection: { files_id: 1 } }).toArray();
    return all.filter((chunk) => !ids.has(String(chunk.files_id))).length;
  }

  async function expectNothingLeft(filesBefore: number): Promise<void> {
    expect(await eventually(orphanChunks, (n) => n === 0)).toBe(0);
    expect(await files().countDocuments()).toBe(filesBefore);
  }

  it('keeps the whole file, chunk by chunk, and scans it while it arrives', async () => {
    const { id, url } = await portalLink();
    const bytes = largePdf(3 * FILE_CHUNK_BYTES + 1234, '4 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n');
    const { body, contentType } = multipart(texasAnswer(), { bytes, filename: 'signed.pdf' });
    const answer = await post(url, body, contentType);
    expect(answer.status).toBe(200);
    const request = await service.db.collection<{ _id: string; submission: { file: { id: string; sha256: string; size: number }; activeContent: string[] } }>(CERTIFICATE_REQUESTS).findOne({ _id: id });
    expect(request?.submission).toMatchObject({ file: { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }, activeContent: ['javascript'] });
    const fileId = ObjectId.createFromHexString((request?.submission.file.id ?? '').replace(/^cfile_/, ''));
    const readBack: Buffer[] = [];
    for await (const chunk of new GridFSBucket(service.db, { bucketName: CERTIFICATE_FILES_BUCKET }).openDownloadStream(fileId)) readBack.push(chunk as Buffer);
    expect(Buffer.concat(readBack).equals(bytes)).toBe(true);
    expect(await orphanChunks()).toBe(0);
  });

  it.each([
    ['the form’s fields are invalid', 400, { ...texasAnswer(), signerName: '' }, () => largePdf(2 * FILE_CHUNK_BYTES)],
    ['the file is over the limit', 413, texasAnswer(), () => largePdf(certificateLimits.fileBytes + 10)],
    ['the file is not a PDF, PNG or JPEG', 415, texasAnswer(), () => Buffer.concat([Buffer.from('<html><script>alert(1)</script>'), Buffer.alloc(2 * FILE_CHUNK_BYTES, 0x20)])],
  ])('leaves no chunk behind when %s', async (_case, status, fields, bytes) => {
    const filesBefore = await files().countDocuments();
    const { url } = await portalLink();
    const { body, contentType } = multipart(fields, { bytes: bytes(), filename: 'signed.pdf' });
    expect((await post(url, body, contentType)).status).toBe(status);
    await expectNothingLeft(filesBefore);
  });

  it('stores nothing for an unusable link, and still answers after reading the body', async () => {
    const filesBefore = await files().countDocuments();
    const chunksBefore = await chunks().countDocuments();
    const { body, contentType } = multipart(texasAnswer(), { bytes: largePdf(2 * FILE_CHUNK_BYTES), filename: 'signed.pdf' });
    expect((await post(new URL(`/portal/r/${'C'.repeat(43)}`, service.url ?? '').toString(), body, contentType)).status).toBe(404);
    expect(await chunks().countDocuments()).toBe(chunksBefore);
    expect(await files().countDocuments()).toBe(filesBefore);
  });

  it('leaves no chunk behind when the multipart body ends before its closing boundary', async () => {
    const filesBefore = await files().countDocuments();
    const { url } = await portalLink();
    const { body, contentType } = multipart(texasAnswer(), { bytes: largePdf(3 * FILE_CHUNK_BYTES), filename: 'signed.pdf' });
    // Cut inside the file part: every byte the request promised arrives, but the form never ends.
    const cut = body.subarray(0, body.length - FILE_CHUNK_BYTES);
    const answer = await post(url, cut, contentType);
    expect(answer.status).toBe(400);
    await expectNothingLeft(filesBefore);
  });

  it('leaves no chunk behind when the connection drops in the middle of the upload', async () => {
    const filesBefore = await files().countDocuments();
    const chunksBefore = await chunks().countDocuments();
    const { url } = await portalLink();
    const { body, contentType } = multipart(texasAnswer(), { bytes: largePdf(8 * FILE_CHUNK_BYTES), filename: 'signed.pdf' });
    const sent = Math.floor(body.length / 2);
    let written = 0;
    await new Promise<void>((resolve) => {
      const request = http.request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length } });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(body.subarray(0, sent), () => {
        // Some chunks are written by now; then the browser goes away.
        void eventually(() => chunks().countDocuments(), (n) => n > chunksBefore)
          .then((n) => (written = n - chunksBefore))
          .finally(() => request.destroy());
      });
    });
    expect(written).toBeGreaterThan(0);
    await expectNothingLeft(filesBefore);
  });
});
