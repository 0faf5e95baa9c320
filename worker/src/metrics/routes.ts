import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether an `Authorization` header carries the bearer token. Both sides are hashed first, so
 * the comparison is constant-time whatever the lengths (and a length says nothing either).
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const presented = match?.[1] ?? '';
  // Compared even when absent, so a missing header takes as long as a wrong one.
  return timingSafeEqual(digest(presented), digest(token)) && presented !== '';
}

/**
 * `GET /metrics` in the Prometheus text format, behind a bearer token (METRICS_TOKEN). Without a
 * token configured there is no such route (404, like any unknown path); with one, a request
 * without it or with another gets 401 and nothing else.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  if (token === undefined) return router;
  router.get(METRICS_PATH, async (req, res) => {
    if (!bearerTokenMatches(req.get('authorization'), token)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"').set('Cache-Control', 'no-store');
      res.status(401).json({ error: { message: 'A valid bearer token (METRICS_TOKEN) is required' } });
      return;
    }
    const { contentType, body } = await metrics.exposition();
    res.status(200).set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' }).send(body);
  });
  return router;
}
