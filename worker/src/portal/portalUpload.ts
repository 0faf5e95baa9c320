import type { CertificateFileContentType } from '@exemptions/shared';
import type { FilePieceSink } from '../files/multipartUpload.js';
import type { FileStore, FileUpload, PutResult } from '../files/fileStore.js';
import { SNIFF_BYTES, sniffContentType, UnsupportedContentTypeError } from '../files/sniffContentType.js';
import type { Tenant } from '../tenancy.js';

/**
 * The portal's file, stored as it arrives (see `readMultipartForm`): its type is judged from its
 * first piece (every signature we accept is at the very start, and the first piece holds
 * `SNIFF_BYTES` unless it is the whole file), and only a PDF, PNG or JPEG goes on to the store.
 * Anything else is dropped as it comes. Once the form is read, `finish` keeps the file or
 * `abort` deletes what was written, so a refused form leaves nothing behind.
 */
export class PortalUpload implements FilePieceSink {
  /** What the file's first bytes are; null before any came, or when they are no type we take (`refused`). */
  contentType: CertificateFileContentType | null = null;
  refused = false;
  private upload: FileUpload | null = null;

  constructor(
    private readonly files: FileStore,
    private readonly tenant: Tenant,
    private readonly certificateId: string,
  ) {}

  async write(piece: Buffer): Promise<void> {
    if (this.refused) return;
    if (this.upload === null) {
      try {
        this.contentType = await sniffContentType(piece.subarray(0, SNIFF_BYTES));
      } catch (error) {
        if (!(error instanceof UnsupportedContentTypeError)) throw error;
        this.refused = true;
        return;
      }
      this.upload = this.files.openUpload(this.tenant, this.certificateId, this.contentType);
    }
    await this.upload.write(piece);
  }

  /** Stores the file (see `FileUpload.finish`); only after a piece was taken. */
  finish(filename: string): Promise<PutResult> {
    if (this.upload === null) throw new Error('no file was taken');
    return this.upload.finish(filename);
  }

  /** Deletes whatever was written. */
  async abort(): Promise<void> {
    await this.upload?.abort();
  }
}
