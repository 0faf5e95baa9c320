import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { certificateLimits, type CertificateFileContentType } from '@exemptions/shared';
import { Binary, GridFSBucket, ObjectId, type Collection, type Db, type Filter, type GridFSFile } from 'mongodb';
import type { Clock } from '../clock.js';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import type { Tenant } from '../tenancy.js';
import { pdfActiveContent, PdfActiveContentScanner, type PdfActiveContent } from './pdfActiveContent.js';

export const CERTIFICATE_FILES_BUCKET = 'certificate_files';

/** What the GridFS files document records about whose file it is and what it holds. */
export interface CertificateFileMetadata {
  accountId: string;
  livemode: boolean;
  certificateId: string;
  sha256: string;
  /** Sniffed from the bytes when stored; what downloads are served as. */
  contentType: CertificateFileContentType;
  uploadedAt: string;
  /** What the scan found in a PDF when it was stored; absent when nothing (and on files stored before the scan). */
  activeContent?: PdfActiveContent[];
}

interface CertificateFileDocument extends GridFSFile {
  metadata: CertificateFileMetadata;
}

/** A stored copy of a certificate file, in the shape of the certificate's `files[]` entries. */
export interface StoredFile {
  /** `cfile_<GridFS id>`: the prefix keeps it apart from Stripe's own `file_…` ids. */
  readonly id: string;
  readonly filename: string;
  readonly contentType: CertificateFileContentType;
  readonly size: number;
  readonly sha256: string;
  readonly uploadedAt: string;
  /** Only on a PDF with active content (JavaScript, launch actions, embedded files). */
  readonly activeContent?: PdfActiveContent[];
}

export interface StoredFileDownload {
  readonly file: StoredFile;
  readonly stream: Readable;
}

export interface PutResult {
  readonly file: StoredFile;
  /** False when the certificate already had a copy of these bytes, which was reused. */
  readonly created: boolean;
}

export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';
  constructor(readonly size: number) {
    super(`file is ${size} bytes, more than the ${certificateLimits.fileBytes} allowed`);
  }
}

const fileIdPattern = /^cfile_([0-9a-f]{24})$/;

/**
 * GridFS's default chunk size (255 KiB), which the bucket uses. Files that arrive in pieces of
 * exactly this size (the portal's, see `readMultipartForm`) are stored without another copy.
 */
export const FILE_CHUNK_BYTES = 255 * 1024;

/** Chunk inserts in flight at once while a file is stored. */
const CHUNKS_IN_FLIGHT = 4;

/**
 * Writes a file's GridFS chunks (`files_id`, `n`, `data`) as its bytes come, a few inserts in
 * flight: `FILE_CHUNK_BYTES` each (the last shorter), views of a piece where one holds a chunk
 * whole, copied only where a chunk spans two pieces. The driver's upload stream would copy each
 * chunk first, and given the whole file at once it inserts every chunk together.
 */
class ChunkWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  private n = 0;
  /** The start of the next chunk, when a piece ended inside it. */
  private parts: Buffer[] = [];
  private partsSize = 0;

  constructor(
    private readonly chunks: Collection,
    readonly id: ObjectId,
  ) {}

  /** Takes the next piece; resolves once fewer than `CHUNKS_IN_FLIGHT` inserts are pending. The piece must not change afterwards. */
  async write(piece: Buffer): Promise<void> {
    let offset = 0;
    while (offset < piece.length) {
      if (this.partsSize === 0 && piece.length - offset >= FILE_CHUNK_BYTES) {
        await this.insert(piece.subarray(offset, offset + FILE_CHUNK_BYTES));
        offset += FILE_CHUNK_BYTES;
        continue;
      }
      const take = Math.min(piece.length - offset, FILE_CHUNK_BYTES - this.partsSize);
      this.parts.push(piece.subarray(offset, offset + take));
      this.partsSize += take;
      offset += take;
      if (this.partsSize === FILE_CHUNK_BYTES) await this.flush();
    }
  }

  /** Writes the last chunk and waits for every insert; throws the first insert's failure. */
  async end(): Promise<void> {
    if (this.partsSize > 0) await this.flush();
    await Promise.all(this.inFlight);
    if (this.failure !== null) throw this.failure;
  }

  /** Waits for the inserts under way, then deletes every chunk written. */
  async discard(): Promise<void> {
    this.failure ??= new Error('discarded');
    await Promise.all(this.inFlight);
    await this.chunks.deleteMany({ files_id: this.id });
  }

  private async flush(): Promise<void> {
    const data = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsSize);
    this.parts = [];
    this.partsSize = 0;
    await this.insert(data);
  }

  private async insert(data: Buffer): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const insert: Promise<void> = this.chunks
      .insertOne({ _id: new ObjectId(), files_id: this.id, n: this.n, data: new Binary(data) })
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= error;
        },
      )
      .finally(() => this.inFlight.delete(insert));
    this.inFlight.add(insert);
    this.n += 1;
    while (this.inFlight.size >= CHUNKS_IN_FLIGHT) await Promise.race(this.inFlight);
  }
}

