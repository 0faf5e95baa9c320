import {
  customerJurisdiction,
  decideTaxExempt,
  findCoveringCertificate,
  type CalendarDate,
  type Certificate,
  type CoveringCertificate,
  type SyncPolicy,
  type TaxExemptDecision,
} from '@exemptions/shared';
import { statusBasisFor, type AccountSettingsRepository } from '../accounts/accountSettings.js';
import type { CertificateRepository } from '../certificates/certificateRepository.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { StripeGateway } from '../stripe/gateway.js';
import type { Tenant } from '../tenancy.js';
import type { RequestRepository } from '../requests/requestRepository.js';
import type { TaxExemptMemoryStore } from './taxExemptMemory.js';

export interface CoverageDependencies {
  readonly stripe: StripeGateway;
  readonly certificates: CertificateRepository;
  readonly settings: AccountSettingsRepository;
  readonly taxExemptMemory: TaxExemptMemoryStore;
  readonly requests: Pick<RequestRepository, 'openForCustomer'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type CoverageSync =
  | { readonly outcome: 'account_disabled' | 'customer_missing' }
  | { readonly outcome: TaxExemptDecision['action']; readonly certificateId: string | null; readonly jurisdiction: string | null };

/** What coverage is decided on: a stored certificate, or under include_pending a submission awaiting review. */
export type CoverageCandidate = Pick<Certificate, 'id' | 'archivedAt' | 'purchase' | 'jurisdictions'>;

/**
 * The lookup half of a sync, without Stripe: the certificate that covers the customer's
 * jurisdiction today, or null. One read of the customer's certificates, only the fields the
 * decision needs (none when the customer has no jurisdiction), plus their open requests under
 * include_pending.
 */
export async function coveringCertificateFor(
  deps: Pick<CoverageDependencies, 'certificates' | 'requests'>,
  tenant: Tenant,
  customerId: string,
  query: { readonly jurisdiction: string | null; readonly today: CalendarDate; readonly syncPolicy: SyncPolicy },
): Promise<CoveringCertificate<CoverageCandidate> | null> {
  const { jurisdiction, today, syncPolicy } = query;
  if (jurisdiction === null) return null;
  const stored = await deps.certificates.coverageInputsOf(tenant, customerId);
  // Under include_pending, a submission awaiting review counts as the certificate it would become.
  const pending: CoverageCandidate[] =
    syncPolicy !== 'include_pending'
      ? []
      : (await deps.requests.openForCustomer(tenant, customerId)).flatMap((request) =>
          request.status === 'submitted' && request.submission !== null
            ? [{ id: `pending_request:${request._id}`, archivedAt: null, purchase: { type: 'blanket' as const }, jurisdictions: request.submission.data.jurisdictions }]
            : [],
        );
  return findCoveringCertificate<CoverageCandidate>([...stored, ...pending], { jurisdiction, date: today });
}

/**
 * Makes Stripe's `tax_exempt` for one customer say whether an active certificate covers the
 * jurisdiction Stripe taxes them in today. Reads the customer from Stripe each time, so events
 * arriving out of order cannot make it act on an old address. Safe to run twice: the write is
 * keyed, and a second run finds Stripe already in sync.
 */
export async function syncCustomerCoverage(deps: CoverageDependencies, tenant: Tenant, customerId: string): Promise<CoverageSync> {
  const { stripe, certificates, settings, taxExemptMemory, requests, clock, logger } = deps;
  if (await settings.isDisabled(tenant)) return { outcome: 'account_disabled' };
  const customer = await stripe.retrieveCustomer(tenant, customerId);
  if (customer === null || customer.deleted) return { outcome: 'customer_missing' };

  const account = await settings.get(tenant);
  const { today } = statusBasisFor(account, clock);
  const { jurisdiction } = customerJurisdiction(customer);
  const covering = await coveringCertificateFor({ certificates, requests }, tenant, customerId, { jurisdiction, today, syncPolicy: account.syncPolicy });
  const wanted = covering === null ? 'none' : 'exempt';
  const memory = await taxExemptMemory.get(tenant, customerId);
  const decision = decideTaxExempt(customer.taxExempt, wanted, memory, account.syncPolicy);
  const now = clock.now();
  const result = { outcome: decision.action, certificateId: covering?.certificate.id ?? null, jurisdiction };

  switch (decision.action) {
    case 'in_sync':
      await taxExemptMemory.update(
        tenant,
        customerId,
        { conflict: null, wanted, coveredBy: result.certificateId, ...(memory.pending === wanted ? { lastSet: wanted, pending: null } : {}) },
        now,
      );
      return result;
    case 'record_only':
      await taxExemptMemory.update(tenant, customerId, { conflict: null, wanted, coveredBy: result.certificateId }, now);
      return result;
    case 'conflict':
      logger.warn({ accountId: tenant.accountId, customerId, current: decision.current, wanted }, 'tax_exempt set by hand differs from the certificates; left alone');
      await taxExemptMemory.update(tenant, customerId, { conflict: { current: decision.current, wanted, at: now }, wanted, coveredBy: result.certificateId }, now);
      return result;
    case 'write': {
      // A retry of the same decided write reuses its key; a new decision gets the next number.
      const sequence = memory.pending === decision.value ? memory.sequence : memory.sequence + 1;
      await taxExemptMemory.update(tenant, customerId, { pending: decision.value, sequence, wanted, coveredBy: result.certificateId }, now);
      await stripe.updateCustomerTaxExempt(tenant, customerId, decision.value, `tax_exempt:${customerId}:${sequence}:${decision.value}`);
      await taxExemptMemory.update(tenant, customerId, { lastSet: decision.value, pending: null, conflict: null }, now);
      return result;
    }
  }
}
