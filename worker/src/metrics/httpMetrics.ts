import type { Request, RequestHandler, Response } from 'express';
import type { Metrics, WebhookOutcome } from './metrics.js';

/** Where the webhook route keeps how a delivery ended (`noteWebhookOutcome`), for the metrics. */
const WEBHOOK_OUTCOME = 'webhookOutcome';

/** Called by the webhook route once it knows what a delivery was; other endings are read from the status. */
export function noteWebhookOutcome(res: Response, outcome: WebhookOutcome): void {
  res.locals[WEBHOOK_OUTCOME] = outcome;
}

function webhookOutcomeOf(res: Response): WebhookOutcome {
  const noted = res.locals[WEBHOOK_OUTCOME] as WebhookOutcome | undefined;
  if (noted !== undefined) return noted;
  if (res.statusCode === 503) return 'unavailable';
  if (res.statusCode >= 500) return 'error';
  return 'rejected';
}

/**
 * The route pattern a request matched (`/api/v1/certificates/:id`), learnt at the moment Express
 * matches it: Express sets `req.route` then, while `req.baseUrl` is still the mount path of the
 * router the route is in (by the time an error reaches the app's error handler, `baseUrl` has
 * been reset to that of the app, and the prefix would be lost).
 */
function captureRoutePattern(req: Request): () => string | undefined {
  let route: unknown;
  let pattern: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: unknown) => {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (path !== undefined) pattern = `${req.baseUrl}${String(path)}`;
    },
  });
  return () => pattern;
}

/**
 * Counts and times every request by method, route pattern and status. A request no route
 * matched (refused by a router's middleware — a bad signature, a rate limit — or a 404) is
 * labelled with the mount it fell under (`/api/v1/*`), or `unmatched`: never its URL, which can
 * hold a portal or download token and is chosen by whoever sends it.
 */
export function requestMetrics(metrics: Metrics, options: { mounts: readonly string[]; webhookRoute: string }): RequestHandler {
  const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  const mountOf = (url: string): string => {
    const path = url.split('?')[0] ?? '';
    const mount = options.mounts.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    return mount === undefined ? 'unmatched' : `${mount}/*`;
  };
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const matched = captureRoutePattern(req);
    const originalUrl = req.originalUrl;
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = matched() ?? mountOf(originalUrl);
      const labels = { method: methods.has(req.method) ? req.method : 'OTHER', route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (req.method === 'POST' && route === options.webhookRoute) {
        const outcome = webhookOutcomeOf(res);
        metrics.webhooks.inc({ outcome });
        metrics.webhookDuration.observe({ outcome }, seconds);
      }
    };
    // `close` alone when the client hung up before the answer was sent.
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
