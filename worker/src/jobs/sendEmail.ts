import { backoffStrategies } from 'agenda';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { withKeyLock } from '../db/keyLock.js';
import { SEND_EMAIL } from '../mail/mailer.js';
import { defineJob } from './scheduler.js';

export { SEND_EMAIL };

export const sendEmailData = z.object({
  accountId: z.string().startsWith('acct_'),
  livemode: z.boolean(),
  emailId: z.string().min(1),
});

/**
 * Delivers one stored email over SMTP. A failure (server down, 4xx greylisting) throws, and
 * Agenda retries with exponential backoff; an email already marked sent is not sent again.
 * The same email may have several jobs (a re-queued "stuck" email, a redelivered job), so the
 * check-send-mark runs under a lock on the email's key: a second job waits its turn and then
 * finds it sent. Between the server's acceptance and `markSent` a crash can still send it
 * twice: SMTP has no idempotency, so the Message-ID (derived from the key) lets a mail
 * system spot it.
 */
export function sendEmailJob(context: ServiceContext) {
  return defineJob({
    name: SEND_EMAIL,
    data: sendEmailData,
    backoff: backoffStrategies.exponential({ delay: 1_000, maxRetries: 8 }),
    logFields: ({ accountId, livemode, emailId }) => ({ accountId, livemode, emailKey: emailId }),
    handler: async ({ accountId, livemode, emailId }, job) => {
      const tenant = { accountId, livemode };
      await withKeyLock(context.db, `email:${accountId}:${livemode}:${emailId}`, 60_000, async () => {
        const email = await context.mailer.outbox.find(tenant, emailId);
        if (email === null || email.status !== 'queued') return;
        try {
          await context.mailer.deliver(email);
        } catch (error) {
          context.metrics.recordEmail('failed');
          const message = error instanceof Error ? error.message : String(error);
          await context.mailer.outbox.recordFailure(tenant, emailId, (job.attrs.failCount ?? 0) + 1, message);
          // Logged once, as the job's failure (scheduler.ts), with the email key.
          throw error;
        }
        context.metrics.recordEmail('sent');
        await context.mailer.outbox.markSent(tenant, emailId);
      });
    },
  });
}
