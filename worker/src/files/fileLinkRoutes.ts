import { instantSchema } from '@exemptions/shared';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { HttpError } from '../http/errors.js';
import { validate } from '../http/validate.js';
import { certificateIdParam, fileIdParam } from './fileRoutes.js';
import { FileLinkStore } from './fileLinkStore.js';
import { sendStoredFile } from './sendStoredFile.js';

/**
 * How long a download link works. Long enough to click it after asking for it, short enough
 * that a link left in a browser's history or a proxy log is soon worth nothing.
 */
export const FILE_LINK_LIFETIME_MS = 5 * 60_000;

/** Where download links point, outside /api/v1: a browser tab opens them without the app's signature. */
export const DOWNLOAD_PREFIX = '/downloads';

export const fileLinkSchema = z.object({
  url: z.url(),
  expiresAt: instantSchema,
});

export type FileLink = z.infer<typeof fileLinkSchema>;

/** A download link's token is a credential: it never reaches the logs. */
export function redactDownloadPath(url: string): string {
  return url.replace(/^(\/downloads\/)[^/?#]+/, '$1[token]');
}

/**
 * `POST /certificates/:id/files/:fileId/link` (signed, under /api/v1): a fresh short-lived
 * link to one file of one certificate of the caller's account and mode.
 */
export function fileLinkRoutes(context: ServiceContext): Router {
  const { certificates, links, db, clock } = context;
  const store = new FileLinkStore(db, clock);
  const router = Router();

  router.post('/certificates/:id/files/:fileId/link', async (req, res) => {
    const id = validate(certificateIdParam, req.params.id, 'certificate id');
    const fileId = validate(fileIdParam, req.params.fileId, 'file id');
    const tenant = tenantOf(res);
    const stored = await certificates.find(tenant, id);
    if (stored === null) throw new HttpError(404, `No certificate ${id} in this account`);
    const { files } = stored.certificate;
    if (files.length === 0) throw new HttpError(404, `Certificate ${id} has no file yet: upload one first`);
    // The certificate record is the authority on its files, as for the signed download.
    if (!files.some((file) => file.id === fileId)) throw new HttpError(404, `No file ${fileId} on certificate ${id}`);

    const issued = await store.issue({ tenant, certificateId: id, fileId }, tenant.userId, FILE_LINK_LIFETIME_MS);
    const body: FileLink = { url: `${links.baseUrl}${DOWNLOAD_PREFIX}/${issued.token}`, expiresAt: issued.expiresAt.toISOString() };
    res.status(201).set('Cache-Control', 'no-store').json(body);
  });

  return router;
}

/** Answers a link that opens nothing in plain words, for the browser tab the merchant opened. */
function refuse(res: Response, status: 404 | 410, message: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    })
    .send(message);
}

const NOT_VALID = 'This download link is not valid. Open the certificate in the Stripe Dashboard and get a new link.';
const EXPIRED = 'This download link has expired. Open the certificate in the Stripe Dashboard and get a new link.';

/**
 * `GET /downloads/:token` (public): the file a link names, as an attachment. The token is the
 * only key; the tenant, certificate and file come from what was stored with it, never from the
 * request. Unknown and tampered tokens get 404, expired ones 410, and neither says more.
 */
export function fileDownloadRoutes(context: ServiceContext): Router {
  const { certificates, files, db, clock } = context;
  const store = new FileLinkStore(db, clock);
  const router = Router();

  router.get(`${DOWNLOAD_PREFIX}/:token`, async (req, res) => {
    const resolved = await store.resolve(req.params.token);
    if (resolved.status === 'expired') return refuse(res, 410, EXPIRED);
    if (resolved.status === 'unknown') return refuse(res, 404, NOT_VALID);

    const { tenant, certificateId, fileId } = resolved.target;
    const stored = await certificates.find(tenant, certificateId);
    const onRecord = stored?.certificate.files.some((file) => file.id === fileId) ?? false;
    const download = onRecord ? await files.open(tenant, certificateId, fileId) : null;
    if (download === null) return refuse(res, 404, NOT_VALID);

    await sendStoredFile(res, download, {
      logger: req.log,
      logContext: { certificateId, fileId },
      headers: {
        'Content-Security-Policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
        // The URL holds the credential; nothing the file links to may learn it.
        'Referrer-Policy': 'no-referrer',
      },
    });
  });

  return router;
}
