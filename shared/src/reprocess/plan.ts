import type { Certificate } from '../certificate.js';
import { coverage, type NotCoveredReason } from '../coverage.js';
import { compareDates, type CalendarDate } from '../dates.js';
import type { JurisdictionCode } from '../jurisdictions.js';
import { currentEntries, standingAmounts } from '../ledger/currentEntries.js';
import type { LedgerAddress, LedgerAddressSource } from '../ledger/invoiceFacts.js';
import { certificateSnapshot, type LedgerAmounts, type LedgerEntry } from '../ledger/ledgerEntry.js';
import type { RevisedTreatment } from '../ledger/revisions.js';
import { entriesBeforeRun } from '../ledger/revisions.js';
import { isPastRefundStatute, refundStatute } from '../refundStatutes.js';

/*
 * Reprocessing applies one certificate to a customer's transactions between two dates.
 * For each current ledger entry (invoice × jurisdiction) in the range it decides:
 *
 * - skip, jurisdiction_not_covered: the certificate does not name the jurisdiction (the
 *   customer's current one when "prioritize customer address" is on, else the invoice's);
 * - skip, outside_validity: the sale falls before the jurisdiction's effective date or after
 *   its expiration date;
 * - skip, other_purchase: a single-purchase certificate for another invoice or PO;
 * - skip, already_exempt: the sale is already exempt with a certificate as evidence (so a
 *   second identical run changes nothing), or is a reverse charge;
 * - change: the sale becomes exempt with this certificate's snapshot; the tax still standing
 *   on it (after credit notes) is the refund due.
 *
 * Where the change lands (same open period, or negation + new entry in the current open
 * period when the period is filed) is the ledger's rule (`revisionEntries`); the plan reports
 * which case each change is.
 */

export type SkipReason = 'jurisdiction_not_covered' | 'outside_validity' | 'other_purchase' | 'already_exempt';

export const skipReasons = ['jurisdiction_not_covered', 'outside_validity', 'other_purchase', 'already_exempt'] as const satisfies readonly SkipReason[];

export interface CustomerAddress {
  readonly jurisdiction: JurisdictionCode | null;
  readonly address: LedgerAddress | null;
  readonly source: LedgerAddressSource | null;
}

export interface ReprocessRequest {
  readonly certificate: Certificate;
  readonly start: CalendarDate;
  readonly end: CalendarDate;
  /** The customer's current address, used instead of each invoice's when given ("prioritize customer address"). */
  readonly customerAddress: CustomerAddress | null;
  readonly today: CalendarDate;
  /** Set aside this run's own entries, so a resumed run plans as the first attempt did. */
  readonly runId?: string;
}

interface ItemBase {
  readonly invoiceId: string;
  readonly invoiceNumber: string | null;
  readonly jurisdiction: JurisdictionCode | null;
  readonly transactionDate: CalendarDate;
  readonly currency: string;
  readonly periodKey: string;
}

export type PlannedItem =
  | (ItemBase & {
      readonly action: 'change';
      readonly inFiledPeriod: boolean;
      readonly refund: number;
      readonly pastRefundStatute: boolean;
      readonly refundStatuteAssumed: boolean;
      readonly next: RevisedTreatment;
    })
  | (ItemBase & { readonly action: 'skip'; readonly reason: SkipReason });

export type ReprocessWarning = 'changes_in_filed_periods' | 'refunds_due' | 'past_refund_statute';

export interface ReprocessSummary {
  readonly transactions: number;
  readonly changes: number;
  readonly inOpenPeriods: number;
  readonly inFiledPeriods: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Minor units per currency. */
  readonly refundByCurrency: Readonly<Record<string, number>>;
  readonly pastRefundStatute: number;
  /** Of those, how many are judged on the assumed 3 years (state not in the table). */
  readonly pastRefundStatuteAssumed: number;
  /** What the merchant must acknowledge before the run starts. */
  readonly warnings: readonly ReprocessWarning[];
}

export interface ReprocessPlan {
  readonly items: readonly PlannedItem[];
  readonly summary: ReprocessSummary;
}

function skipReason(reason: NotCoveredReason): SkipReason {
  switch (reason) {
    case 'jurisdiction_not_covered':
    case 'archived':
      return 'jurisdiction_not_covered';
    case 'not_yet_effective':
    case 'expired':
      return 'outside_validity';
    case 'other_purchase':
      return 'other_purchase';
  }
}

function planItem(
  entry: LedgerEntry,
  standing: (entry: LedgerEntry) => LedgerAmounts,
  request: ReprocessRequest,
  isFiled: (j: JurisdictionCode | null, key: string) => boolean,
): PlannedItem {
  const base: ItemBase = {
    invoiceId: entry.invoiceId,
    invoiceNumber: entry.invoiceNumber,
    jurisdiction: entry.jurisdiction,
    transactionDate: entry.transactionDate,
    currency: entry.currency,
    periodKey: entry.periodKey,
  };
  const jurisdiction = request.customerAddress === null ? entry.jurisdiction : request.customerAddress.jurisdiction;
  const covered = coverage(request.certificate, {
    jurisdiction,
    date: entry.transactionDate,
    invoiceNumber: entry.invoiceNumber,
    poNumber: entry.purchaseOrder,
  });
  if (!covered.covered) return { ...base, action: 'skip', reason: skipReason(covered.reason) };
  if (entry.treatment === 'reverse_charge' || (entry.treatment === 'exempt' && entry.certificate !== null)) {
    return { ...base, action: 'skip', reason: 'already_exempt' };
  }
  const refund = Math.max(0, standing(entry).tax);
  return {
    ...base,
    action: 'change',
    inFiledPeriod: isFiled(entry.jurisdiction, entry.periodKey),
    refund,
    pastRefundStatute: refund > 0 && isPastRefundStatute(entry.jurisdiction, entry.transactionDate, request.today),
    refundStatuteAssumed: refundStatute(entry.jurisdiction).basis === 'assumed',
    next: {
      treatment: 'exempt',
      taxable: 0,
      exempt: entry.taxable + entry.exempt,
      tax: 0,
      certificate: certificateSnapshot(request.certificate, covered.jurisdiction),
      flags: { exposure: false, overCollection: false },
      address: request.customerAddress === null ? entry.address : request.customerAddress.address,
      addressSource: request.customerAddress === null ? entry.addressSource : request.customerAddress.source,
    },
  };
}

