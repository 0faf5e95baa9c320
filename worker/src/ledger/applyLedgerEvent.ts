import {
  entriesForCreditNote,
  entriesForInvoice,
  negationsForVoid,
  reversalsForCreditNoteVoid,
  type Certificate,
  type LedgerContext,
  type LedgerEntry,
} from '@exemptions/shared';
import type { AccountSettings } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { withKeyLock, withKeyLocks } from '../db/keyLock.js';
import { ledgerContextFor } from './ledgerContextFor.js';
import type { Tenant } from '../tenancy.js';
import { creditNoteFacts, invoiceFacts, stripeCreditNoteSchema, stripeInvoiceSchema, type StripeInvoice } from './stripeFacts.js';

/** The invoice is not in Stripe (or not in this mode): a credit note for it cannot be booked. */
export class UnknownInvoiceError extends Error {
  override name = 'UnknownInvoiceError';
}

/**
 * Work on one invoice's ledger holds this lock. Its few writes take milliseconds; a lock left by
 * a killed process is taken over after this long, well within a job's retries.
 */
export const LEDGER_LOCK_TTL_MS = 10_000;

export function ledgerLockKey(tenant: Tenant, invoiceId: string): string {
  return `ledger:${tenant.accountId}:${tenant.livemode}:${invoiceId}`;
}

export type LedgerEventType = 'invoice.finalized' | 'invoice.voided' | 'credit_note.created' | 'credit_note.voided';


/**
 * Books the invoice's original entries unless they are there already. Returns all its entries
 * when `entriesNeeded` (a void or credit note builds on them); `invoice.finalized` needs none,
 * which spares the read back. `certificates`, when given, is the customer's certificates read
 * already (concurrently with taking the lock).
 */
async function ensureInvoiceBooked(
  context: ServiceContext,
  tenant: Tenant,
  invoice: StripeInvoice,
  eventId: string,
  ledger: LedgerContext,
  options: { readonly entriesNeeded: boolean; readonly certificates?: Promise<Certificate[]> } = { entriesNeeded: true },
): Promise<LedgerEntry[]> {
  const existing = await context.ledger.find(tenant, { invoiceId: invoice.id });
  if (existing.length > 0) return existing;
  const certificates = await (options.certificates ?? certificatesOf(context, tenant, invoice.customer));
  const facts = await invoiceFacts(invoice, tenant, context.taxRates);
  await context.ledger.append(tenant, entriesForInvoice({ invoice: facts, certificates, eventId }, ledger), context.clock.now());
  return options.entriesNeeded ? context.ledger.find(tenant, { invoiceId: invoice.id }) : [];
}

async function certificatesOf(context: ServiceContext, tenant: Tenant, customerId: string): Promise<Certificate[]> {
  return (await context.certificates.ofCustomer(tenant, customerId)).map((stored) => stored.certificate);
}

/** A read started before the lock is taken, awaited inside it; if the lock fails first, its failure is not left unhandled. */
function early<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

async function invoiceFromStripe(context: ServiceContext, tenant: Tenant, invoiceId: string): Promise<StripeInvoice> {
  const raw = await context.stripe.retrieveInvoice(tenant, invoiceId);
  if (raw === null) throw new UnknownInvoiceError(`invoice ${invoiceId} is not in this Stripe account and mode`);
  return stripeInvoiceSchema.parse(raw);
}

/**
 * Turns invoice and credit-note events into ledger entries. Work on one invoice is serialised
 * by a lock (a void computed without a concurrent credit note would negate too much); events
 * may come in any order, so whatever an event builds on is booked first if it is missing.
 * Entry ids are deterministic, so a retried or redelivered event adds nothing.
 */