/**
 * A file being stored as it arrives (the portal's upload): its chunks are written, its SHA-256
 * computed and a PDF's active content scanned piece by piece, so it is never held whole. Until
 * `finish` writes its files document nothing reaches it; `abort` deletes what was written.
 * Either `finish` or `abort` must be called once the pieces are all written.
 */
export class FileUpload {
  private readonly hash = createHash('sha256');
  private readonly scanner: PdfActiveContentScanner | null;
  private readonly writer: ChunkWriter;
  private size = 0;

  constructor(
    private readonly store: FileStore,
    chunks: Collection,
    private readonly tenant: Tenant,
    private readonly certificateId: string,
    private readonly contentType: CertificateFileContentType,
  ) {
    this.writer = new ChunkWriter(chunks, new ObjectId());
    this.scanner = contentType === 'application/pdf' ? new PdfActiveContentScanner() : null;
  }

  /** The file's next piece, which must not change afterwards; resolves when the next may come. Past the size limit, pieces are dropped and `finish` refuses the file. */
  async write(piece: Buffer): Promise<void> {
    this.size += piece.length;
    if (this.size > certificateLimits.fileBytes) return;
    this.hash.update(piece);
    await Promise.all([this.scanner?.write(piece), this.writer.write(piece)]);
  }

  /** Stores the file under `filename`, or returns the certificate's copy of the same bytes (then deleting these chunks). */
  async finish(filename: string): Promise<PutResult> {
    try {
      if (this.size > certificateLimits.fileBytes) throw new FileTooLargeError(this.size);
      await this.writer.end();
      const activeContent = (await this.scanner?.end()) ?? [];
      const sha256 = this.hash.digest('hex');
      const existing = await this.store.findByContent(this.tenant, this.certificateId, sha256);
      if (existing !== null) {
        await this.writer.discard();
        return { file: existing, created: false };
      }
      return await this.store.complete(this.writer.id, this.tenant, this.certificateId, { filename, size: this.size, sha256, contentType: this.contentType, activeContent });
    } catch (error) {
      await this.writer.discard();
      throw error;
    }
  }

  /** Deletes the chunks written so far (the form was refused, or the body cut short). */
  async abort(): Promise<void> {
    await this.writer.discard();
  }
}

export function isStoredFileId(id: string): boolean {
  return fileIdPattern.test(id);
}

function toFileId(id: ObjectId): string {
  return `cfile_${id.toHexString()}`;
}

function fromFileId(id: string): ObjectId | null {
  const hex = fileIdPattern.exec(id)?.[1];
  return hex === undefined ? null : ObjectId.createFromHexString(hex);
}

function toStoredFile(document: CertificateFileDocument): StoredFile {
  return {
    id: toFileId(document._id),
    filename: document.filename,
    contentType: document.metadata.contentType,
    size: document.length,
    sha256: document.metadata.sha256,
    uploadedAt: document.metadata.uploadedAt,
    ...(document.metadata.activeContent !== undefined && document.metadata.activeContent.length > 0 ? { activeContent: [...document.metadata.activeContent] } : {}),
  };
}

/** Every query names the tenant and the certificate, so a file id alone never reaches a file. */
function ownerFilter(tenant: Tenant, certificateId: string): Filter<CertificateFileDocument> {
  return { 'metadata.accountId': tenant.accountId, 'metadata.livemode': tenant.livemode, 'metadata.certificateId': certificateId };
}

/**
 * The service's own copies of certificate files, in the GridFS bucket `certificate_files`.
 *
 * One certificate holds one copy of given bytes: a unique index on tenant, certificate and
 * SHA-256 makes a second store of the same content fail at its files document (GridFS writes
 * that last), and the loser removes its chunks and returns the winner's file. A store
 * interrupted before its files document leaves only unreachable chunks; the retry writes
 * under a fresh id. No transaction or conditional update is needed, which FerretDB lacks.
 */
