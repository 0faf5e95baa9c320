import { NoCurrentEntryError, revisionEntries } from '@exemptions/shared';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { withKeyLock } from '../db/keyLock.js';
import { LEDGER_LOCK_TTL_MS, ledgerLockKey } from '../ledger/applyLedgerEvent.js';
import { ledgerContextFor } from '../ledger/ledgerContextFor.js';
import { buildReprocessPlan } from '../reprocess/buildPlan.js';
import type { RunProgress } from '../reprocess/runRepository.js';
import { defineJob } from './scheduler.js';

export const REPROCESS_RUN = 'reprocess-run';

export const reprocessRunData = z.object({ runId: z.string().startsWith('rp_') });

/** Transactions per checkpoint: progress is saved and cancellation checked between batches. */
export const REPROCESS_BATCH = 25;

/** The job's lock is renewed at least this often, so a slow batch is not taken for a dead worker. */
const TOUCH_EVERY_MS = 500;

/**
 * Applies a certificate to a customer's transactions, batch by batch. Safe to kill at any point:
 * entry ids are deterministic (a redone transaction adds nothing), the plan is rebuilt from the
 * ledger as it was before this run, and the checkpoint says where to resume.
 */
export function reprocessRunJob(context: ServiceContext) {
  return defineJob({
    name: REPROCESS_RUN,
    data: reprocessRunData,
    concurrency: 2,
    onGiveUp: async (data, error) => {
      const parsed = reprocessRunData.safeParse(data);
      if (parsed.success) await context.reprocessRuns.update(parsed.data.runId, { status: 'failed', error: error.message, finishedAt: context.clock.now() });
    },
    handler: async ({ runId }, job) => {
      const { reprocessRuns: runs, certificates, ledger, clock, logger } = context;
      const run = await runs.getById(runId);
      if (run === null || run.status === 'completed' || run.status === 'cancelled' || run.status === 'failed') return;
      const tenant = { accountId: run.accountId, livemode: run.livemode };
      await runs.update(runId, { status: 'running', startedAt: run.startedAt ?? clock.now() });

      const stored = await certificates.find(tenant, run.certificateId);
      if (stored === null || stored.certificate.archivedAt !== null) {
        await runs.update(runId, { status: 'failed', error: 'the certificate was archived or removed before the run finished', finishedAt: clock.now() });
        return;
      }
      const plan = await buildReprocessPlan(context, tenant, stored.certificate, run, runId);
      let progress: RunProgress = { processed: run.processed, changed: run.changed, skipped: { ...run.skipped } };
      let touchedAt = Date.now();
      const keepAlive = async (): Promise<void> => {
        if (Date.now() - touchedAt < TOUCH_EVERY_MS) return;
        await job.touch();
        touchedAt = Date.now();
      };
      await runs.update(runId, { total: plan.items.length });

      for (let start = progress.processed; start < plan.items.length; start += REPROCESS_BATCH) {
        if (await runs.cancelRequested(runId)) {
          await runs.update(runId, { status: 'cancelled', finishedAt: clock.now() });
          return;
        }
        const skipped = { ...progress.skipped };
        let changed = progress.changed;
        // Once per batch, so a period filed during the run is respected from the next batch on.
        const ctx = await ledgerContextFor(context, tenant);
        for (const item of plan.items.slice(start, start + REPROCESS_BATCH)) {
          if (item.action === 'skip') {
            skipped[item.reason] = (skipped[item.reason] ?? 0) + 1;
            continue;
          }
          const added = await withKeyLock(context.db, ledgerLockKey(tenant, item.invoiceId), LEDGER_LOCK_TTL_MS, async () => {
            const entries = await ledger.find(tenant, { invoiceId: item.invoiceId });
            try {
              const batch = revisionEntries({ entries, invoiceId: item.invoiceId, jurisdiction: item.jurisdiction, next: item.next, runId }, ctx);
              await ledger.append(tenant, batch, clock.now());
              return true;
            } catch (error) {
              // Voided since the plan was made: nothing to revise.
              if (error instanceof NoCurrentEntryError) return false;
              throw error;
            }
          });
          if (added) changed += 1;
          else skipped.no_longer_current = (skipped.no_longer_current ?? 0) + 1;
          await keepAlive();
        }
        progress = { processed: Math.min(start + REPROCESS_BATCH, plan.items.length), changed, skipped };
        await runs.update(runId, progress);
        await keepAlive();
      }
      await runs.update(runId, { status: 'completed', finishedAt: clock.now() });
      logger.info({ runId, ...progress }, 'reprocess run completed');
    },
  });
}
