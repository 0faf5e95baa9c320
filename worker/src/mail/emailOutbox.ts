import type { Collection, Db } from 'mongodb';
import type { Clock } from '../clock.js';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

/** The templates this service sends: to customers (request, reminder, approved, rejected) and merchants (the rest). */
export const emailTemplates = ['request', 'reminder', 'approved', 'rejected', 'submission_received', 'expiring_digest'] as const;

export type EmailTemplate = (typeof emailTemplates)[number];

/**
 * - `queued`: waiting for the send job (SMTP configured);
 * - `sent`: the SMTP server accepted it;
 * - `outbox`: kept here instead of sent, because no SMTP server is configured (local runs).
 */
export type EmailStatus = 'queued' | 'sent' | 'outbox';

export interface Email {
  /** The idempotency key: template + subject id + step. One email per key, ever. */
  readonly key: string;
  readonly template: EmailTemplate;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface EmailDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  template: EmailTemplate;
  to: string;
  subject: string;
  html: string;
  text: string;
  status: EmailStatus;
  createdAt: Date;
  sentAt: Date | null;
  attempts: number;
  lastError: string | null;
}

export const EMAILS = 'emails';

/**
 * Every email this service sends, keyed by its idempotency key (`_id`). Inserting the
 * document is what claims the key, so a retried job or a second worker that composes the
 * same email finds it there and sends nothing (a unique `_id` is atomic on FerretDB too).
 */
export class EmailOutbox {
  private readonly emails: Collection<EmailDocument>;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.emails = db.collection<EmailDocument>(EMAILS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.emails, [
      { key: { accountId: 1, livemode: 1, createdAt: -1 }, name: 'by_tenant' },
      { key: { status: 1, createdAt: 1 }, name: 'by_status' },
    ]);
  }

  /** Stores the email under its key; false when that key was used before (nothing changes then). */
  async add(tenant: Tenant, email: Email, status: 'queued' | 'outbox'): Promise<boolean> {
    const { key, ...content } = email;
    try {
      await this.emails.insertOne({
        _id: key,
        ...tenantFilter(tenant),
        ...content,
        status,
        createdAt: this.clock.now(),
        sentAt: null,
        attempts: 0,
        lastError: null,
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async has(tenant: Tenant, key: string): Promise<boolean> {
    return (await this.emails.countDocuments({ _id: key, ...tenantFilter(tenant) }, { limit: 1 })) > 0;
  }

  async find(tenant: Tenant, key: string): Promise<EmailDocument | null> {
    return this.emails.findOne({ _id: key, ...tenantFilter(tenant) });
  }

  async markSent(tenant: Tenant, key: string): Promise<void> {
    await this.emails.updateOne({ _id: key, ...tenantFilter(tenant) }, { $set: { status: 'sent', sentAt: this.clock.now(), lastError: null } });
  }

  /** Kept for the operator: the send job retries with backoff regardless. */
  async recordFailure(tenant: Tenant, key: string, attempts: number, message: string): Promise<void> {
    await this.emails.updateOne({ _id: key, ...tenantFilter(tenant) }, { $set: { attempts, lastError: message.slice(0, 500) } });
  }

  /** Queued emails older than `before` whose send job may have been lost (a crash between the insert and the enqueue). */
  async stuck(tenant: Tenant, before: Date): Promise<EmailDocument[]> {
    return this.emails.find({ ...tenantFilter(tenant), status: 'queued', createdAt: { $lt: before } }).limit(100).toArray();
  }

  /** The newest emails of every tenant: the development outbox route only. */
  async latest(limit: number, to?: string): Promise<EmailDocument[]> {
    return this.emails
      .find(to === undefined ? {} : { to })
      .sort({ createdAt: -1, _id: 1 })
      .limit(limit)
      .toArray();
  }
}
