import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { certificateLimits, type CertificateFileContentType } from '@exemptions/shared';
import { Binary, GridFSBucket, ObjectId, type Collection, type Db, type Filter, type GridFSFile } from 'mongodb';
import type { Clock } from '../clock.js';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import type { Tenant } from '../tenancy.js';
import { pdfActiveContent, type PdfActiveContent } from './pdfActiveContent.js';

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

/** The file's GridFS chunks, `FILE_CHUNK_BYTES` each (the last shorter): views of a piece where one holds it whole. */
function* chunksOf(pieces: readonly Buffer[]): Generator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for (const piece of pieces) {
    let offset = 0;
    while (offset < piece.length) {
      if (size === 0 && piece.length - offset >= FILE_CHUNK_BYTES) {
        yield piece.subarray(offset, offset + FILE_CHUNK_BYTES);
        offset += FILE_CHUNK_BYTES;
        continue;
      }
      const take = Math.min(piece.length - offset, FILE_CHUNK_BYTES - size);
      parts.push(piece.subarray(offset, offset + take));
      size += take;
      offset += take;
      if (size === FILE_CHUNK_BYTES) {
        yield Buffer.concat(parts, size);
        parts = [];
        size = 0;
      }
    }
  }
  if (size > 0) yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
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

    const id = new ObjectId();
    // Every way a file arrives (the portal, the operators' upload, a Stripe File, an approval's
    // copy) stores it here, so every stored PDF is scanned and its file record flagged. The scan
    // runs while the chunks are written: only the files document, written last, needs its answer.
    const scan = contentType === 'application/pdf' ? pdfActiveContent(pieces) : Promise.resolve([]);
    let document: CertificateFileDocument;
    try {
      const [activeContent] = await Promise.all([scan, this.writeChunks(id, pieces)]);
      const metadata: CertificateFileMetadata = {
        accountId: tenant.accountId,
        livemode: tenant.livemode,
        certificateId,
        sha256,
        contentType,
        uploadedAt: this.clock.now().toISOString(),
        ...(activeContent.length > 0 ? { activeContent } : {}),
      };
      document = { _id: id, length: size, chunkSize: FILE_CHUNK_BYTES, uploadDate: this.clock.now(), filename, metadata };
      // The files document last, as GridFS writes it: until then no query reaches the chunks.
      await this.files.insertOne(document);
    } catch (error) {
      // Our chunks are reachable from nothing once the files document failed; drop them either way.
      await scan.catch(() => undefined);
      await this.chunks.deleteMany({ files_id: id });
      if (!isDuplicateKeyError(error)) throw error;
      // A concurrent store of the same bytes for this certificate won the unique key.
      const winner = await this.findByContent(tenant, certificateId, sha256);
      if (winner === null) throw error;
      return { file: winner, created: false };
    }
    return { file: toStoredFile(document), created: true };
  }

  /**
   * Inserts the file's chunks in GridFS's layout (`files_id`, `n`, `data`), a few at a time,
   * straight from the pieces the file is in: the driver's upload stream would copy each chunk
   * first, and given the whole file at once it inserts every chunk together.
   */
  private async writeChunks(id: ObjectId, pieces: readonly Buffer[]): Promise<void> {
    const inFlight = new Set<Promise<unknown>>();
    let failure: unknown = null;
    let n = 0;
    for (const data of chunksOf(pieces)) {
      if (failure !== null) break;
      const insert = this.chunks
        .insertOne({ _id: new ObjectId(), files_id: id, n, data: new Binary(data) })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(insert));
      inFlight.add(insert);
      n += 1;
      if (inFlight.size >= CHUNKS_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
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
