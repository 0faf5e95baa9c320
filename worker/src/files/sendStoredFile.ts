import { pipeline } from 'node:stream/promises';
import { create as contentDisposition } from 'content-disposition';
import type { Response } from 'express';
import type { Logger } from '../logger.js';
import type { StoredFileDownload } from './fileStore.js';

/**
 * Streams a stored certificate file as a download. The stored name was made safe when it was
 * stored (safeFilename) and is encoded here for the header; the type is the sniffed one.
 */
export async function sendStoredFile(
  res: Response,
  download: StoredFileDownload,
  options: { readonly logger: Logger; readonly logContext: Readonly<Record<string, string>>; readonly headers?: Readonly<Record<string, string>> },
): Promise<void> {
  const { file, stream } = download;
  const { logger, logContext } = options;
  res.status(200).set({
    'Content-Type': file.contentType,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(file.filename),
    // The browser must not guess another type, nor render the file in our origin.
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
    ...options.headers,
  });
  try {
    await pipeline(stream, res);
  } catch (error) {
    // Headers are gone by now, so there is no error to answer with: the cut-short body (shorter
    // than Content-Length) is how the client learns. A client that hung up is not an error.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      logger.error({ err: error, ...logContext }, 'certificate file download failed mid-stream');
    }
  }
}
