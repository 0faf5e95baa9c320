import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { handleStripeEvent, stripeEventSchema } from '../webhooks/handleEvent.js';
import { defineJob } from './scheduler.js';

export const PROCESS_STRIPE_EVENT = 'process-stripe-event';

export const processStripeEventData = z.object({ eventId: z.string().startsWith('evt_') });

/** Processes one stored Stripe event; the event id keeps a redelivered or retried event from acting twice. */
export function processStripeEventJob(context: ServiceContext) {
  return defineJob({
    name: PROCESS_STRIPE_EVENT,
    data: processStripeEventData,
    logFields: ({ eventId }) => ({ eventId }),
    handler: async ({ eventId }, _job, log) => {
      const stored = await context.events.find(eventId);
      if (stored === null || stored.processedAt !== null) return;
      const tenant = { accountId: stored.accountId, livemode: stored.livemode };
      const event = stripeEventSchema.parse(JSON.parse(stored.payload));
      // One read for both: whether the account is disabled, and the settings the ledger needs.
      const { settings, disabled } = await context.settings.read(tenant);
      const skipped = disabled && event.type !== 'account.application.deauthorized';
      const outcome = skipped ? 'skipped_disabled_account' : await handleStripeEvent({ ...context, logger: log }, tenant, event, settings);
      await context.events.markProcessed(eventId, outcome, context.clock.now());
      log.info({ type: stored.type, accountId: tenant.accountId, outcome }, 'stripe event processed');
    },
  });
}
