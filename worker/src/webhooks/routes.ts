import express, { Router } from 'express';
import type { ServiceContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import { PROCESS_STRIPE_EVENT } from '../jobs/processStripeEvent.js';
import { queueEventsWithoutJob } from './strandedEvents.js';
import { verifyStripeEvent, WebhookSignatureError } from './verify.js';
import { noteWebhookOutcome } from '../metrics/httpMetrics.js';

export const WEBHOOK_PATH = '/webhooks/stripe';

/**
 * Stripe's webhook endpoint. It answers 2xx only once the event is stored and has a job, so an
 * event is never acknowledged and then lost; a redelivery of an event not processed yet checks
 * that it has a job and queues one if not. A database outage becomes a 503, and Stripe retries.
 */
export function stripeWebhookRoutes(context: ServiceContext): Router {
  const router = Router();
  router.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    if (context.webhookSecrets.length === 0) throw new HttpError(503, 'No webhook endpoint secret is configured (STRIPE_WEBHOOK_SECRETS)');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event;
    try {
      event = verifyStripeEvent(raw, req.get('stripe-signature'), context.webhookSecrets);
    } catch (error) {
      if (error instanceof WebhookSignatureError) noteWebhookOutcome(res, 'bad_signature');
      throw error;
    }
    const accountId = event.account ?? context.platformAccountId;
    if (accountId === undefined) {
      throw new HttpError(503, `Event ${event.id} carries no account and STRIPE_PLATFORM_ACCOUNT is not set`);
    }
    const tenant = { accountId, livemode: event.livemode };
    req.log.info({ eventId: event.id, type: event.type, accountId }, 'stripe event received');

    // Two writes: the event, then its job. Nothing records "queued" on the event: a process that
    // dies between the two leaves a stored event with no job, which the redelivery (below) or
    // the recovery sweep (strandedEvents.ts) queues.
    const stored = await context.events.record(event, tenant, raw.toString('utf8'), context.clock.now());
    if (stored === 'new') {
      await context.queue.enqueue(PROCESS_STRIPE_EVENT, { eventId: event.id });
      noteWebhookOutcome(res, 'accepted');
      res.json({ received: true, duplicate: false });
      return;
    }
    const existing = await context.events.find(event.id);
    if (existing === null || existing.processedAt === null) await queueEventsWithoutJob(context, [event.id]);
    noteWebhookOutcome(res, 'duplicate');
    res.json({ received: true, duplicate: true });
  });
  return router;
}
