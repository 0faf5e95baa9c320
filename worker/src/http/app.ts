import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import { pingDatabase } from '../db/connect.js';
import { createApiRouter } from './api.js';
import { stripeWebhookRoutes } from '../webhooks/routes.js';
import type { ServiceContext } from '../context.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { outboxRoutes } from '../mail/outboxRoutes.js';
import { PORTAL_PREFIX } from '../portal/links.js';
import { portalRoutes, redactPortalPath } from '../portal/routes.js';
import { DOWNLOAD_PREFIX, fileDownloadRoutes, redactDownloadPath } from '../files/fileLinkRoutes.js';
import { requestMetrics } from '../metrics/httpMetrics.js';
import { METRICS_PATH, metricsRoutes } from '../metrics/routes.js';
import { WEBHOOK_PATH } from '../webhooks/routes.js';

export function createApp(context: ServiceContext): Express {
  const { db, logger } = context;
  const app = express();
  app.disable('x-powered-by');
  // Route patterns only (never raw URLs): unmatched requests are labelled by the mount they fell under.
  app.use(requestMetrics(context.metrics, { mounts: ['/api/v1', PORTAL_PREFIX, DOWNLOAD_PREFIX], webhookRoute: WEBHOOK_PATH }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === METRICS_PATH },
      // Portal and download links' tokens are credentials: they never reach the logs.
      serializers: { req: (req: { url?: string; params?: unknown }) => ({ ...req, url: redactDownloadPath(redactPortalPath(req.url ?? '')), params: undefined }) },
    }),
  );

  // Liveness: the process is up. Readiness: it can reach its database, so a balancer may route to it.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await pingDatabase(db);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'database unavailable' });
  });
  // Prometheus, behind METRICS_TOKEN (404 without one); see docs/operations.md, "Monitoring".
  app.use(metricsRoutes(context.metrics, context.metricsToken));

  // The webhook reads its raw body itself: it is mounted before any body parser.
  app.use(stripeWebhookRoutes(context));
  app.use('/api/v1', createApiRouter(context));
  // The customer portal: public pages with their own CSP, rate limits and error pages.
  app.use(PORTAL_PREFIX, portalRoutes(context, context.portal));
  // Short-lived links to certificate files, opened in a browser tab that cannot sign (the token is the key).
  app.use(fileDownloadRoutes(context));
  if (context.portal.outboxRoute) app.use(outboxRoutes(context));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
