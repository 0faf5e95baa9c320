import express, { type Express } from 'express';
import type { Metrics } from './metrics.js';
import { metricsRoutes } from './routes.js';

/**
 * The app behind METRICS_PORT: `GET /metrics` (same bearer token as on the main port) and
 * nothing else. It is how a jobs process, which serves no HTTP otherwise, is scraped.
 */
export function metricsServer(metrics: Metrics, token: string | undefined): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRoutes(metrics, token));
  app.use((_req, res) => {
    res.status(404).json({ error: { message: 'Only GET /metrics is served on this port' } });
  });
  return app;
}