export async function applyLedgerEvent(
  context: ServiceContext,
  tenant: Tenant,
  type: LedgerEventType,
  object: unknown,
  eventId: string,
  settings?: AccountSettings,
): Promise<void> {
  const invoiceId = type.startsWith('invoice.') ? stripeInvoiceSchema.parse(object).id : stripeCreditNoteSchema.parse(object).invoice;
  // Read while the lock is being taken, not after: the lock serialises writes to this invoice's
  // entries, and neither the settings, the filed periods nor the certificates are written under
  // it, so reading them first sees what reading them under it would.
  const ledgerRead = early(ledgerContextFor(context, tenant, settings));
  // A finalized invoice is almost never booked yet, so its customer's certificates will be needed.
  const finalized = type === 'invoice.finalized' ? stripeInvoiceSchema.parse(object) : null;
  const certificates = finalized === null ? undefined : early(certificatesOf(context, tenant, finalized.customer));
  await withKeyLock(context.db, ledgerLockKey(tenant, invoiceId), LEDGER_LOCK_TTL_MS, async () => {
    const ledger = await ledgerRead;
    const now = context.clock.now();
    switch (type) {
      case 'invoice.finalized':
        await ensureInvoiceBooked(context, tenant, finalized ?? stripeInvoiceSchema.parse(object), eventId, ledger, { entriesNeeded: false, certificates });
        return;
      case 'invoice.voided': {
        const invoice = stripeInvoiceSchema.parse(object);
        const entries = await ensureInvoiceBooked(context, tenant, invoice, eventId, ledger);
        await context.ledger.append(tenant, negationsForVoid({ entries, invoiceId: invoice.id, eventId }, ledger), now);
        return;
      }
      case 'credit_note.created':
      case 'credit_note.voided': {
        const note = stripeCreditNoteSchema.parse(object);
        const invoice = await invoiceFromStripe(context, tenant, note.invoice);
        let entries = await ensureInvoiceBooked(context, tenant, invoice, eventId, ledger);
        // A void may arrive before its creation: book the credit first, then reverse it.
        await context.ledger.append(tenant, entriesForCreditNote({ entries, creditNote: creditNoteFacts(note) }, ledger), now);
        if (type === 'credit_note.voided') {
          entries = await context.ledger.find(tenant, { invoiceId: invoice.id });
          await context.ledger.append(tenant, reversalsForCreditNoteVoid({ entries, invoiceId: invoice.id, creditNoteId: note.id }, ledger), now);
        }
        return;
      }
    }
  });
}

/** An `invoice.finalized` event of a batch: its id (the entries' cause) and the invoice Stripe sent. */
export interface FinalizedInvoiceEvent {
  readonly eventId: string;
  readonly object: unknown;
}

/**
 * `applyLedgerEvent` for several `invoice.finalized` events of one account, in a constant number
 * of round trips: the invoices' locks taken together (`withKeyLocks`), one read each of the filed
 * periods, the customers' certificates and the invoices' entries, one `insertMany` of the new
 * entries. Each invoice gets the entries `applyLedgerEvent` would book, under its own lock, so the
 * two may run side by side. An invoice finalized twice (two events) is booked once, by the first.
 *
 * Answers the events it did not book because their invoice could not be (not parsed, not
 * finalized, …), for the caller to apply one by one, which tells why. If it throws, some or none
 * of the others were booked: applying them one by one then finds what was.
 */
export async function bookFinalizedInvoices(context: ServiceContext, tenant: Tenant, events: readonly FinalizedInvoiceEvent[], settings?: AccountSettings): Promise<FinalizedInvoiceEvent[]> {
  const unbooked: FinalizedInvoiceEvent[] = [];
  const invoices = new Map<string, { invoice: StripeInvoice; event: FinalizedInvoiceEvent }>();
  for (const event of events) {
    const parsed = stripeInvoiceSchema.safeParse(event.object);
    if (!parsed.success) unbooked.push(event);
    else if (!invoices.has(parsed.data.id)) invoices.set(parsed.data.id, { invoice: parsed.data, event });
  }
  const invoiceIds = [...invoices.keys()];
  if (invoiceIds.length === 0) return unbooked;
  // Read while the locks are being taken, as `applyLedgerEvent` does, and for the same reason.
  const ledgerRead = early(ledgerContextFor(context, tenant, settings));
  const customerIds = [...new Set([...invoices.values()].map(({ invoice }) => invoice.customer))];
  const certificatesRead = early(context.certificates.ofCustomers(tenant, customerIds));
  await withKeyLocks(context.db, invoiceIds.map((invoiceId) => ledgerLockKey(tenant, invoiceId)), LEDGER_LOCK_TTL_MS, async () => {
    const [ledger, certificates, existing] = await Promise.all([ledgerRead, certificatesRead, context.ledger.findByInvoices(tenant, invoiceIds)]);
    const entries: LedgerEntry[] = [];
    for (const { invoice, event } of invoices.values()) {
      if ((existing.get(invoice.id) ?? []).length > 0) continue;
      try {
        const facts = await invoiceFacts(invoice, tenant, context.taxRates);
        const ofCustomer = (certificates.get(invoice.customer) ?? []).map((stored) => stored.certificate);
        entries.push(...entriesForInvoice({ invoice: facts, certificates: ofCustomer, eventId: event.eventId }, ledger));
      } catch {
        unbooked.push(event);
      }
    }
    await context.ledger.appendMany(tenant, entries, context.clock.now());
  });
  return unbooked;
}
