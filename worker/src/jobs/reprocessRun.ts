import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { ledgerContextFor } from '../ledger/ledgerContextFor.js';
import { applyBatch } from '../reprocess/applyBatch.js';
import { planRun, runRequest, type PlanReading } from '../reprocess/buildPlan.js';
import { WORK_LIST_CHUNK, type RunProgress, type WorkLine } from '../reprocess/runRepository.js';
import { defineJob } from './scheduler.js';

export const REPROCESS_RUN = 'reprocess-run';

export const reprocessRunData = z.object({ runId: z.string().startsWith('rp_') });

/** Transactions in a run's first batch. Progress is saved and cancellation checked between batches. */
export const REPROCESS_BATCH = 25;

/**
 * Batches double while one takes under half of `BATCH_TARGET_MS` and halve (down to the first
 * size) when one takes over twice that, up to this many transactions: a batch's fixed cost
 * (its locks, the checkpoint, the cancellation check) is then spread thin, while a cancel still
 * takes effect within about a second and a batch holds its invoices' locks far less long than
 * `LEDGER_LOCK_TTL_MS`.
 */
export const REPROCESS_MAX_BATCH = 100;
const BATCH_TARGET_MS = 1_000;

/** The job's lock is renewed at least this often, so a slow batch is not taken for a dead worker. */
const TOUCH_EVERY_MS = 500;

/**
 * Applies a certificate to a customer's transactions, batch by batch, down the run's work list
 * (written by the start request: see `planRun`). Safe to kill at any point: the list does not
 * change, entry ids are deterministic (a redone transaction adds nothing), each transaction is
 * planned from the ledger as it was before this run, and the checkpoint (transactions done, in
 * list order) says where to resume. Neither the plan nor the list is held whole, so memory does
 * not grow with the number of transactions.
 */
