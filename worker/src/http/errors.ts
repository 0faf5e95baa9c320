import type { ErrorRequestHandler, RequestHandler } from 'express';
import Stripe from 'stripe';
import { RequestTransitionError } from '@exemptions/shared';
import { isTransientDatabaseError } from '../db/errors.js';
import { StripeNotConfiguredError } from '../stripe/stripeGateway.js';

/** What a 503 for an unavailable database asks the caller to wait before retrying. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** An error whose message is safe to show the caller, with the HTTP status it maps to. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { message: `No route for ${req.method} ${req.path}` } });
};

/** The one place where errors become HTTP answers: known errors keep their status, others are a logged 500. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof HttpError) {
    res.status(error.status).json({ error: { message: error.message, details: error.details } });
    return;
  }
  // A request asked to do what its status forbids (approve a cancelled one, re-send a decided one).
  if (error instanceof RequestTransitionError) {
    res.status(409).json({ error: { message: `Request is ${error.status}: ${error.message}` } });
    return;
  }
  if (error instanceof StripeNotConfiguredError) {
    res.status(503).json({ error: { message: error.message } });
    return;
  }
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) {
    req.log.warn({ err: error }, 'Stripe unavailable');
    res.status(502).json({ error: { message: 'Stripe did not answer; try again shortly' } });
    return;
  }
  // Connection lost, no server, SQLite busy: the same request succeeds later, so the caller is
  // told to retry (Stripe redelivers a webhook that got a 5xx), not that something is broken.
  if (isTransientDatabaseError(error)) {
    req.log.warn({ err: error }, 'database unavailable');
    res.set('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    res.status(503).json({ error: { message: 'The database is unavailable; try again shortly' } });
    return;
  }
  // body-parser errors (malformed JSON, too large) carry a 4xx status of their own.
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : NaN;
  if (status >= 400 && status < 500) {
    res.status(status).json({ error: { message: (error as Error).message } });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  res.status(500).json({ error: { message: 'Internal error' } });
};
