import busboy from 'busboy';
import { certificateLimits } from '@exemptions/shared';
import type { Request } from 'express';
import { HttpError } from '../http/errors.js';
import { FileRejectedError } from './fileRejectedError.js';

/** The part of an operator's upload form that carries the certificate. */
export const UPLOAD_FIELD = 'file';

/** One file from a multipart form. Its declared type is not kept: only the bytes say what it is. */
export interface UploadedFile {
  readonly filename: string | null;
  readonly bytes: Buffer;
}

/**
 * Reads the single `file` part of a multipart/form-data body that `appSignatureAuth` has
 * already verified (the whole body is in memory, capped by the API's raw-body limit). The
 * parser's own limits are set because busboy's defaults are unlimited: one file of at most
 * `certificateLimits.fileBytes`, and a handful of small fields, each of which is refused.
 */
export function readSingleFileUpload(req: Request): Promise<UploadedFile> {
  const body: unknown = req.body;
  const contentType = req.get('Content-Type') ?? '';
  if (!Buffer.isBuffer(body) || body.length === 0 || !req.is('multipart/form-data')) {
    throw new HttpError(415, `Expected a multipart/form-data body with the certificate in a part named "${UPLOAD_FIELD}" (got ${JSON.stringify(contentType)})`);
  }

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      // Browsers send file names as raw UTF-8, not latin1 as the RFC would have it.
      defParamCharset: 'utf8',
      limits: { files: 1, fileSize: certificateLimits.fileBytes, fields: 4, parts: 5, fieldNameSize: 100, fieldSize: 1024, headerPairs: 20 },
    });
  } catch (error) {
    throw new HttpError(400, `Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`);
  }

  return new Promise<UploadedFile>((resolve, reject) => {
    let upload: { filename: string | null; chunks: Buffer[]; size: number; truncated: boolean } | undefined;
    let problem: HttpError | undefined;
    const refuse = (error: HttpError): void => {
      problem ??= error;
    };

    parser.on('file', (name, stream, info) => {
      if (name !== UPLOAD_FIELD || upload !== undefined) {
        refuse(new HttpError(400, `Unexpected file part ${JSON.stringify(name)}: send one file, in a part named "${UPLOAD_FIELD}"`));
        stream.resume();
        return;
      }
      const current = { filename: info.filename ?? null, chunks: [] as Buffer[], size: 0, truncated: false };
      upload = current;
      stream.on('data', (chunk: Buffer) => {
        current.chunks.push(chunk);
        current.size += chunk.length;
      });
      stream.on('limit', () => {
        current.truncated = true;
      });
    });
    parser.on('field', (name) => refuse(new HttpError(400, `Unknown field ${JSON.stringify(name)}: the form takes only a part named "${UPLOAD_FIELD}"`)));
    parser.on('filesLimit', () => refuse(new HttpError(400, `Only one file per upload, in a part named "${UPLOAD_FIELD}"`)));
    parser.on('fieldsLimit', () => refuse(new HttpError(400, 'Too many form fields')));
    parser.on('partsLimit', () => refuse(new HttpError(400, 'Too many form parts')));
    parser.on('error', (error: unknown) => reject(new HttpError(400, `Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`)));
    parser.on('close', () => {
      if (problem !== undefined) return reject(problem);
      if (upload === undefined) {
        return reject(new FileRejectedError(400, UPLOAD_FIELD, `missing: send the certificate in a multipart part named "${UPLOAD_FIELD}"`));
      }
      if (upload.truncated) {
        return reject(new FileRejectedError(413, UPLOAD_FIELD, `the file is larger than ${certificateLimits.fileBytes} bytes (10 MiB)`));
      }
      resolve({ filename: upload.filename, bytes: Buffer.concat(upload.chunks, upload.size) });
    });
    parser.end(body);
  });
}