export class FileStore {
  private readonly bucket: GridFSBucket;
  private readonly files: Collection<CertificateFileDocument>;
  private readonly chunks: Collection;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.bucket = new GridFSBucket(db, { bucketName: CERTIFICATE_FILES_BUCKET });
    this.files = db.collection<CertificateFileDocument>(`${CERTIFICATE_FILES_BUCKET}.files`);
    this.chunks = db.collection(`${CERTIFICATE_FILES_BUCKET}.chunks`);
  }

  /**
   * GridFS's own two indexes, under the names the driver gives them, so its first-upload check
   * finds them instead of creating them from many processes at once; and the content key.
   */
  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.files, [
      { key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' },
      {
        key: { 'metadata.accountId': 1, 'metadata.livemode': 1, 'metadata.certificateId': 1, 'metadata.sha256': 1 },
        name: 'by_certificate_content',
        unique: true,
      },
    ]);
    await ensureIndexes(this.chunks, [{ key: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true }]);
  }

  /**
   * Stores the file for the certificate, or returns the copy it already has of the same bytes.
   * `content` is one buffer or the pieces the file arrived in, which are not joined: they go to
   * GridFS a few chunks at a time (a chunk is copied only where it spans two pieces).
   */
  async put(tenant: Tenant, certificateId: string, filename: string, content: Buffer | readonly Buffer[], contentType: CertificateFileContentType): Promise<PutResult> {
    const pieces = Buffer.isBuffer(content) ? [content] : content;
    const size = pieces.reduce((sum, piece) => sum + piece.length, 0);
    if (size > certificateLimits.fileBytes) throw new FileTooLargeError(size);
    const hash = createHash('sha256');
    for (const piece of pieces) hash.update(piece);
    const sha256 = hash.digest('hex');
    const existing = await this.findByContent(tenant, certificateId, sha256);
    if (existing !== null) return { file: existing, created: false };

    const writer = new ChunkWriter(this.chunks, new ObjectId());
    // Every way a file arrives (the portal, the operators' upload, a Stripe File, an approval's
    // copy) stores it here, so every stored PDF is scanned and its file record flagged. The scan
    // runs while the chunks are written: only the files document, written last, needs its answer.
    const scan = contentType === 'application/pdf' ? pdfActiveContent(pieces) : Promise.resolve([]);
    const write = async (): Promise<void> => {
      for (const piece of pieces) await writer.write(piece);
      await writer.end();
    };
    let activeContent: PdfActiveContent[];
    try {
      [activeContent] = await Promise.all([scan, write()]);
    } catch (error) {
      await scan.catch(() => undefined);
      await writer.discard();
      throw error;
    }
    return this.complete(writer.id, tenant, certificateId, { filename, size, sha256, contentType, activeContent });
  }

  /** Starts storing a file that arrives in pieces (see `FileUpload`). */
  openUpload(tenant: Tenant, certificateId: string, contentType: CertificateFileContentType): FileUpload {
    return new FileUpload(this, this.chunks, tenant, certificateId, contentType);
  }

  /**
   * Writes the files document of chunks written under `id`: last, as GridFS does, so until then
   * no query reaches them. If that fails the chunks are reachable from nothing and are deleted;
   * when a concurrent store of the same bytes for this certificate won the unique key, its file
   * is returned.
   */
  async complete(
    id: ObjectId,
    tenant: Tenant,
    certificateId: string,
    file: { filename: string; size: number; sha256: string; contentType: CertificateFileContentType; activeContent: readonly PdfActiveContent[] },
  ): Promise<PutResult> {
    const metadata: CertificateFileMetadata = {
      accountId: tenant.accountId,
      livemode: tenant.livemode,
      certificateId,
      sha256: file.sha256,
      contentType: file.contentType,
      uploadedAt: this.clock.now().toISOString(),
      ...(file.activeContent.length > 0 ? { activeContent: [...file.activeContent] } : {}),
    };
    const document: CertificateFileDocument = { _id: id, length: file.size, chunkSize: FILE_CHUNK_BYTES, uploadDate: this.clock.now(), filename: file.filename, metadata };
    try {
      await this.files.insertOne(document);
    } catch (error) {
      await this.chunks.deleteMany({ files_id: id });
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.findByContent(tenant, certificateId, file.sha256);
      if (winner === null) throw error;
      return { file: winner, created: false };
    }
    return { file: toStoredFile(document), created: true };
  }

  async findByContent(tenant: Tenant, certificateId: string, sha256: string): Promise<StoredFile | null> {
    const document = await this.files.findOne({ ...ownerFilter(tenant, certificateId), 'metadata.sha256': sha256 });
    return document === null ? null : toStoredFile(document);
  }

  /** The file and a stream of its bytes, or null unless it belongs to this tenant and certificate. */
  async open(tenant: Tenant, certificateId: string, fileId: string): Promise<StoredFileDownload | null> {
    const id = fromFileId(fileId);
    if (id === null) return null;
    const document = await this.files.findOne({ _id: id, ...ownerFilter(tenant, certificateId) });
    if (document === null) return null;
    return { file: toStoredFile(document), stream: this.bucket.openDownloadStream(id) };
  }
}
