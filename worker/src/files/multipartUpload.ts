import busboy from 'busboy';
import { certificateLimits } from '@exemptions/shared';
import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { HttpError } from '../http/errors.js';
import { FileRejectedError } from './fileRejectedError.js';
import { FILE_CHUNK_BYTES } from './fileStore.js';

/** The part of an operator's upload form that carries the certificate. */
export const UPLOAD_FIELD = 'file';

/**
 * busboy marks a file truncated as soon as it *reaches* `fileSize`, so a limit of exactly
 * `certificateLimits.fileBytes` would refuse a file of exactly 10 MiB, which the rest of the
 * service (and a Stripe File) accepts. One byte more: only a file over the limit is cut off.
 */
const BUSBOY_FILE_SIZE_LIMIT = certificateLimits.fileBytes + 1;

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
      limits: { files: 1, fileSize: BUSBOY_FILE_SIZE_LIMIT, fields: 4, parts: 5, fieldNameSize: 100, fieldSize: 1024, headerPairs: 20 },
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
      // A body cut off inside a part makes busboy destroy the part's stream with an error; with
      // no listener that error is thrown as an uncaught exception, which stops the process.
      stream.on('error', (error: Error) => refuse(new HttpError(400, `Malformed multipart body: ${error.message}`)));
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

/** Where a form's file goes as it arrives. */
export interface FilePieceSink {
  /**
   * The file's next piece: `FILE_CHUNK_BYTES` (GridFS's chunk size), the last one shorter. The
   * piece is the sink's to keep. The form is not read further until the promise settles, so a
   * slow sink holds the upload back instead of piling pieces up; a rejection ends the reading.
   */
  write(piece: Buffer): Promise<void>;
}

/** A multipart form read from a public page: its text fields and at most one file. */
export interface MultipartForm {
  readonly fields: ReadonlyMap<string, string>;
  /**
   * The file part, if one was chosen: its name, `size` in all, and `truncated` when it went past
   * the size limit. Its bytes went to the sink.
   */
  readonly file: { readonly field: string; readonly filename: string | null; readonly size: number; readonly truncated: boolean } | null;
  /** Something about the form itself (not multipart, too many parts, cut short) that the page should report. */
  readonly problem: string | null;
}

/**
 * Reads a browser's multipart form straight from the request stream, with every busboy limit
 * set (its defaults are unlimited): one file of at most `certificateLimits.fileBytes` in the
 * part `fileField`, at most `maxFields` text fields of at most `maxFieldBytes` each. The file is
 * copied into pieces of GridFS's chunk size as it arrives (so the socket's buffers are not kept)
 * and each handed to `file(filename)`'s sink, with back pressure; it is never held whole. A
 * file past the limit is cut off and reported as `truncated`; the rest of it is read and
 * dropped so the browser still gets the answer. A body cut short (the connection closed before
 * its end) is reported as a problem. Never rejects for what the client sent, only when the sink
 * fails: the caller decides how to tell the person. When it settles, no piece is still being
 * written.
 */
