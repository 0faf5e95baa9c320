import { z } from 'zod';
import type { AccountSettings } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { syncCustomerCoverage } from '../coverage/syncCustomerCoverage.js';
import type { Tenant } from '../tenancy.js';
import type { EventOutcome } from './eventStore.js';
import { applyLedgerEvent } from '../ledger/applyLedgerEvent.js';

/** The metadata key on a draft invoice that names the certificate applied to it. */
export const CERTIFICATE_METADATA_KEY = 'exemption_certificate';

const expandable = z.union([z.string(), z.object({ id: z.string() })]).transform((value) => (typeof value === 'string' ? value : value.id));

const customerObject = z.object({ id: z.string().startsWith('cus_'), name: z.string().nullish(), email: z.string().nullish() });
const invoiceObject = z.object({ id: z.string().startsWith('in_'), customer: expandable.nullish(), status: z.string().nullish() });

/** The parts of an event this service reads; the rest is kept, unread, in the event store. */
export const stripeEventSchema = z.object({
  id: z.string().startsWith('evt_'),
  type: z.string(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export type StripeEventPayload = z.infer<typeof stripeEventSchema>;

/**
 * Applies one verified event. Every effect is idempotent (keyed writes, reads of the latest
 * state from Stripe), so a redelivery or a retry after a crash changes nothing more.
 * `settings`, when the caller has read them, spare the ledger a second read.
 */
export async function handleStripeEvent(context: ServiceContext, tenant: Tenant, event: StripeEventPayload, settings?: AccountSettings): Promise<EventOutcome> {
  switch (event.type) {
    case 'customer.created':
    case 'customer.updated': {
      const customer = customerObject.parse(event.data.object);
      await context.certificates.updateCustomerSummary(tenant, customer.id, { name: customer.name ?? null, email: customer.email ?? null });
      await syncCustomerCoverage(context, tenant, customer.id);
      return 'processed';
    }
    case 'invoice.created': {
      const invoice = invoiceObject.parse(event.data.object);
      // Only a draft still copies the customer's tax_exempt; a finalized invoice is frozen.
      if (invoice.status !== 'draft' || invoice.customer == null) return 'ignored';
      const sync = await syncCustomerCoverage(context, tenant, invoice.customer);
      if (!('certificateId' in sync)) return 'processed';
      const certificateId = sync.certificateId ?? '';
      await context.stripe.setInvoiceMetadata(
        tenant,
        invoice.id,
        { [CERTIFICATE_METADATA_KEY]: certificateId },
        `invoice_metadata:${invoice.id}:${certificateId || 'none'}`,
      );
      return 'processed';
    }
    case 'invoice.finalized':
    case 'invoice.voided':
    case 'credit_note.created':
    case 'credit_note.voided':
      await applyLedgerEvent(context, tenant, event.type, event.data.object, event.id, settings);
      return 'processed';
    case 'account.application.deauthorized':
      await context.settings.markDisabled(tenant, context.clock.now());
      return 'processed';
    default:
      return 'ignored';
  }
}
