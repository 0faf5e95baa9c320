import {
  addDays,
  compareDates,
  customerJurisdiction,
  entriesBeforeRun,
  inPreviewOrder,
  planLines,
  sumAmounts,
  summaryTally,
  type Certificate,
  type CustomerAddress,
  type LedgerAmounts,
  type LedgerEntry,
  type PlannedItem,
  type ReprocessPlan,
  type ReprocessRequest,
  type ReprocessSummary,
} from '@exemptions/shared';
import type { ServiceContext } from '../context.js';
import { ledgerContextFor } from '../ledger/ledgerContextFor.js';
import type { Tenant } from '../tenancy.js';

export interface ReprocessRange {
  readonly startDate: string;
  readonly endDate: string;
  readonly prioritizeCustomerAddress: boolean;
}

/** The customer is gone from Stripe, so "prioritize customer address" has no address to use. */
export class CustomerAddressUnavailableError extends Error {
  override name = 'CustomerAddressUnavailableError';
}

/** The customer's current address from Stripe, as the ledger records addresses. */
async function currentAddress(context: ServiceContext, tenant: Tenant, customerId: string): Promise<CustomerAddress> {
  const customer = await context.stripe.retrieveCustomer(tenant, customerId);
  if (customer === null || customer.deleted) throw new CustomerAddressUnavailableError(`customer ${customerId} is not in Stripe any more`);
  const { jurisdiction, source } = customerJurisdiction(customer);
  const raw = source === 'shipping' ? customer.shipping : source === 'billing' ? customer.address : null;
  return {
    jurisdiction,
    address: raw?.country ? { country: raw.country, state: raw.state, postalCode: raw.postalCode, line1: raw.line1, city: raw.city } : null,
    source: source === 'shipping' ? 'customer_shipping' : source === 'billing' ? 'customer_address' : null,
  };
}

/**
 * A customer with at most this many ledger entries is planned from one read of them all; a
 * larger one a day at a time, so neither this process nor the database holds a whole plan
 * (or a whole ledger) however many transactions the range covers.
 */
export const WHOLE_LEDGER_ENTRIES = 2_000;

export interface PlanReading {
  /** Set aside this run's own entries, so a resumed run plans as its first attempt did. */
  readonly runId?: string;
  /**
   * Work out each change's refund (the tax its current entry still stands for after credit
   * notes, which may be dated after it). A run's work list does not need refunds, so rebuilding
   * one skips the read of the customer's credit notes this needs on a large ledger.
   */
  readonly refunds: boolean;
  /** Above this many entries for the customer, read day by day (tests lower it). */
  readonly wholeLedgerEntries?: number;
}

const familyKey = (entry: Pick<LedgerEntry, 'invoiceId' | 'jurisdiction' | 'revision'>): string => `${entry.invoiceId}|${entry.jurisdiction ?? ''}|${entry.revision}`;

/**
 * What a reprocess of this certificate over this range does, as of now, in run order
 * (`planPosition`: transaction date, then invoice and jurisdiction), a group of items at a time.
 *
 * A small ledger is read whole. A large one is read one day of the range at a time: a line's
 * revisions and negations all carry its transaction date, so one day's entries are enough to
 * plan that day's lines, and a query on the customer and the day is an equality every database
 * we run on serves from an index. Only refunds need more: the customer's credit notes and their
 * reversals, read once (they are few next to the invoices).
 */
