import { planLines, revisionEntries, type LedgerContext, type LedgerEntry, type PlannedItem, type ReprocessRequest, type SkipReason } from '@exemptions/shared';
import type { ServiceContext } from '../context.js';
import { withKeyLocks } from '../db/keyLock.js';
import { LEDGER_LOCK_TTL_MS, ledgerLockKey } from '../ledger/applyLedgerEvent.js';
import type { Tenant } from '../tenancy.js';
import type { WorkLine } from './runRepository.js';

export interface BatchOutcome {
  readonly changed: number;
  /** Per reason; `no_longer_current`: the transaction was in the preview but has no current entry now (voided meanwhile). */
  readonly skipped: Partial<Record<SkipReason | 'no_longer_current', number>>;
}

const lineKey = (line: WorkLine): string => `${line.invoiceId}|${line.jurisdiction ?? ''}`;

/**
 * Works through one batch of a run's work list. All the batch's invoices are locked at once (the
 * per-invoice ledger lock every ledger writer takes), their entries are read under those locks
 * with one `$in` query (served from an index on MongoDB and, with our patch, on FerretDB over
 * PostgreSQL), each transaction is planned from them (so what the run does is decided on the ledger
 * as it is under the lock), and the revisions of the whole batch are inserted together; then the
 * locks go. A batch costs a handful of round trips, where one transaction at a time cost five or
 * six round trips each, and the customer's ledger is never read as a whole.
 *
 * Entry ids are deterministic and each transaction is planned and revised on the ledger as it stood
 * before this run (`request.runId` sets the run's own entries aside), so a batch redone after a crash
 * computes the same entries and inserts only what is missing.
 *
 * `pipeline` lets a run overlap batches: `prepared` is called once the batch's reads are done (the
 * run may then start reading the next batch), and the batch writes only after `after` (the previous
 * batch's write and checkpoint) has settled, so checkpoints stay in order and a failure there fails
 * this batch too. Two batches in flight never share an invoice (the run ends a batch at an invoice's
 * last line), so their locks never collide.
 */
export async function applyBatch(
  context: ServiceContext,
  tenant: Tenant,
  request: ReprocessRequest & { readonly runId: string },
  lines: readonly WorkLine[],
  ledger: LedgerContext,
  pipeline: { readonly after?: Promise<unknown>; readonly prepared?: () => void } = {},
): Promise<BatchOutcome> {
  if (lines.length === 0) {
    pipeline.prepared?.();
    await pipeline.after;
    return { changed: 0, skipped: {} };
  }
  const invoiceIds = [...new Set(lines.map((line) => line.invoiceId))];
  return withKeyLocks(
    context.db,
    invoiceIds.map((invoiceId) => ledgerLockKey(tenant, invoiceId)),
    LEDGER_LOCK_TTL_MS,
    async () => {
      const entriesOf = await context.ledger.findByInvoices(tenant, invoiceIds);
      const planned = new Map<string, PlannedItem>();
      for (const entries of entriesOf.values()) {
        for (const item of planLines(entries, request, (jurisdiction, periodKey) => ledger.isFiled(jurisdiction, periodKey))) planned.set(lineKey(item), item);
      }
      const batch: LedgerEntry[] = [];
      const skipped: Partial<Record<SkipReason | 'no_longer_current', number>> = {};
      let changed = 0;
      for (const line of lines) {
        const item = planned.get(lineKey(line));
        if (item === undefined) {
          // In the preview, but voided since: nothing to revise.
          skipped.no_longer_current = (skipped.no_longer_current ?? 0) + 1;
        } else if (item.action === 'skip') {
          skipped[item.reason] = (skipped[item.reason] ?? 0) + 1;
        } else {
          const entries = entriesOf.get(item.invoiceId) ?? [];
          batch.push(...revisionEntries({ entries, invoiceId: item.invoiceId, jurisdiction: item.jurisdiction, next: item.next, runId: request.runId }, ledger));
          changed += 1;
        }
      }
      pipeline.prepared?.();
      await pipeline.after;
      await context.ledger.appendMany(tenant, batch, context.clock.now());
      return { changed, skipped };
    },
  );
}
