/**
 * The audit package (GET /api/v1/audit-package): downloaded and unzipped with yauzl, its files
 * compared byte for byte with what was uploaded, its manifests with the certificates, and its
 * ledger files with the ledger; scoped to the tenant; bad scopes refused with a 400.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { parse } from 'csv-parse/sync';
import yauzl from 'yauzl';
import type { Clock } from '../../worker/src/clock.js';
import { MAX_SEGMENT_LENGTH, ZipFolder, zipNameSegment } from '../../worker/src/audit/zipEntryNames.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { samplePdf } from '../support/portal.js';
import { startTestService, type TestService } from '../support/service.js';
import { deliver, finalizedInvoice, processedEvent, stripeEvent } from '../support/stripeEvents.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 1000)) };
const merchant: Tenant = { accountId: 'acct_1Audit000000001', livemode: false };
const intruder: Tenant = { accountId: 'acct_1AuditOther0002', livemode: false };
/** The smallest PNG: a 1×1 pixel. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

interface Certificate {
  id: string;
  version: number;
  files: Array<{ id: string; filename: string; sha256: string }>;
}
interface Entry {
  id: string;
  invoiceId: string;
  kind: string;
  transactionDate: string;
  certificate: { id: string } | null;
}
interface ManifestFile {
  id: string;
  path: string | null;
  filename: string;
  size: number;
  sha256: string | null;
  sha256AtUpload: string;
}
interface Manifest {
  scope: Record<string, string>;
  accountId: string;
  livemode: boolean;
  certificates: Array<{
    id: string;
    customer: { id: string };
    status: string;
    jurisdictions: Array<{ code: string; status: string }>;
    files: ManifestFile[];
    ledger: { entries: number; csvPath: string; jsonPath: string };
  }>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every entry of a zip by name, read with yauzl (which also refuses absolute and `..` names). */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, strictFileNames: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}

function csvRecords(bytes: Buffer): Record<string, string>[] {
  return parse(bytes, { bom: true, columns: true }) as Record<string, string>[];
}

function texasInvoice(id: string, customer: string, day: string, exempt: boolean) {
  const tax = exempt ? { rate: 'txr_TX', taxable: 0, amount: 0, reason: 'customer_exempt' as const } : { rate: 'txr_TX', taxable: 10000, amount: 625 };
  return finalizedInvoice(id, customer, `${day}T15:00:00Z`, [tax], 10000, exempt ? 'exempt' : 'none');
}