export async function* planItems(context: ServiceContext, tenant: Tenant, certificate: Certificate, range: ReprocessRange, reading: PlanReading): AsyncGenerator<PlannedItem[]> {
  const ledger = await ledgerContextFor(context, tenant);
  const customerAddress = range.prioritizeCustomerAddress ? await currentAddress(context, tenant, certificate.customerId) : null;
  const request: ReprocessRequest = {
    certificate,
    start: range.startDate,
    end: range.endDate,
    customerAddress,
    today: ledger.today,
    ...(reading.runId === undefined ? {} : { runId: reading.runId }),
  };
  const isFiled = (jurisdiction: LedgerEntry['jurisdiction'], periodKey: string): boolean => ledger.isFiled(jurisdiction, periodKey);
  const customerId = certificate.customerId;
  const limit = reading.wholeLedgerEntries ?? WHOLE_LEDGER_ENTRIES;

  const few = await context.ledger.findUpTo(tenant, { customerId }, limit + 1);
  if (few.length <= limit) {
    const items = planLines(few, request, isFiled);
    if (items.length > 0) yield items;
    return;
  }

  let standing = (entry: LedgerEntry): LedgerAmounts => ({ taxable: entry.taxable, exempt: entry.exempt, tax: entry.tax });
  if (reading.refunds) {
    const credits = new Map<string, LedgerEntry[]>();
    for (const kind of ['credit', 'credit_reversal'] as const) {
      const found = await context.ledger.find(tenant, { customerId, kind });
      for (const entry of reading.runId === undefined ? found : entriesBeforeRun(found, reading.runId)) {
        credits.set(familyKey(entry), [...(credits.get(familyKey(entry)) ?? []), entry]);
      }
    }
    // A current entry's family is itself and its credits with their reversals (a negated one is not current).
    standing = (entry) => sumAmounts([entry, ...(credits.get(familyKey(entry)) ?? [])]);
  }
  for (let day = range.startDate; compareDates(day, range.endDate) <= 0; day = addDays(day, 1)) {
    const entries = await context.ledger.find(tenant, { customerId, transactionDate: day });
    const items = planLines(entries, request, isFiled, standing);
    if (items.length > 0) yield items;
  }
}

/** The preview: every item (by invoice, then jurisdiction) and the summary the merchant acknowledges. */
export async function buildReprocessPlan(context: ServiceContext, tenant: Tenant, certificate: Certificate, range: ReprocessRange): Promise<ReprocessPlan> {
  const items: PlannedItem[] = [];
  const tally = summaryTally();
  for await (const group of planItems(context, tenant, certificate, range, { refunds: true })) {
    for (const item of group) {
      tally.add(item);
      items.push(item);
    }
  }
  return { items: inPreviewOrder(items), summary: tally.summary() };
}

/**
 * What starting a run needs: the preview's summary, and the run's work list (every transaction
 * the plan covers, in plan order) written beside the run as the plan is read, without holding
 * either the plan or the list. The run then works through the list, deciding each transaction
 * again under its invoice's lock, so it never reads the customer's ledger as a whole itself.
 * `runId` also sets the run's own entries aside, for a list rebuilt mid-run.
 */
export async function planRun(
  context: ServiceContext,
  tenant: Tenant,
  certificate: Certificate,
  range: ReprocessRange,
  runId: string,
  reading: Pick<PlanReading, 'refunds' | 'wholeLedgerEntries'> & { readonly ownEntries?: boolean },
): Promise<{ summary: ReprocessSummary; workList: { lines: number; chunks: number } }> {
  const tally = summaryTally();
  const list = context.reprocessRuns.workListWriter(tenant, runId);
  const planning = { ...reading, ...(reading.ownEntries === true ? { runId } : {}) };
  for await (const group of planItems(context, tenant, certificate, range, planning)) {
    for (const item of group) {
      tally.add(item);
      await list.add(item);
    }
  }
  return { summary: tally.summary(), workList: await list.finish() };
}

/** The request the planner takes for a run, as of `today`: what each transaction is judged by. */
export async function runRequest(context: ServiceContext, tenant: Tenant, certificate: Certificate, range: ReprocessRange, runId: string): Promise<Omit<ReprocessRequest, 'today'>> {
  return {
    certificate,
    start: range.startDate,
    end: range.endDate,
    customerAddress: range.prioritizeCustomerAddress ? await currentAddress(context, tenant, certificate.customerId) : null,
    runId,
  };
}