/**
 * An item's place in a run's order: its transaction date, then its invoice and jurisdiction.
 * A run works through its items in this order and checkpoints the last one it finished, so
 * a resumed run (or one reading the ledger a day at a time) goes on after it.
 */
export function planPosition(item: Pick<ItemBase, 'transactionDate' | 'invoiceId' | 'jurisdiction'>): string {
  return `${item.transactionDate}|${item.invoiceId}|${item.jurisdiction ?? ''}`;
}

const byPosition = (a: PlannedItem, b: PlannedItem): number => {
  const pa = planPosition(a);
  const pb = planPosition(b);
  return pa < pb ? -1 : pa > pb ? 1 : 0;
};

/**
 * The items for the lines (invoice × jurisdiction) among `entries`, in run order (`planPosition`).
 * A line is judged by its revisions and negations, which all carry its transaction date, so the
 * entries of one day are enough to plan that day's lines. Only the refund needs the current
 * entry's credits, which may be dated later: `standing` gives what a current entry still stands
 * for (by default from `entries`, which must then hold its credits).
 */
export function planLines(
  entries: readonly LedgerEntry[],
  request: ReprocessRequest,
  isFiled: (jurisdiction: JurisdictionCode | null, periodKey: string) => boolean,
  standing?: (entry: LedgerEntry) => LedgerAmounts,
): PlannedItem[] {
  const view = request.runId === undefined ? entries : entriesBeforeRun(entries, request.runId);
  const standingOf = standing ?? ((entry: LedgerEntry) => standingAmounts(entry, view));
  // Valid calendar dates (YYYY-MM-DD) sort as strings: check the range's two once, then compare
  // each entry's (valid since it was parsed) as a string instead of parsing it twice.
  compareDates(request.start, request.end);
  return currentEntries(view)
    .filter((entry) => entry.customerId === request.certificate.customerId && entry.transactionDate >= request.start && entry.transactionDate <= request.end)
    .map((entry) => planItem(entry, standingOf, request, isFiled))
    .sort(byPosition);
}

/** Adds up a plan's items one at a time (a large plan need not be held whole) into the summary the merchant acknowledges. */
export function summaryTally(): { add(item: PlannedItem): void; summary(): ReprocessSummary } {
  const skipped = Object.fromEntries(skipReasons.map((reason) => [reason, 0])) as Record<SkipReason, number>;
  const refundByCurrency: Record<string, number> = {};
  let transactions = 0;
  let changes = 0;
  let inFiledPeriods = 0;
  let pastRefundStatute = 0;
  let pastRefundStatuteAssumed = 0;
  return {
    add(item) {
      transactions += 1;
      if (item.action === 'skip') {
        skipped[item.reason] += 1;
        return;
      }
      changes += 1;
      if (item.inFiledPeriod) inFiledPeriods += 1;
      if (item.refund > 0) refundByCurrency[item.currency] = (refundByCurrency[item.currency] ?? 0) + item.refund;
      if (item.pastRefundStatute) {
        pastRefundStatute += 1;
        if (item.refundStatuteAssumed) pastRefundStatuteAssumed += 1;
      }
    },
    summary() {
      const warnings: ReprocessWarning[] = [];
      if (inFiledPeriods > 0) warnings.push('changes_in_filed_periods');
      if (Object.keys(refundByCurrency).length > 0) warnings.push('refunds_due');
      if (pastRefundStatute > 0) warnings.push('past_refund_statute');
      return {
        transactions,
        changes,
        inOpenPeriods: changes - inFiledPeriods,
        inFiledPeriods,
        skipped: { ...skipped },
        refundByCurrency: { ...refundByCurrency },
        pastRefundStatute,
        pastRefundStatuteAssumed,
        warnings,
      };
    },
  };
}

const lineOrder = (a: PlannedItem, b: PlannedItem): number => {
  const ka = `${a.invoiceId}|${a.jurisdiction ?? ''}`;
  const kb = `${b.invoiceId}|${b.jurisdiction ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** The preview's order: by invoice, then jurisdiction. */
export function inPreviewOrder(items: PlannedItem[]): PlannedItem[] {
  return items.sort(lineOrder);
}

/** What a reprocess would do, transaction by transaction (by invoice, then jurisdiction), and the summary the merchant acknowledges. */
export function planReprocess(
  entries: readonly LedgerEntry[],
  request: ReprocessRequest,
  isFiled: (jurisdiction: JurisdictionCode | null, periodKey: string) => boolean,
): ReprocessPlan {
  const items = inPreviewOrder(planLines(entries, request, isFiled));
  const tally = summaryTally();
  for (const item of items) tally.add(item);
  return { items, summary: tally.summary() };
}
