import Stripe from 'stripe';
import { HttpError } from '../http/errors.js';

/** A webhook whose signature does not verify under any configured endpoint secret: 400, nothing stored. */
export class WebhookSignatureError extends HttpError {
  override name = 'WebhookSignatureError';
  constructor(message: string) {
    super(400, message);
  }
}

/**
 * Verifies a Stripe webhook against the raw body bytes. Two secrets may be configured while an
 * endpoint secret is rolled. The tolerance is passed explicitly rather than left to the SDK default.
 */
export function verifyStripeEvent(rawBody: Buffer, header: string | undefined, secrets: readonly string[], toleranceSeconds = 300): Stripe.Event {
  if (header === undefined || header === '') throw new WebhookSignatureError('Missing Stripe-Signature header');
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      return Stripe.webhooks.constructEvent(rawBody, header, secret, toleranceSeconds);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) throw error;
      lastError = error;
    }
  }
  throw new WebhookSignatureError(
    `Webhook signature verification failed: ${lastError instanceof Error ? lastError.message.split('\n')[0] : 'no endpoint secret configured'}`,
  );
}
