/**
 * The file store writes GridFS's chunks itself, straight from the pieces a file arrived in (the
 * portal's upload, see bench/upload.ts): what it writes must read back byte for byte, through the
 * store and through the driver's own GridFS reader, whatever the pieces.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { GridFSBucket, ObjectId } from 'mongodb';
import { systemClock } from '../../worker/src/clock.js';
import { CERTIFICATE_FILES_BUCKET, FILE_CHUNK_BYTES, FileStore } from '../../worker/src/files/fileStore.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { seededRandom } from '../../bench/lib/stats.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

const tenant: Tenant = { accountId: 'acct_1FilePieces000001', livemode: false };
let database: TestDatabase;
let store: FileStore;

beforeAll(async () => {
  database = await openTestDatabase();
  store = new FileStore(database.db, systemClock);
  await store.ensureIndexes();
});
afterAll(() => database.close());

function bytesOf(size: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = Math.floor(random() * 256);
  return bytes;
}

/** `bytes` in pieces of the given sizes (cycled). */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; index += 1) {
    const size = sizes[index % sizes.length] as number;
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const chunkDocuments = () => database.db.collection<{ files_id: ObjectId; n: number; data: { buffer: Uint8Array } }>(`${CERTIFICATE_FILES_BUCKET}.chunks`);

describe('file store: GridFS chunks written from the pieces a file arrived in', () => {
  it.each([
    ['one byte', 1, [1]],
    ['exactly two chunks, in chunk-sized pieces (the portal’s)', 2 * FILE_CHUNK_BYTES, [FILE_CHUNK_BYTES]],
    ['pieces that straddle chunk boundaries', 3 * FILE_CHUNK_BYTES + 12_345, [70_001, 1, 200_000, 64 * 1024]],
    ['one buffer', FILE_CHUNK_BYTES + 1, [10 * FILE_CHUNK_BYTES]],
  ])('%s reads back byte for byte', async (_name, size, sizes) => {
    const bytes = bytesOf(size, size);
    const certificateId = `cert_pieces_${size}`;
    const { file, created } = await store.put(tenant, certificateId, 'scan.png', cut(bytes, sizes), 'image/png');
    expect(created).toBe(true);
    expect(file).toMatchObject({ size, sha256: createHash('sha256').update(bytes).digest('hex') });

    const download = await store.open(tenant, certificateId, file.id);
    if (download === null) throw new Error(`${file.id} cannot be opened`);
    expect((await readAll(download.stream)).equals(bytes)).toBe(true);
    // GridFS's own layout: the driver's reader checks every chunk's number and size.
    const id = ObjectId.createFromHexString(file.id.replace(/^cfile_/, ''));
    const viaDriver = await readAll(new GridFSBucket(database.db, { bucketName: CERTIFICATE_FILES_BUCKET }).openDownloadStream(id));
    expect(viaDriver.equals(bytes)).toBe(true);
    const stored = await chunkDocuments().find({ files_id: id }).sort({ n: 1 }).toArray();
    expect(stored.map((chunk) => chunk.n)).toEqual([...Array(Math.ceil(size / FILE_CHUNK_BYTES)).keys()]);
  });

  it('keeps one copy of the same bytes, however they are cut, and when stored twice at once', async () => {
    const bytes = bytesOf(FILE_CHUNK_BYTES + 777, 5);
    const first = await store.put(tenant, 'cert_pieces_same', 'a.png', cut(bytes, [1000, 99_999]), 'image/png');
    const again = await store.put(tenant, 'cert_pieces_same', 'b.png', bytes, 'image/png');
    expect(again).toEqual({ file: first.file, created: false });

    const other = bytesOf(2 * FILE_CHUNK_BYTES + 3, 6);
    const racing = await Promise.all([1, 2, 3].map((n) => store.put(tenant, 'cert_pieces_race', `${n}.png`, cut(other, [n * 50_000]), 'image/png')));
    expect(new Set(racing.map((result) => result.file.id)).size).toBe(1);
    const id = ObjectId.createFromHexString((racing[0]?.file.id ?? '').replace(/^cfile_/, ''));
    // The losers' chunks are gone: only the winner's three remain for this certificate's bytes.
    const files = await database.db.collection(`${CERTIFICATE_FILES_BUCKET}.files`).find({ 'metadata.certificateId': 'cert_pieces_race' }).toArray();
    expect(files).toHaveLength(1);
    expect(await chunkDocuments().countDocuments({ files_id: id })).toBe(3);
  });

  it('checks a PDF arriving in pieces for active content, in every compressed stream', async () => {
    const page = deflateSync(Buffer.from('BT /F1 12 Tf (Signed) Tj ET'));
    const action = deflateSync(Buffer.from('<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>'));
    const pdf = Buffer.concat([
      Buffer.from(`%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Length ${page.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'),
      page,
      Buffer.from(`\nendstream\nendobj\n3 0 obj << /Type /ObjStm /N 1 /Filter /FlateDecode /Length ${action.length} >>\nstream\n`, 'latin1'),
      action,
      Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
    ]);
    const { file } = await store.put(tenant, 'cert_pieces_pdf', 'signed.pdf', cut(pdf, [7, 3, 11]), 'application/pdf');
    expect(file.activeContent).toEqual(['javascript']);
  });
});