export function readMultipartForm(req: Request, options: { fileField: string; maxFields: number; maxFieldBytes: number; file: (filename: string | null) => FilePieceSink }): Promise<MultipartForm> {
  const contentType = req.get('Content-Type') ?? '';
  const drain = (): Promise<void> =>
    new Promise((resolve) => {
      if (req.readableEnded || req.destroyed) return resolve();
      req.on('end', () => resolve());
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.resume();
    });
  if (!req.is('multipart/form-data')) {
    return drain().then(() => ({ fields: new Map(), file: null, problem: 'The form was not sent as multipart/form-data.' }));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        fileSize: BUSBOY_FILE_SIZE_LIMIT,
        fields: options.maxFields,
        parts: options.maxFields + 1,
        fieldNameSize: 100,
        fieldSize: options.maxFieldBytes,
        headerPairs: 20,
      },
    });
  } catch (error) {
    return drain().then(() => ({ fields: new Map(), file: null, problem: `The form could not be read: ${error instanceof Error ? error.message : String(error)}` }));
  }

  return new Promise<MultipartForm>((resolve, reject) => {
    const fields = new Map<string, string>();
    let file: { field: string; filename: string | null; size: number; truncated: boolean } | null = null;
    let problem: string | null = null;
    let failure: { error: unknown } | null = null;
    /** The file's pieces still being written, and the file part's end (its last piece handed over). */
    let writing: Promise<void> = Promise.resolve();
    let fileDone: Promise<void> = Promise.resolve();
    let fileStream: Readable | null = null;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      // Settles only once the sink has every piece it will get, so the caller may discard or keep the file.
      void fileDone
        .then(() => writing)
        .then(
          () => (failure === null ? resolve({ fields, file: file === null ? null : { ...file }, problem }) : reject(failure.error)),
          (error: unknown) => reject(error),
        );
    };

    parser.on('file', (name, stream, info) => {
      // A body cut off inside a part makes busboy destroy the part's stream with an error; with
      // no listener that error is thrown as an uncaught exception, which stops the process (the
      // portal is public: one request would do it).
      stream.on('error', (error: Error) => (problem ??= `The form could not be read: ${error.message}`));
      // An empty file input still sends a part, with no name and no bytes: that is "no file".
      if (name !== options.fileField || file !== null) {
        stream.resume();
        return;
      }
      const current = { field: name, filename: info.filename ?? null, size: 0, truncated: false };
      file = current;
      fileStream = stream;
      let sink: FilePieceSink | null = null;
      let piece: Buffer | null = null;
      let filled = 0;
      const hand = (full: Buffer): void => {
        sink ??= options.file(current.filename);
        const target = sink;
        const written = writing.then(() => (failure === null ? target.write(full) : undefined));
        writing = written.catch((error: unknown) => {
          failure ??= { error };
          // Nothing more is written; the rest of the body is read and dropped.
        });
        // Back pressure: the part is read on once this piece (and any handed after it) is written.
        stream.pause();
        const latest = writing;
        void latest.then(() => {
          if (writing === latest) stream.resume();
        });
      };
      fileDone = new Promise<void>((resolveFile) => {
        stream.on('data', (chunk: Buffer) => {
          current.size += chunk.length;
          if (failure !== null) return;
          for (let offset = 0; offset < chunk.length; ) {
            piece ??= Buffer.allocUnsafe(FILE_CHUNK_BYTES);
            const copied = chunk.copy(piece, filled, offset);
            filled += copied;
            offset += copied;
            if (filled === FILE_CHUNK_BYTES) {
              hand(piece);
              piece = null;
              filled = 0;
            }
          }
        });
        const done = (): void => {
          if (piece !== null && filled > 0 && failure === null) hand(piece.subarray(0, filled));
          piece = null;
          resolveFile();
        };
        stream.on('end', done);
        stream.on('close', done);
      });
      stream.on('limit', () => {
        current.truncated = true;
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) problem ??= `The field ${name} is too long.`;
      if (!fields.has(name)) fields.set(name, value);
    });
    parser.on('fieldsLimit', () => (problem ??= 'The form has too many fields.'));
    parser.on('partsLimit', () => (problem ??= 'The form has too many parts.'));
    parser.on('error', (error: unknown) => {
      problem ??= `The form could not be read: ${error instanceof Error ? error.message : String(error)}`;
      req.unpipe(parser);
      void drain().then(finish);
    });
    parser.on('close', finish);
    // The connection closed before the body's end (the browser gave up, the network failed):
    // busboy never hears of it, so the form ends here, with what came.
    req.on('close', () => {
      if (req.complete) return;
      problem ??= 'The form was cut short: the connection closed before it was all sent.';
      req.unpipe(parser);
      parser.destroy();
      // The file part would wait for bytes that will never come (paused, or mid-part).
      fileStream?.destroy();
      finish();
    });
    req.pipe(parser);
  });
}
