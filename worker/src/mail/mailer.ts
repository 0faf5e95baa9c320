import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { JobQueue } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { Tenant } from '../tenancy.js';
import type { Email, EmailDocument, EmailOutbox } from './emailOutbox.js';

/** The job that delivers one queued email; see jobs/sendEmail.ts. */
export const SEND_EMAIL = 'send-email';

export interface MailerOptions {
  readonly outbox: EmailOutbox;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** smtp:// or smtps:// URL; without one, emails stay in the outbox. */
  readonly smtpUrl: string | undefined;
  readonly from: string;
}

/**
 * Sends email once per idempotency key. `send` stores the email under its key and hands it to
 * the send job, which delivers it over SMTP with retries; without SMTP the stored copy is the
 * delivery (read at /dev/outbox when enabled). Callers compose and call `send` freely: a key
 * seen before changes nothing.
 */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(private readonly options: MailerOptions) {
    this.transport = options.smtpUrl === undefined ? null : nodemailer.createTransport(options.smtpUrl);
  }

  get usesSmtp(): boolean {
    return this.transport !== null;
  }

  get outbox(): EmailOutbox {
    return this.options.outbox;
  }

  /** True when this call stored the email (a first use of its key). */
  async send(tenant: Tenant, email: Email): Promise<boolean> {
    const added = await this.options.outbox.add(tenant, email, this.transport === null ? 'outbox' : 'queued');
    if (added && this.transport !== null) await this.enqueue(tenant, email.key);
    return added;
  }

  async enqueue(tenant: Tenant, key: string): Promise<void> {
    await this.options.queue.enqueue(SEND_EMAIL, { accountId: tenant.accountId, livemode: tenant.livemode, emailId: key });
  }

  /**
   * Hands one stored email to the SMTP server. The Message-ID is derived from the key, so a
   * resend after a lost acknowledgement is recognisably the same message.
   */
  async deliver(email: EmailDocument): Promise<void> {
    if (this.transport === null) return;
    const id = createHash('sha256').update(`${email.accountId}:${email.livemode}:${email._id}`).digest('hex').slice(0, 32);
    await this.transport.sendMail({
      from: this.options.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: `<${id}@exemptions.invalid>`,
      headers: { 'X-Exemptions-Template': email.template },
    });
  }

  close(): void {
    this.transport?.close();
  }
}
