import { certificateFileContentTypes, type CertificateFileContentType } from '@exemptions/shared';
import { fileTypeFromBuffer } from 'file-type';

/**
 * The content is not a PDF, PNG or JPEG. `detected` is what the bytes are (a MIME type such as
 * `image/gif`), or null when no known signature matched — HTML and other text files land here,
 * whatever their name or declared type says.
 */
export class UnsupportedContentTypeError extends Error {
  override name = 'UnsupportedContentTypeError';
  constructor(readonly detected: string | null) {
    super(
      detected === null
        ? 'the content is not a PDF, PNG or JPEG (no known file signature; the name and declared type are not trusted)'
        : `the content is ${detected}, not a PDF, PNG or JPEG`,
    );
  }
}

const allowed: ReadonlySet<string> = new Set(certificateFileContentTypes);

function isAllowed(mime: string): mime is CertificateFileContentType {
  return allowed.has(mime);
}

/**
 * The type of a certificate file, read from its magic bytes only. A file's name and any
 * declared Content-Type are chosen by whoever uploads it, so neither is consulted: a browser
 * that later receives the copy must get the type the bytes really have.
 */
export async function sniffContentType(bytes: Uint8Array): Promise<CertificateFileContentType> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected === undefined) throw new UnsupportedContentTypeError(null);
  if (!isAllowed(detected.mime)) throw new UnsupportedContentTypeError(detected.mime);
  return detected.mime;
}

/**
 * How much of a file's start its type is judged from when the file is stored as it arrives
 * (the portal's, from its first piece): every signature we accept is at its very start, and file-type finds nearly every
 * other type within its first 4,100 bytes. A PNG whose animation chunk (APNG) lies beyond this
 * is taken for a PNG.
 */
export const SNIFF_BYTES = 64 * 1024;

/** The usual file-name extensions of each accepted type; the first is the one to add. */
export const extensionsOf: Readonly<Record<CertificateFileContentType, readonly string[]>> = {
  'application/pdf': ['pdf'],
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
};
