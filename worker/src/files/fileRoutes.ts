import { createHash } from 'node:crypto';
import {
  attachCertificateFile,
  certificateLimits,
  CertificateArchivedError,
  VersionConflictError,
  type Actor,
  type CertificateFile,
} from '@exemptions/shared';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { StatusBasis, StoredCertificate } from '../certificates/certificateRepository.js';
import { certificateView } from '../certificates/certificateView.js';
import { parseJsonBody } from '../http/auth/jsonBody.js';
import { tenantOf } from '../http/auth/tenant.js';
import type { ServiceContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { StripeFileTooLargeError } from '../stripe/gateway.js';
import { FileRejectedError } from './fileRejectedError.js';
import { isStoredFileId } from './fileStore.js';
import { readSingleFileUpload, UPLOAD_FIELD } from './multipartUpload.js';
import { safeFilename } from './safeFilename.js';
import { sendStoredFile } from './sendStoredFile.js';
import { sniffContentType, UnsupportedContentTypeError } from './sniffContentType.js';

/** The purpose `StripeFileUploader` gives merchant uploads; other files (identity documents, dispute evidence) are not ours to copy. */
export const STRIPE_FILE_PURPOSE = 'tax_document_user_upload';

export const certificateIdParam = z.string().regex(/^cert_[0-9a-f]{24}$/, 'must be a certificate id (cert_…)');
export const fileIdParam = z.string().refine(isStoredFileId, 'must be a certificate file id (cfile_…)');

export const attachStripeFileSchema = z.strictObject({
  stripeFileId: z.string().regex(/^file_[A-Za-z0-9]{1,250}$/, 'must be a Stripe file id (file_…)'),
});

/** Attempts at attaching before a stream of concurrent edits is reported as a conflict. */
const ATTACH_ATTEMPTS = 3;

interface IncomingFile {
  /** The request field the bytes came in, named in every refusal. */
  readonly field: string;
  readonly filename: string | null;
  readonly bytes: Buffer;
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No certificate ${id} in this account`);
}

/**
 * Certificate files: attach a merchant's Stripe File by id, upload one directly (operators),
 * and download the stored copy. Mounted before `parseJsonBody`, since the upload route reads
 * the verified multipart body itself; the JSON route parses its own body.
 */
export function fileRoutes(context: ServiceContext): Router {
  const { certificates, settings, stripe, files, clock } = context;
  const router = Router();

  async function basisOf(res: Response): Promise<StatusBasis> {
    return statusBasisFor(await settings.get(tenantOf(res)), clock);
  }

  async function conflict(res: Response, id: string, message: string): Promise<HttpError> {
    const current = await certificates.find(tenantOf(res), id);
    return new HttpError(409, message, { current: current === null ? null : certificateView(current, await basisOf(res)) });
  }

  /** The certificate a file may be attached to: it exists in this tenant (404) and is not archived (409). */
  async function attachable(res: Response, id: string): Promise<StoredCertificate> {
    const stored = await certificates.find(tenantOf(res), id);
    if (stored === null) throw notFound(id);
    if (stored.certificate.archivedAt !== null) throw await conflict(res, id, new CertificateArchivedError(id).message);
    return stored;
  }

  /**
   * Checks the bytes, keeps a copy and records it on the certificate as a new version. Every
   * refusal comes before the first write. The same bytes twice are one file: the second call
   * answers 200 with the first call's file and adds no version.
   */
  async function storeAndAttach(res: Response, before: StoredCertificate, incoming: IncomingFile): Promise<void> {
    const { field, bytes } = incoming;
    const tenant = tenantOf(res);
    const id = before.certificate.id;
    if (bytes.length === 0) throw new FileRejectedError(422, field, 'the file is empty');
    if (bytes.length > certificateLimits.fileBytes) {
      throw new FileRejectedError(413, field, `the file is ${bytes.length} bytes, more than ${certificateLimits.fileBytes} (10 MiB)`);
    }
    const contentType = await sniffContentType(bytes).catch((error: unknown) => {
      if (error instanceof UnsupportedContentTypeError) throw new FileRejectedError(415, field, error.message);
      throw error;
    });

    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const basis = await basisOf(res);
    const reply = (status: number, file: CertificateFile, stored: StoredCertificate): void => {
      res.status(status).json({ file, certificate: certificateView(stored, basis) });
    };

    let current = before;
    const attached = current.certificate.files.find((file) => file.sha256 === sha256);
    if (attached !== undefined) return reply(200, attached, current);
    if (current.certificate.files.length >= certificateLimits.filesPerCertificate) {
      throw await conflict(res, id, `certificate ${id} already holds ${certificateLimits.filesPerCertificate} files, the most it can`);
    }

    const { file } = await files.put(tenant, id, safeFilename(incoming.filename, contentType), bytes, contentType);
    const actor: Actor = { type: 'user', id: tenant.userId };
    for (let attempt = 1; ; attempt += 1) {
      try {
        const after = attachCertificateFile(current.certificate, file, clock.now().toISOString());
        await certificates.saveNextVersion(current, after, basis, actor, 'file_attached');
        return reply(201, file, { certificate: after, customer: current.customer });
      } catch (error) {
        if (error instanceof CertificateArchivedError) throw await conflict(res, id, error.message);
        if (!(error instanceof VersionConflictError)) throw error;
        if (attempt >= ATTACH_ATTEMPTS) throw await conflict(res, id, error.message);
      }
      // Someone else changed the certificate meanwhile (an edit, or this same file): attach to what is there now.
      const reloaded = await certificates.find(tenant, id);
      if (reloaded === null) throw notFound(id);
      current = reloaded;
      const winner = current.certificate.files.find((existing) => existing.sha256 === sha256);
      if (winner !== undefined) return reply(200, winner, current);
    }
  }

  router.post('/certificates/:id/files', parseJsonBody, async (req, res) => {
    const id = validate(certificateIdParam, req.params.id, 'certificate id');
    const { stripeFileId } = validate(attachStripeFileSchema, req.body, 'body');
    const before = await attachable(res, id);
    const download = await stripe.downloadFile(tenantOf(res), stripeFileId, certificateLimits.fileBytes).catch((error: unknown) => {
      if (error instanceof StripeFileTooLargeError) {
        throw new FileRejectedError(413, 'stripeFileId', `Stripe file ${stripeFileId} is larger than ${certificateLimits.fileBytes} bytes (10 MiB)`);
      }
      throw error;
    });
    if (download === null) throw new FileRejectedError(422, 'stripeFileId', `no file ${stripeFileId} in this Stripe account`);
    if (download.purpose !== STRIPE_FILE_PURPOSE) {
      throw new FileRejectedError(422, 'stripeFileId', `Stripe file ${stripeFileId} has purpose ${download.purpose}; certificates are uploaded with purpose ${STRIPE_FILE_PURPOSE}`);
    }
    await storeAndAttach(res, before, { field: 'stripeFileId', filename: download.filename, bytes: download.bytes });
  });

  router.post('/certificates/:id/files/upload', async (req, res) => {
    const id = validate(certificateIdParam, req.params.id, 'certificate id');
    const upload = await readSingleFileUpload(req);
    const before = await attachable(res, id);
    await storeAndAttach(res, before, { field: UPLOAD_FIELD, filename: upload.filename, bytes: upload.bytes });
  });

  router.get('/certificates/:id/files/:fileId', async (req, res) => {
    const id = validate(certificateIdParam, req.params.id, 'certificate id');
    const fileId = validate(fileIdParam, req.params.fileId, 'file id');
    const tenant = tenantOf(res);
    const stored = await certificates.find(tenant, id);
    if (stored === null) throw notFound(id);
    // The certificate record is the authority on its files: a copy stored by an attach that then lost is not served.
    const download = stored.certificate.files.some((file) => file.id === fileId) ? await files.open(tenant, id, fileId) : null;
    if (download === null) throw new HttpError(404, `No file ${fileId} on certificate ${id}`);

    await sendStoredFile(res, download, { logger: req.log, logContext: { certificateId: id, fileId } });
  });

  return router;
}