export function reprocessRunJob(context: ServiceContext, reading: Pick<PlanReading, 'wholeLedgerEntries'> = {}) {
  return defineJob({
    name: REPROCESS_RUN,
    data: reprocessRunData,
    concurrency: 2,
    // Runs are long: one locked while waiting behind two others could outlive its lock and be
    // taken for abandoned, so a process locks no more runs than it can start.
    lockLimit: 2,
    onGiveUp: async (data, error) => {
      const parsed = reprocessRunData.safeParse(data);
      if (!parsed.success) return;
      await context.reprocessRuns.update(parsed.data.runId, { status: 'failed', error: error.message, finishedAt: context.clock.now() });
      const run = await context.reprocessRuns.getById(parsed.data.runId);
      await context.reprocessRuns.dropWorkList(parsed.data.runId, run?.workList?.chunks ?? 0);
    },
    logFields: ({ runId }) => ({ runId }),
    handler: async ({ runId }, job, log) => {
      const { reprocessRuns: runs, certificates, clock } = context;
      const run = await runs.getById(runId);
      if (run === null || run.status === 'completed' || run.status === 'cancelled' || run.status === 'failed') return;
      const tenant = { accountId: run.accountId, livemode: run.livemode };
      await runs.update(runId, { status: 'running', startedAt: run.startedAt ?? clock.now() });

      const stored = await certificates.find(tenant, run.certificateId);
      if (stored === null || stored.certificate.archivedAt !== null) {
        await runs.update(runId, { status: 'failed', error: 'the certificate was archived or removed before the run finished', finishedAt: clock.now() });
        await runs.dropWorkList(runId, run.workList?.chunks ?? 0);
        return;
      }
      let progress: RunProgress = { processed: run.processed, changed: run.changed, skipped: { ...run.skipped } };
      let workList = run.workList;
      if (workList === undefined) {
        // Started before runs kept a work list: make it now, from the ledger as it was before this
        // run. Its order may differ from the one a checkpoint counted in, so start over; finished
        // transactions are redone harmlessly (their entries are there already).
        const planned = await planRun(context, tenant, stored.certificate, run, runId, { ...reading, refunds: false, ownEntries: true });
        workList = planned.workList;
        progress = { processed: 0, changed: 0, skipped: {} };
        await runs.update(runId, { workList, total: workList.lines, ...progress });
      }
      const request = await runRequest(context, tenant, stored.certificate, run, runId);

      let chunk: { index: number; lines: readonly WorkLine[] } = { index: -1, lines: [] };
      const lineAt = async (at: number): Promise<WorkLine> => {
        const index = Math.floor(at / WORK_LIST_CHUNK);
        if (chunk.index !== index) chunk = { index, lines: await runs.workListChunk(runId, index) };
        const line = chunk.lines[at % WORK_LIST_CHUNK];
        if (line === undefined) throw new Error(`reprocess run ${runId}: line ${at} of its work list is missing`);
        return line;
      };
      /** About `count` lines from `position`, up to the last line of an invoice (an invoice's lines are adjacent). */
      const linesFrom = async (position: number, count: number): Promise<WorkLine[]> => {
        const lines: WorkLine[] = [];
        for (let at = position; at < workList.lines; at += 1) {
          const line = await lineAt(at);
          if (lines.length >= count && line.invoiceId !== lines[lines.length - 1]?.invoiceId) break;
          lines.push(line);
        }
        return lines;
      };
      let touchedAt = Date.now();
      const keepAlive = async (): Promise<void> => {
        // Called once a batch is checkpointed: the run moves on, so failures before it (a killed
        // process's batch, the invoice locks it left) no longer count towards giving the run up
        // for good; saved with the next touch. Otherwise a long run dies of failures spread over hours.
        // The first checkpoint after failures saves it at once: a process killed just after it
        // would otherwise leave the failures counted, and a few such kills gave the run up.
        const hadFailures = (job.attrs.failCount ?? 0) > 0;
        job.attrs.failCount = 0;
        if (!hadFailures && Date.now() - touchedAt < TOUCH_EVERY_MS) return;
        await job.touch();
        touchedAt = Date.now();
      };

      // Batches overlap: one writes its entries and checkpoint while the next locks and reads its
      // invoices (`applyBatch`). `written` is the last batch's write and checkpoint.
      let written: Promise<unknown> = Promise.resolve();
      /** The write the latest batch waits for: the next batch is read only once it has settled. */
      let writing: Promise<unknown> = Promise.resolve();
      let failed = false;
      let position = progress.processed;
      let batchSize = REPROCESS_BATCH;
      while (position < workList.lines && !failed) {
        // Two batches in flight at most, one writing and one reading. Reads by `$in` can outrun the
        // writes; without this wait, batches queued up behind the writes, each holding its entries
        // (memory grew with the run) and its invoices' locks (which could expire before it wrote).
        await writing.catch(() => undefined);
        if (failed) break;
        const began = Date.now();
        // Once per batch, so a period filed during the run is respected from the next batch on.
        const [cancelled, ledger] = await Promise.all([runs.cancelRequested(runId), ledgerContextFor(context, tenant)]);
        if (cancelled) {
          await written;
          await runs.update(runId, { status: 'cancelled', finishedAt: clock.now() });
          await runs.dropWorkList(runId, workList.chunks);
          return;
        }
        const lines = await linesFrom(position, batchSize);
        position += lines.length;
        let prepared = (): void => undefined;
        const read = new Promise<void>((resolve) => (prepared = resolve));
        const previous = written;
        writing = previous;
        const done = applyBatch(context, tenant, { ...request, today: ledger.today, runId }, lines, ledger, { after: previous, prepared }).then(async (outcome) => {
          const skipped = { ...progress.skipped };
          for (const [reason, count] of Object.entries(outcome.skipped) as Array<[keyof typeof skipped, number]>) skipped[reason] = (skipped[reason] ?? 0) + count;
          progress = { processed: progress.processed + lines.length, changed: progress.changed + outcome.changed, skipped };
          await runs.update(runId, progress);
          await keepAlive();
        });
        // Seen when awaited (below, or by the next batch); until then, it only stops the loop.
        done.catch(() => void (failed = true));
        written = done;
        try {
          await Promise.race([read, done]);
        } catch (error) {
          // This batch failed before writing (its locks, its reads): let the previous one finish
          // its write and checkpoint first, so nothing of this attempt outlives it.
          await previous.catch(() => undefined);
          throw error;
        }
        const took = Date.now() - began;
        if (took < BATCH_TARGET_MS / 2) batchSize = Math.min(REPROCESS_MAX_BATCH, batchSize * 2);
        else if (took > BATCH_TARGET_MS * 2) batchSize = Math.max(REPROCESS_BATCH, Math.floor(batchSize / 2));
      }
      await written;
      // A cancel asked for during the last batch comes too late: the run is complete.
      await runs.update(runId, { status: 'completed', finishedAt: clock.now() });
      await runs.dropWorkList(runId, workList.chunks);
      log.info({ ...progress }, 'reprocess run completed');
    },
  });
}
