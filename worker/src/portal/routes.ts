import { calendarDateIn, isLinkUsable, isRequestTokenShape } from '@exemptions/shared';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { ServiceContext } from '../context.js';
import type { StoredFile } from '../files/fileStore.js';
import { readMultipartForm, type FilePieceSink } from '../files/multipartUpload.js';
import { safeFilename } from '../files/safeFilename.js';
import type { RequestDocument } from '../requests/requestDocument.js';
import { businessNameOf, markRequestOpened, submitRequest } from '../requests/requestFlows.js';
import { hashRequestToken } from '../requests/requestTokens.js';
import { PORTAL_PREFIX } from './links.js';
import {
  confirmationPage,
  emptyFormState,
  formPage,
  portalCss,
  problemPage,
  tooManyRequestsPage,
  unavailablePage,
  type JurisdictionRow,
  type RequestSummary,
} from './pages.js';
import { FILE_FIELD, parsePortalForm } from './portalForm.js';
import { PortalUpload } from './portalUpload.js';

export interface PortalOptions {
  /** Form submissions per client address per 15 minutes. */
  readonly submitLimit: number;
  /** Portal requests of any kind per client address per 15 minutes. */
  readonly requestLimit: number;
}

const FIFTEEN_MINUTES = 15 * 60_000;

/** The request path with the token hidden: tokens must not reach the logs. */
export function redactPortalPath(url: string): string {
  return url.replace(/(\/portal\/r\/)[^/?#]+/, '$1[token]');
}

/** Where the file sent to an unusable link goes: nowhere. */
const DROP: FilePieceSink = { write: () => Promise.resolve() };

function send(res: Response, status: number, body: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(body);
}

/**
 * The public customer portal at /portal: no login, the link's token is the only key. Its tenant
 * is the stored request the token's hash finds, never anything the browser says. Unknown,
 * expired, replaced and used links all get the same page and status.
 */
export function portalRoutes(context: ServiceContext, options: PortalOptions): Router {
  const router = Router();

  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  const tooMany = (_req: Request, res: Response): void => send(res, 429, tooManyRequestsPage());
  router.use(rateLimit({ windowMs: FIFTEEN_MINUTES, limit: options.requestLimit, standardHeaders: 'draft-8', legacyHeaders: false, handler: tooMany }));
  const submitLimiter = rateLimit({ windowMs: FIFTEEN_MINUTES, limit: options.submitLimit, standardHeaders: 'draft-8', legacyHeaders: false, handler: tooMany });

  router.get('/assets/portal.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(portalCss);
  });

  /** The request a link belongs to, if the link can be used now; null for every other case alike. */
  async function usableRequest(token: string): Promise<RequestDocument | null> {
    if (!isRequestTokenShape(token)) return null;
    const request = await context.requests.findByTokenHash(hashRequestToken(token));
    if (request === null || !isLinkUsable(request, context.clock.now().toISOString())) return null;
    return request;
  }

  async function summaryOf(request: RequestDocument): Promise<{ summary: RequestSummary; rows: JurisdictionRow[] }> {
    const settings = await context.settings.get(request);
    const renewed = request.renewsCertificateId === null ? null : await context.certificates.find(request, request.renewsCertificateId);
    const rows: JurisdictionRow[] = request.jurisdictions.map((code, index) => ({ index, fixedCode: code }));
    rows.push({ index: rows.length, fixedCode: null });
    return {
      summary: {
        businessName: businessNameOf(settings),
        customerName: request.customer.name,
        jurisdictions: request.jurisdictions,
        message: request.message,
        renewing: renewed === null ? null : { number: renewed.certificate.number },
        expiresOn: calendarDateIn(new Date(request.expiresAt), settings.timeZone),
      },
      rows,
    };
  }

  const action = (token: string): string => `${PORTAL_PREFIX}/r/${token}`;

  router.get('/r/:token', async (req, res) => {
    const token = String(req.params.token);
    const request = await usableRequest(token);
    if (request === null) return send(res, 404, unavailablePage());
    await markRequestOpened(context, request);
    const { summary, rows } = await summaryOf(request);
    send(res, 200, formPage(action(token), summary, rows, emptyFormState));
  });

  const readForm = (req: Request, file: (filename: string | null) => FilePieceSink) => readMultipartForm(req, { fileField: FILE_FIELD, maxFields: 300, maxFieldBytes: 8 * 1024, file });

  router.post('/r/:token', submitLimiter, async (req, res) => {
    const token = String(req.params.token);
    // The link is checked before the body is taken, so a file sent to an unusable one is never
    // stored. Its body is still read (and dropped), so every unusable link is answered alike and
    // the browser, still uploading, gets the answer rather than a reset connection.
    const request = await usableRequest(token);
    if (request === null) {
      await readForm(req, () => DROP);
      return send(res, 404, unavailablePage());
    }
    // The file goes to the store as it arrives, while the page's details are read; a form
    // refused, cut short or failing leaves no chunk behind.
    const upload = new PortalUpload(context.files, request, request._id);
    const [form, view] = await Promise.allSettled([readForm(req, () => upload), summaryOf(request)]);
    let stored: StoredFile | null = null;
    try {
      if (form.status === 'rejected') throw form.reason;
      if (view.status === 'rejected') throw view.reason;
      const { summary, rows } = view.value;
      const parsed = parsePortalForm(form.value, rows, upload.contentType);
      if (!parsed.ok) return send(res, parsed.status, formPage(action(token), summary, rows, parsed.state));
      ({ file: stored } = await upload.finish(safeFilename(parsed.file.filename, parsed.file.contentType)));
      const submitted = await submitRequest(context, request, parsed.submission, stored);
      if (submitted === null) return send(res, 404, unavailablePage());
      send(res, 200, confirmationPage(summary, { filename: submitted.submission?.file.filename ?? '', jurisdictions: parsed.submission.jurisdictions.map((j) => j.code) }));
    } finally {
      // Not stored: whatever was written goes (`finish` cleans up after itself when it fails).
      if (stored === null) await upload.abort();
    }
  });

  // Pages, not JSON: a failure inside the portal is shown to a person.
  const portalErrors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    // A link whose token is not even valid percent-encoding (`/portal/r/%E0%A4%A`) fails in the
    // router before any route runs; it is one more unusable link, and gets the same page.
    if (error instanceof URIError) {
      if (!res.headersSent) send(res, 404, unavailablePage());
      return;
    }
    req.log.error({ err: error }, 'portal error');
    if (!res.headersSent) send(res, 500, problemPage());
  };
  router.use(portalErrors);
  return router;
}