describe('the audit package', () => {
  let service: TestService;
  let api: ApiClient;
  let current: Certificate;
  let lapsed: Certificate;
  let bystander: Certificate;
  let theirs: Certificate;
  const firstForm = samplePdf('% first signed form\n');
  const secondForm = samplePdf('% second signed form\n');
  const stripe = new FakeStripe();
  for (const tenant of [merchant, intruder]) {
    stripe
      .addTaxRate(tenant, { id: 'txr_TX', country: 'US', state: 'TX', jurisdictionLevel: 'state', percentage: 6.25 })
      .addCustomer(tenant, { id: 'cus_Audited', name: 'Audited Supply', address: { country: 'US', state: 'TX' } })
      .addCustomer(tenant, { id: 'cus_Bystander', name: 'Bystander LLC', address: { country: 'US', state: 'TX' } })
      .addCustomer(tenant, { id: 'cus_Large', name: 'Large Files Inc', address: { country: 'US', state: 'TX' } });
  }

  async function download(query: string, client = api): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
    const response = await signedFetch(client.baseUrl, { method: 'GET', target: `/api/v1/audit-package${query}` }, client.identity);
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  async function upload(certificateId: string, bytes: Buffer, filename: string, client = api): Promise<void> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), filename);
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const response = await signedFetch(
      client.baseUrl,
      { method: 'POST', target: `/api/v1/certificates/${certificateId}/files/upload`, body, contentType: encoded.headers.get('content-type') ?? '' },
      client.identity,
    );
    expect(response.status).toBe(201);
  }

  async function createCertificate(customerId: string, effectiveDate: string, expirationDate: string | null, client = api): Promise<Certificate> {
    const created = await client.post<Certificate>('/api/v1/certificates', {
      customerId,
      reason: 'resale',
      form: 'single_state',
      number: `TX-${customerId}-${effectiveDate}`,
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'US-TX', registrationId: '32000000001', effectiveDate, expirationDate }],
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  async function send(tenant: Tenant, type: Stripe.Event.Type, object: Record<string, unknown> & { id: string }): Promise<void> {
    const event = stripeEvent(type, object as never, tenant);
    expect((await deliver(service.url ?? '', event)).status).toBe(200);
    await processedEvent(service.db, event.id, 20_000);
  }

  const reload = async (certificate: Certificate, client = api) => (await client.get<Certificate>(`/api/v1/certificates/${certificate.id}`)).body;
  const ledgerOf = async (customerId: string, client = api) => (await client.get<{ data: Entry[] }>(`/api/v1/ledger/entries?customerId=${customerId}`)).body.data;

  beforeAll(async () => {
    service = await startTestService({ role: 'all', stripe, clock });
    api = new ApiClient(service.url ?? '', merchant);

    // 2025's certificate, in force when a 2025 invoice was booked against it, then archived.
    lapsed = await createCertificate('cus_Audited', '2025-01-01', '2025-12-31');
    await send(merchant, 'invoice.finalized', texasInvoice('in_June2025', 'cus_Audited', '2025-06-10', true));
    expect((await api.post(`/api/v1/certificates/${lapsed.id}/archive`, { reason: 'Renewed' })).status).toBe(200);

    // The current certificate: two signed forms under one name, and a year of invoices.
    current = await createCertificate('cus_Audited', '2026-01-01', null);
    await upload(current.id, firstForm, 'form.pdf');
    await upload(current.id, secondForm, 'FORM.pdf');
    await send(merchant, 'invoice.finalized', texasInvoice('in_Jan', 'cus_Audited', '2026-01-15', true));
    const march = texasInvoice('in_Mar', 'cus_Audited', '2026-03-10', true);
    await send(merchant, 'invoice.finalized', march);
    await send(merchant, 'invoice.voided', { ...march, status: 'void' });
    await send(merchant, 'invoice.finalized', texasInvoice('in_AprOver', 'cus_Audited', '2026-04-02', false));

    bystander = await createCertificate('cus_Bystander', '2026-02-01', '2026-12-31');
    await upload(bystander.id, PNG, 'scan.png');
    await send(merchant, 'invoice.finalized', texasInvoice('in_Bystander', 'cus_Bystander', '2026-02-20', true));

    // Another account with a customer of the same id, and a certificate of its own.
    const other = new ApiClient(service.url ?? '', intruder);
    theirs = await createCertificate('cus_Audited', '2026-01-01', null, other);
    await upload(theirs.id, samplePdf('% someone else’s form\n'), 'form.pdf', other);

    current = await reload(current);
    lapsed = await reload(lapsed);
    bystander = await reload(bystander);
  }, 120_000);
  afterAll(() => service.dispose());

  describe('for one customer', () => {
    let response: { status: number; headers: Headers; bytes: Buffer };
    let zip: Map<string, Buffer>;
    let manifest: Manifest;
    const root = 'audit-cus_Audited';

    beforeAll(async () => {
      response = await download('?customerId=cus_Audited');
      zip = await unzip(response.bytes);
      manifest = JSON.parse((zip.get(`${root}/manifest.json`) ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
    });

    it('is a zip download, streamed (no length known in advance) and never cached', () => {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/zip');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename=audit-cus_Audited-2026-05-12.zip');
      expect(response.headers.get('content-length')).toBeNull();
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect([...zip.keys()].every((name) => name.startsWith(`${root}/`))).toBe(true);
    });

    it('holds every stored file byte for byte, names made unique, with its SHA-256 in the manifest', () => {
      const files = current.files.map((file) => file.id);
      expect(files).toHaveLength(2);
      const inManifest = manifest.certificates.find((c) => c.id === current.id)?.files ?? [];
      expect(inManifest.map((f) => f.path)).toEqual([`${root}/certificates/${current.id}/files/form.pdf`, `${root}/certificates/${current.id}/files/FORM (2).pdf`]);
      expect(zip.get(inManifest[0]?.path ?? '')).toEqual(firstForm);
      expect(zip.get(inManifest[1]?.path ?? '')).toEqual(secondForm);
      expect(inManifest.map((f) => [f.id, f.sha256, f.sha256AtUpload, f.size])).toEqual([
        [files[0], sha256(firstForm), sha256(firstForm), firstForm.length],
        [files[1], sha256(secondForm), sha256(secondForm), secondForm.length],
      ]);
    });

    it('lists the customer’s certificates, archived ones too, with fields, jurisdictions and status', () => {
      expect(manifest).toMatchObject({ scope: { kind: 'customer', customerId: 'cus_Audited' }, accountId: merchant.accountId, livemode: false });
      expect(manifest.certificates.map((c) => [c.id, c.customer.id, c.status, c.jurisdictions.map((j) => `${j.code}:${j.status}`)])).toEqual([
        [lapsed.id, 'cus_Audited', 'archived', ['US-TX:archived']],
        [current.id, 'cus_Audited', 'active', ['US-TX:active']],
      ]);
      expect(manifest.certificates.some((c) => c.id === theirs.id || c.id === bystander.id)).toBe(false);
    });

    it('has the same in manifest.csv: a line per file, and one for a certificate without files', () => {
      const rows = csvRecords(zip.get(`${root}/manifest.csv`) ?? Buffer.alloc(0));
      expect(rows.map((row) => [row.certificateId, row.status, row.jurisdictions, row.fileName, row.filePath, row.fileSha256])).toEqual([
        [lapsed.id, 'archived', 'US-TX archived 2025-01-01..2025-12-31 #32000000001', '', '', ''],
        [current.id, 'active', 'US-TX active 2026-01-01.. #32000000001', 'form.pdf', `${root}/certificates/${current.id}/files/form.pdf`, sha256(firstForm)],
        [current.id, 'active', 'US-TX active 2026-01-01.. #32000000001', 'FORM.pdf', `${root}/certificates/${current.id}/files/FORM (2).pdf`, sha256(secondForm)],
      ]);
      expect(rows.every((row) => row.customerName === 'Audited Supply')).toBe(true);
    });

    it('holds, per certificate, exactly the ledger entries whose snapshot names it, as JSON and CSV', async () => {
      const ledger = await ledgerOf('cus_Audited');
      for (const certificate of manifest.certificates) {
        const expected = ledger.filter((entry) => entry.certificate?.id === certificate.id);
        const json = JSON.parse((zip.get(certificate.ledger.jsonPath) ?? Buffer.alloc(0)).toString('utf8')) as Entry[];
        expect(json).toEqual(expected);
        const csv = csvRecords(zip.get(certificate.ledger.csvPath) ?? Buffer.alloc(0));
        expect(csv.map((row) => row.entryId)).toEqual(expected.map((entry) => entry.id));
        expect(certificate.ledger.entries).toBe(expected.length);
      }
      const entriesOf = (id: string) => manifest.certificates.find((c) => c.id === id)?.ledger.entries;
      expect(entriesOf(lapsed.id)).toBe(1);
      // January, March and its void's negation, April's over-collection (tax charged while covered).
      expect(entriesOf(current.id)).toBe(4);
    });

    it('is a valid zip with an empty manifest for a customer with no certificates', async () => {
      const empty = await download('?customerId=cus_Nobody');
      expect(empty.status).toBe(200);
      const files = await unzip(empty.bytes);
      expect([...files.keys()].sort()).toEqual(['audit-cus_Nobody/README.txt', 'audit-cus_Nobody/manifest.csv', 'audit-cus_Nobody/manifest.json']);
      expect((JSON.parse((files.get('audit-cus_Nobody/manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as Manifest).certificates).toEqual([]);
      expect(csvRecords(files.get('audit-cus_Nobody/manifest.csv') ?? Buffer.alloc(0))).toEqual([]);
      expect((files.get('audit-cus_Nobody/README.txt') ?? Buffer.alloc(0)).toString('utf8')).toContain('0 certificate(s), 0 file(s), 0 ledger entries');
    });
  });

  describe('for a date range', () => {
    it('covers the certificates in force then, with the ledger entries dated in it', async () => {
      const response = await download('?from=2026-01-01&to=2026-03-31');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe('attachment; filename=audit-2026-01-01-to-2026-03-31-2026-05-12.zip');
      const zip = await unzip(response.bytes);
      const root = 'audit-2026-01-01-to-2026-03-31';
      const manifest = JSON.parse((zip.get(`${root}/manifest.json`) ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
      expect(manifest.certificates.map((c) => c.id)).toEqual([current.id, bystander.id]);

      const ours = manifest.certificates[0];
      const entries = JSON.parse((zip.get(ours?.ledger.jsonPath ?? '') ?? Buffer.alloc(0)).toString('utf8')) as Entry[];
      expect(entries.map((e) => [e.invoiceId, e.kind, e.transactionDate])).toEqual([
        ['in_Jan', 'original', '2026-01-15'],
        ['in_Mar', 'original', '2026-03-10'],
        ['in_Mar', 'negation', '2026-03-10'],
      ]);
      const scan = manifest.certificates[1]?.files[0];
      expect(zip.get(scan?.path ?? '')).toEqual(PNG);
      expect(scan?.sha256).toBe(sha256(PNG));
    });

    it('includes a certificate a transaction in the range was booked against, though its dates were corrected since', async () => {
      const edited = await api.patch<Certificate>(`/api/v1/certificates/${bystander.id}`, {
        expectedVersion: bystander.version,
        jurisdictions: [{ code: 'US-TX', registrationId: '32000000001', effectiveDate: '2026-03-01', expirationDate: '2026-12-31' }],
      });
      expect(edited.status).toBe(200);
      const zip = await unzip((await download('?from=2026-02-15&to=2026-02-25')).bytes);
      const manifest = JSON.parse((zip.get('audit-2026-02-15-to-2026-02-25/manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
      expect(manifest.certificates.map((c) => [c.id, c.ledger.entries])).toEqual([
        [current.id, 0],
        [bystander.id, 1],
      ]);
    });

    it('includes a certificate archived since, for a range it was in force in', async () => {
      const zip = await unzip((await download('?from=2025-06-01&to=2025-06-30')).bytes);
      const manifest = JSON.parse((zip.get('audit-2025-06-01-to-2025-06-30/manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
      expect(manifest.certificates.map((c) => [c.id, c.status, c.ledger.entries])).toEqual([[lapsed.id, 'archived', 1]]);
    });
  });

  describe('streaming', () => {
    it('copes with a client that hangs up mid-download, and serves the next one whole', async () => {
      // Random bytes do not compress: several MB that cannot all sit in socket buffers at once.
      const large = samplePdf(`% ${randomBytes(3 * 1024 * 1024).toString('base64')}\n`);
      const big = await createCertificate('cus_Large', '2026-01-01', null);
      await upload(big.id, large, 'large.pdf');

      const response = await signedFetch(service.url ?? '', { method: 'GET', target: '/api/v1/audit-package?customerId=cus_Large' }, api.identity);
      const reader = response.body?.getReader();
      expect((await reader?.read())?.done).toBe(false);
      await reader?.cancel();

      const whole = await download('?customerId=cus_Large');
      const zip = await unzip(whole.bytes);
      // Buffer#equals: jest's toEqual walks megabytes byte by byte, for minutes.
      expect(zip.get(`audit-cus_Large/certificates/${big.id}/files/large.pdf`)?.equals(large)).toBe(true);
      expect((await api.get('/api/v1/compliance/summary')).status).toBe(200);
    });
  });

  describe('tenancy', () => {
    it('gives another account only its own certificate for a customer of the same id', async () => {
      const response = await download('?customerId=cus_Audited', api.as(intruder));
      const zip = await unzip(response.bytes);
      const manifest = JSON.parse((zip.get('audit-cus_Audited/manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
      expect(manifest.accountId).toBe(intruder.accountId);
      expect(manifest.certificates.map((c) => [c.id, c.ledger.entries])).toEqual([[theirs.id, 0]]);
      const bytes = [...zip.values()];
      expect(bytes.some((b) => b.equals(firstForm) || b.equals(secondForm))).toBe(false);
    });

    it('gives the live mode of the same account nothing of test mode', async () => {
      const zip = await unzip((await download('?from=2025-01-01&to=2026-12-31', api.as({ ...merchant, livemode: true }))).bytes);
      const manifest = JSON.parse((zip.get('audit-2025-01-01-to-2026-12-31/manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as Manifest;
      expect(manifest.certificates).toEqual([]);
    });
  });

  describe('bad scopes', () => {
    it.each([
      ['no scope', '', 'give customerId (one customer) or from and to (a date range)'],
      ['a customer and a range', '?customerId=cus_Audited&from=2026-01-01&to=2026-02-01', 'customerId: give either customerId or from and to, not both'],
      ['only from', '?from=2026-01-01', 'to: a range needs to as well as from'],
      ['only to', '?to=2026-01-01', 'from: a range needs from as well as to'],
      ['reversed dates', '?from=2026-03-01&to=2026-01-01', 'to: to 2026-01-01 is before from 2026-03-01'],
      ['over ten years', '?from=2010-01-01&to=2026-01-01', 'at most 10 years'],
      ['an impossible date', '?from=2026-02-30&to=2026-03-01', 'from'],
      ['a malformed customer id', '?customerId=../../etc', 'customerId'],
      ['an unknown parameter', '?customerId=cus_Audited&format=tar', 'format'],
      ['a repeated parameter', '?customerId=cus_Audited&customerId=cus_Bystander', 'customerId'],
    ])('refuses %s with a 400 that says why', async (_case, query, message) => {
      const response = await api.get<{ error: { message: string } }>(`/api/v1/audit-package${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body.error.message).toContain(message);
    });

    it('refuses an unsigned call', async () => {
      expect((await fetch(`${service.url ?? ''}/api/v1/audit-package?customerId=cus_Audited`)).status).toBe(401);
    });
  });
});

describe('names inside the zip', () => {
  it.each([
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..\\..\\boot.ini', '_.._boot.ini'],
    ['C:\\Windows\\x.pdf', 'C__Windows_x.pdf'],
    ['/abs/path.pdf', '_abs_path.pdf'],
    ['..', 'fallback'],
    ['', 'fallback'],
    ['evil\u202Efdp.exe', 'evil_fdp.exe'],
    ['tab\tand\nnewline.pdf', 'tab_and_newline.pdf'],
    ['what?*<>|".pdf', 'what______.pdf'],
  ])('makes %j one plain name: %j', (name, expected) => {
    expect(zipNameSegment(name, 'fallback')).toBe(expected);
  });

  it('cuts long names to a bounded length, keeping the extension', () => {
    const name = zipNameSegment(`${'a'.repeat(300)}.pdf`, 'fallback');
    expect(name).toHaveLength(MAX_SEGMENT_LENGTH);
    expect(name.endsWith('a.pdf')).toBe(true);
  });

  it('keeps names in a folder unique regardless of case', () => {
    const folder = new ZipFolder('root/files');
    expect(['form.pdf', 'FORM.pdf', 'form.pdf', '../form.pdf'].map((name) => folder.claim(name, 'file'))).toEqual([
      'root/files/form.pdf',
      'root/files/FORM (2).pdf',
      'root/files/form (3).pdf',
      'root/files/_form.pdf',
    ]);
  });
});
