import { addDays, calendarDateIn, daysBetween, dueReminderStep, nextExpirationDate, reminderKey } from '@exemptions/shared';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { expiringDigestEmail, reminderEmail } from '../mail/templates.js';
import type { Tenant } from '../tenancy.js';
import { businessNameOf, createRenewalRequest, finishApproval, finishRejection } from './requestFlows.js';

/** Customer and merchant emails go out from this hour of the account's day on (its time zone). */
export const DAILY_SEND_HOUR = 8;

/** How long a queued email may wait before its send job is presumed lost and queued again. */
const STUCK_EMAIL_MS = 10 * 60_000;

export interface DailySummary {
  readonly expired: number;
  readonly finished: number;
  readonly reminders: number;
  readonly renewals: number;
  readonly digest: boolean;
}

function localHour(now: Date, timeZone: string): number {
  const hour = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' }).format(now);
  return Number.parseInt(hour, 10);
}

/**
 * One account's daily work, on the account's calendar: expire links, finish interrupted
 * reviews, and — from DAILY_SEND_HOUR local time — reminders, renewal requests and the
 * merchant digest. It runs every hour; every email is keyed (certificate + expiration + step,
 * or account + day), so the runs after the first in a day send nothing new.
 */
export async function runDailyRequestTasks(context: ServiceContext, tenant: Tenant): Promise<DailySummary> {
  if (await context.settings.isDisabled(tenant)) return { expired: 0, finished: 0, reminders: 0, renewals: 0, digest: false };
  const settings = await context.settings.get(tenant);
  const now = context.clock.now();
  const nowIso = now.toISOString();
  const today = calendarDateIn(now, settings.timeZone);

  let expired = 0;
  for (const request of await context.requests.expiredLinks(tenant, nowIso)) {
    await context.requests.save({ ...request, status: 'expired', updatedAt: nowIso });
    expired += 1;
  }

  let finished = 0;
  for (const { request, review } of await context.requests.decidedButUnfinished(tenant)) {
    await (review.decision === 'approved' ? finishApproval(context, request, review) : finishRejection(context, request, review));
    finished += 1;
  }

  if (context.mailer.usesSmtp) {
    for (const email of await context.mailer.outbox.stuck(tenant, new Date(now.getTime() - STUCK_EMAIL_MS))) await context.mailer.enqueue(tenant, email._id);
  }

  if (localHour(now, settings.timeZone) < DAILY_SEND_HOUR) return { expired, finished, reminders: 0, renewals: 0, digest: false };

  let reminders = 0;
  let renewals = 0;
  const firstStep = Math.max(...settings.reminderDays);
  const horizon = addDays(today, firstStep);
  for (const stored of await context.certificates.expiringBetween(tenant, today, horizon)) {
    const { certificate, customer } = stored;
    const expiration = nextExpirationDate(certificate, today);
    if (expiration === null) continue;
    const step = dueReminderStep(expiration, settings.reminderDays, today);
    if (step === null) continue;
    // With automatic renewals, the first notice is the renewal request itself (with its link).
    if (settings.autoRenewalRequests && step === firstStep) {
      if ((await createRenewalRequest(context, tenant, stored, expiration)) !== null) renewals += 1;
      continue;
    }
    const key = reminderKey(certificate.id, expiration, step);
    if (customer.email === null || customer.email === '' || (await context.mailer.outbox.has(tenant, key))) continue;
    const open = await context.requests.openForCustomer(tenant, certificate.customerId);
    // A customer who already sent the renewal is waiting on the merchant, not the other way round.
    if (open.some((r) => r.status === 'submitted')) continue;
    const waiting = open.find((r) => r.status === 'sent' || r.status === 'opened');
    const composed = reminderEmail({
      businessName: businessNameOf(settings),
      customerName: customer.name,
      certificateNumber: certificate.number,
      jurisdictions: certificate.jurisdictions.filter((j) => j.expirationDate === expiration).map((j) => j.code),
      expirationDate: expiration,
      daysLeft: daysBetween(today, expiration),
      requestSentOn: waiting === undefined ? null : calendarDateIn(new Date(waiting.sentAt), settings.timeZone),
    });
    if (await context.mailer.send(tenant, { key, template: 'reminder', to: customer.email, ...composed })) reminders += 1;
  }

  let digest = false;
  const digestKey = `expiring_digest:${tenant.accountId}:${tenant.livemode ? 'live' : 'test'}:${today}`;
  if (settings.merchantNotificationEmail !== null && !(await context.mailer.outbox.has(tenant, digestKey))) {
    const basis = statusBasisFor(settings, context.clock);
    const page = await context.certificates.search(tenant, { status: 'expiring_soon', sort: 'expiration', limit: 100 }, basis);
    const awaitingReview = await context.requests.countSubmitted(tenant);
    if (page.items.length > 0 || awaitingReview > 0) {
      const composed = expiringDigestEmail({
        today,
        expiring: page.items.map(({ certificate, customer }) => ({
          customerName: customer.name,
          customerId: certificate.customerId,
          certificateId: certificate.id,
          expirationDate: nextExpirationDate(certificate, today) ?? '',
        })),
        awaitingReview,
      });
      digest = await context.mailer.send(tenant, { key: digestKey, template: 'expiring_digest', to: settings.merchantNotificationEmail, ...composed });
    }
  }
  return { expired, finished, reminders, renewals, digest };
}
