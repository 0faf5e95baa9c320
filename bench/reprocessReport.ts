/**
 * The reprocess benchmark's report: complete runs (throughput against the raw baselines), sizes
 * too slow to run in full (what was measured of them, and the estimate that stopped them), memory
 * per size, and the profile of the largest complete run.
 */
import { isInvoiceRead, type CommandStat, type SizeResult } from './reprocessBench.js';

/** What one size would cost, from a measured complete run (see `estimate`). */
export interface Estimate {
  readonly transactions: number;
  /** Seeding, the start request, the run and the baselines, in milliseconds. */
  readonly totalMs: number;
  readonly runMs: number;
  /** Predicted per-invoice read on a ledger of `transactions` entries (the fit, for comparison with the measured one). */
  readonly perTransactionAtStartMs: number;
  readonly basis: string;
}

export interface SkippedSize {
  readonly transactions: number;
  readonly estimate: Estimate;
  readonly reason: string;
}

export interface ReprocessReport {
  readonly benchmark: 'reprocess';
  readonly ranAt: string;
  readonly requested: number[];
  readonly limits: { readonly maxMinutes: number; readonly fitMinutes: number };
  /** Every size measured, complete or partial (`settings.stopAfter`), in the order run. */
  readonly sizes: SizeResult[];
  /** Sizes not run in full, with the estimate that stopped them. */
  readonly skipped: SkippedSize[];
  readonly failed: Array<{ readonly transactions: number; readonly error: string }>;
  readonly memory: {
    readonly smaller: number;
    readonly larger: number;
    readonly startRequestRssRatio: number;
    readonly runRssRatio: number;
    readonly runHeapRatio: number;
    /** Peak RSS of the larger size minus the smaller's, MiB (issue 9: at most 50 MB from 10k to 100k). */
    readonly startRequestRssGrowthMiB?: number;
    readonly runRssGrowthMiB?: number;
    /** The same for the job's heap after a forced collection (what the run holds). */
    readonly runLiveHeapGrowthMiB?: number;
  } | null;
}

const seconds = (ms: number): string => (ms >= 100_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
const duration = (ms: number): string => (ms >= 2 * 3_600_000 ? `${(ms / 3_600_000).toFixed(0)} h` : ms >= 120_000 ? `${(ms / 60_000).toFixed(0)} min` : seconds(ms));
const count = (value: number): string => value.toLocaleString('en-US');
const rate = (value: number): string => (value >= 100 ? count(Math.round(value)) : String(value));
const ratio = (value: number): string => (value === 0 ? '–' : value >= 0.1 ? value.toFixed(2) : `${value} (1 : ${Math.round(1 / value)})`);

/**
 * What `transactions` would cost, from a measured complete run: seeding, the baselines, the start
 * request and the run's planning linear (the planner reads a large ledger a day at a time and looks
 * up each transaction's family among that day's entries; it used to search the whole ledger, which
 * made planning quadratic); per transaction, the fitted `fixed + slope × ledger size`, summed over
 * the growing ledger (the i-th transaction sees N + 2i entries).
 */
export function estimate(from: SizeResult, transactions: number, planFrom: SizeResult = from): Estimate {
  const n0 = from.dataset.transactions;
  const linear = transactions / n0;
  // Planning scales from the largest size measured (a partial run plans in full too): closer is better for a quadratic.
  const planLinear = transactions / planFrom.dataset.transactions;
  const split = (totalMs: number, _dbMs: number): number => totalMs * planLinear;
  const { fixedMs, perThousandEntriesMs } = from.profile.model;
  // Only FerretDB on SQLite reads an invoice's entries by scanning the whole ledger, which the run
  // grows; elsewhere the invoice index serves the read, and a slope fitted over one run's deciles
  // is the machine's drift: squared over 100,000 transactions it once turned 7 minutes into 48.
  const scansLedger = from.server.product === 'ferretdb' && from.server.handler !== 'postgresql';
  const slope = scansLedger ? Math.max(0, perThousandEntriesMs) : 0;
  const ledgerSum = transactions * transactions + transactions * (transactions - 1); // Σ (N + 2i), i < N
  let perTransactionMs = fixedMs * transactions + (slope / 1000) * ledgerSum;
  if (perTransactionMs <= 0) perTransactionMs = from.run.transactionsMs * linear;
  const planMs = split(planFrom.run.planMs, planFrom.run.planDbMs);
  const startMs = split(planFrom.startRequest.ms, planFrom.startRequest.dbMs);
  const runMs = planMs + perTransactionMs;
  const insertOnePerDoc = from.baseline.insertOne.ms / Math.max(1, from.baseline.insertOne.documents);
  const baselineMs = from.baseline.insertMany.ms * linear + insertOnePerDoc * Math.min(from.settings.insertOneSample, 2 * transactions);
  const totalMs = from.seeding.ms * linear + startMs + runMs + baselineMs;
  return {
    transactions,
    totalMs: Math.round(totalMs),
    runMs: Math.round(runMs),
    perTransactionAtStartMs: Math.round(fixedMs + (slope * transactions) / 1000),
    basis:
      `from the complete ${count(n0)} run: ${fixedMs.toFixed(1)} ms per transaction + ${slope.toFixed(1)} ms per 1,000 ledger entries (fitted over its deciles); ` +
      `start request ${seconds(planFrom.startRequest.ms)} and planning ${seconds(planFrom.run.planMs)} at ${count(planFrom.dataset.transactions)} scaled ×${planLinear.toFixed(0)}`,
  };
}

/**
 * A complete run of a size measured only in part, projected from what was measured: its own
 * planning time, the largest complete run's per-transaction cost apart from the per-invoice read,
 * and the per-invoice read as a linear function of the ledger size, fitted over the reads timed
 * after every run (each taken in a few seconds, so the machine's load drifts less within a point
 * than within a long run's deciles).
 */
export function projectComplete(sizes: readonly SizeResult[]): {
  readonly from: number;
  readonly otherMs: number;
  readonly readFixedMs: number;
  readonly readPerEntryMs: number;
  readonly points: number;
  runMs(size: SizeResult): number;
} | null {
  const complete = sizes.filter((s) => s.settings.stopAfter === 'complete');
  const largest = complete.at(-1);
  if (largest === undefined || sizes.length < 2) return null;
  const find = largest.profile.transactions.find((stat) => isInvoiceRead(stat.command));
  const otherMs = Math.max(0, largest.profile.perTransaction.wallMs - (find?.meanMs ?? 0));
  const xs = sizes.map((s) => s.perInvoiceRead.ledgerSize);
  const ys = sizes.map((s) => s.perInvoiceRead.meanMs);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  const readPerEntryMs = sxx === 0 ? 0 : Math.max(0, sxy / sxx);
  const readFixedMs = Math.max(0, my - readPerEntryMs * mx);
  return {
    from: largest.dataset.transactions,
    otherMs,
    readFixedMs,
    readPerEntryMs,
    points: xs.length,
    runMs(size: SizeResult): number {
      const n = size.dataset.transactions;
      const ledgerSum = n * n + n * (n - 1); // Σ (N + 2i), i < N
      return Math.round(size.run.planMs + n * (otherMs + readFixedMs) + readPerEntryMs * ledgerSum);
    },
  };
}

function commandTable(stats: readonly CommandStat[], limit = 12): string[] {
  const lines = ['| command | calls | per transaction | mean ms | total s |', '|---|---:|---:|---:|---:|'];
  for (const stat of stats.slice(0, limit)) {
    lines.push(`| \`${stat.command}\` | ${count(stat.count)} | ${stat.perTransaction} | ${stat.meanMs.toFixed(2)} | ${(stat.totalMs / 1000).toFixed(1)} |`);
  }
  return lines;
}

const mode = (size: SizeResult): string =>
  size.settings.stopAfter === 'complete' ? 'complete' : size.settings.stopAfter === 'planning' ? 'to first checkpoint' : 'first batch';

export function formatReport(report: ReprocessReport): string {
  const lines: string[] = [];
  const complete = report.sizes.filter((s) => s.settings.stopAfter === 'complete');
  const partial = report.sizes.filter((s) => s.settings.stopAfter !== 'complete');
  const first = report.sizes[0];
  lines.push(`# Reprocess benchmark, ${report.ranAt.slice(0, 10)}`);
  lines.push('');
  if (first !== undefined) {
    const { server, machine } = first;
    const loads = report.sizes.map((s) => `${count(s.dataset.transactions)}: ${s.load.before[0]} → ${s.load.after[0]}`).join(', ');
    lines.push(
      `Database: ${server.product === 'ferretdb' ? `FerretDB ${server.ferretdbVersion ?? ''} (${server.handler ?? ''} handler)` : `MongoDB ${server.version}`}, ${server.provisioned}. ` +
        `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, driver ${machine.mongodbDriver}; load average (1 min) before → after each size: ${loads}. ` +
        `One customer, one jurisdiction (${first.dataset.jurisdiction}); half the transactions in filed months (${first.dataset.filedPeriods[0]}…${first.dataset.filedPeriods.at(-1)}), half in open ones (${first.dataset.openPeriods[0]}…${first.dataset.openPeriods.at(-1)}). ` +
        'Each size runs in a process of its own, with its own database, so each memory peak is that size\'s own.',
    );
    lines.push('');
  }
  if (complete.length > 0) {
    lines.push('## Complete runs');
    lines.push('');
    lines.push('| transactions | seeding (not measured) | start request | run | transactions/s | entries/s | raw insertMany docs/s | run ÷ insertMany | raw insertOne docs/s | run ÷ insertOne |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const size of complete) {
      lines.push(
        `| ${count(size.dataset.transactions)} (${count(size.dataset.inFiledPeriods)} in filed periods) | ${seconds(size.seeding.ms)} | ${seconds(size.startRequest.ms)} | ${seconds(size.run.wallMs)} | ${size.run.transactionsPerSecond} | ${size.run.entriesPerSecond} | ${rate(size.baseline.insertMany.documentsPerSecond)} | ${ratio(size.ratios.runEntriesVsInsertMany)} | ${rate(size.baseline.insertOne.documentsPerSecond)} | ${ratio(size.ratios.runEntriesVsInsertOne)} |`,
      );
    }
    lines.push('');
    lines.push(
      'Run = the job\'s own wall time (the run record\'s startedAt → finishedAt: planning, then every transaction). Entries/s = the negation and the revision it writes per transaction. ' +
        'Start request = `POST /certificates/:id/reprocess`, which works out the preview\'s summary and queues the job. ' +
        'Baselines: the very entries the run wrote, inserted again into a fresh `ledger_entries` (same indexes, created by `LedgerRepository`) on the same server right after the run, `insertMany` in batches and a sample with sequential `insertOne`. Ratios: run entries/s ÷ raw docs/s.',
    );
    lines.push('');
  }
  const target = complete.at(-1);
  if (target !== undefined || report.memory !== null) {
    lines.push("## Issue 9's targets");
    lines.push('');
    if (target !== undefined) {
      const share = target.ratios.runEntriesVsInsertMany;
      lines.push(
        `- Reprocess of ${count(target.dataset.transactions)} at least 30% of the raw bulk-insert rate: ${(share * 100).toFixed(1)}% (${target.run.entriesPerSecond} entries/s against ${rate(target.baseline.insertMany.documentsPerSecond)} docs/s with \`insertMany\`): **${share >= 0.3 ? 'met' : 'missed'}**.`,
      );
    }
    const find = target?.baseline.invoiceFind;
    const batchFind = target?.baseline.invoiceBatchFind;
    if (target !== undefined && batchFind !== undefined) {
      const insertRate = target.baseline.insertMany.documentsPerSecond;
      // Two entries per transaction; the reads alone, and the reads then the two inserts one after the other.
      const readBound = (2 * batchFind.invoicesPerSecond) / insertRate;
      const serial = 2000 / (1000 / batchFind.invoicesPerSecond + 2000 / insertRate) / insertRate;
      lines.push(
        `- What bounds it: the run must read each batch's invoices under their locks, with one \`$in\` query (our FerretDB patch serves it from the invoice index). ` +
          `Raw, ${batchFind.perQuery} invoices to a query, one query at a time, those reads ran at ${rate(batchFind.invoicesPerSecond)} invoices/s here` +
          (find === undefined ? '' : ` (one query per invoice, ${find.concurrency} at a time: ${rate(find.readsPerSecond)}/s)`) +
          `: at that rate the reads alone allow ${rate(2 * batchFind.invoicesPerSecond)} entries/s, **${(readBound * 100).toFixed(0)}%** of the \`insertMany\` rate, ` +
          `and the reads followed by the two inserts at the raw rates ${(serial * 100).toFixed(0)}% (the run overlaps one batch's reads with the previous batch's writes).`,
      );
    } else if (target !== undefined && find !== undefined) {
      const insertRate = target.baseline.insertMany.documentsPerSecond;
      // Two entries per transaction; the reads alone, and a read then the two inserts one after the other.
      const readBound = (2 * find.readsPerSecond) / insertRate;
      const serial = 2000 / (1000 / find.readsPerSecond + 2000 / insertRate) / insertRate;
      lines.push(
        `- What bounds it: the run must read each transaction's invoice under its lock, one query by invoiceId (FerretDB serves an equality from an index, not an \`$in\`). ` +
          `Raw, ${find.concurrency} at a time, those reads ran at ${rate(find.readsPerSecond)}/s here: at that rate the reads alone allow ${rate(2 * find.readsPerSecond)} entries/s, **${(readBound * 100).toFixed(0)}%** of the \`insertMany\` rate, ` +
          `and a read followed by the two inserts at the raw rates ${(serial * 100).toFixed(0)}% (the run overlaps one batch's reads with the previous batch's writes).`,
      );
    }
    const growth = report.memory?.runRssGrowthMiB;
    if (report.memory !== null && growth !== undefined) {
      // 50 MB = 47.7 MiB.
      const limitMiB = 50e6 / 2 ** 20;
      lines.push(
        `- Memory growth from ${count(report.memory.smaller)} to ${count(report.memory.larger)} at most 50 MB (${limitMiB.toFixed(1)} MiB): the job's peak RSS grew by ${growth} MiB, the start request's by ${report.memory.startRequestRssGrowthMiB ?? '–'} MiB: **${growth <= limitMiB && (report.memory.startRequestRssGrowthMiB ?? 0) <= limitMiB ? 'met' : 'missed'}**` +
          (report.memory.runLiveHeapGrowthMiB === undefined ? '.' : `; the job's heap after a forced collection grew by ${report.memory.runLiveHeapGrowthMiB} MiB.`),
      );
    }
    lines.push('');
  }
  if (report.skipped.length > 0 || partial.length > 0) {
    lines.push('## Sizes too slow to run in full on this server');
    lines.push('');
    const projection = projectComplete(report.sizes);
    lines.push('| transactions | complete run, projected from the measurements | measured: start request | job planning | transactions done before the cancel | per-invoice read at the end | raw insertMany docs/s |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|');
    for (const skipped of report.skipped) {
      const size = partial.find((s) => s.dataset.transactions === skipped.transactions);
      const done = size === undefined ? '–' : size.run.processed === 0 ? '0 (cancelled at the first checkpoint)' : `${size.run.processed} in ${seconds(size.run.transactionsMs)} (${size.profile.perTransaction.wallMs.toFixed(0)} ms each)`;
      const projected = size === undefined || projection === null ? null : projection.runMs(size);
      lines.push(
        `| ${count(skipped.transactions)} | ${projected === null ? '–' : `**${duration(projected)}**`} | ${size === undefined ? '–' : seconds(size.startRequest.ms)} | ${size === undefined ? '–' : seconds(size.run.planMs)} | ${done} | ${size === undefined ? '–' : `${size.perInvoiceRead.meanMs.toFixed(0)} ms on ${count(size.perInvoiceRead.ledgerSize)} entries`} | ${size === undefined ? '–' : rate(size.baseline.insertMany.documentsPerSecond)} |`,
      );
    }
    if (projection !== null) {
      lines.push('');
      lines.push(
        `Projection: the job's planning as measured at that size, plus per transaction ${projection.otherMs.toFixed(1)} ms of everything but the per-invoice read (measured in the complete ${count(projection.from)} run) and the read itself, ` +
          `${projection.readFixedMs.toFixed(0)} ms + ${(projection.readPerEntryMs * 1000).toFixed(0)} ms per 1,000 ledger entries (least squares over the per-invoice reads timed after every run, ${projection.points} points), summed over the ledger as the run grows it (N + 2i entries for the i-th transaction).`,
      );
    }
    lines.push('');
    for (const skipped of report.skipped) lines.push(`- **${count(skipped.transactions)}.** ${skipped.reason} That estimate, made before the size ran, was ${skipped.estimate.basis}.`);
    lines.push('');
    lines.push(
      'These runs are the real thing up to a point: seeded the same way, started through the API, planned by the job, then cancelled through the API (`POST /reprocess/:id/cancel`), so the job stops at its checkpoint. ' +
        'Their baseline documents are the seeded entries, twice (the same size as what a run writes). The per-invoice read is `LedgerRepository.find` by invoiceId, the call the run makes once per transaction.',
    );
    lines.push('');
  }
  lines.push('## Memory');
  lines.push('');
  lines.push('| transactions | part run | RSS: start request, before → peak | RSS: job, before → peak | heapUsed peak, sampled: start request / job | job: heapUsed after a forced GC, largest | database server peak RSS: start request / job |');
  lines.push('|---:|---|---:|---:|---:|---:|---:|');
  for (const size of report.sizes) {
    const { startRequest: a, run: b } = size.memory;
    const server = (value: number | null): string => (value === null ? '–' : `${value}`);
    lines.push(
      `| ${count(size.dataset.transactions)} | ${mode(size)} | ${a.rssStartMiB} → **${a.peakRssMiB}** MiB | ${b.rssStartMiB} → **${b.peakRssMiB}** MiB | ${a.peakHeapUsedMiB} / ${b.peakHeapUsedMiB} MiB | ${b.peakLiveHeapMiB === undefined ? '–' : `${b.peakLiveHeapMiB} MiB`} | ${server(a.serverPeakRssMiB)} / ${server(b.serverPeakRssMiB)} MiB |`,
    );
  }
  lines.push('');
  if (report.memory !== null) {
    const growth = (value: number | undefined): string => (value === undefined ? '' : `, ${value >= 0 ? '+' : ''}${value} MiB`);
    lines.push(
      `${count(report.memory.larger)} ÷ ${count(report.memory.smaller)}: start request ${report.memory.startRequestRssRatio}×${growth(report.memory.startRequestRssGrowthMiB)}, job ${report.memory.runRssRatio}×${growth(report.memory.runRssGrowthMiB)} (heapUsed ${report.memory.runHeapRatio}×). `,
    );
  }
  lines.push(
    'Peak RSS is the kernel\'s high-water mark (VmHWM) of the process, reset through `/proc/<pid>/clear_refs` after a forced GC at the start of each window, so it is that window\'s own peak; the process also holds the HTTP server and Agenda (role `all`). ' +
      'It counts garbage too: V8 lets it pile up to a heap limit it raises as a long run goes on, so the heap after a forced collection (every 10 s during the job) is the figure for what the run holds. ' +
      'The job window runs from the start request\'s answer to the run\'s end (for a partial run, up to its first checkpoint or through its first batch).',
  );
  const largest = complete.at(-1);
  if (largest !== undefined) {
    const { perTransaction, deciles, model } = largest.profile;
    lines.push('');
    lines.push(`## Where the time goes (complete run of ${count(largest.dataset.transactions)})`);
    lines.push('');
    const database =
      perTransaction.dbBusyMs === undefined
        ? `${perTransaction.dbMs.toFixed(1)} ms in ${perTransaction.commands} database commands`
        : `${perTransaction.dbBusyMs.toFixed(2)} ms with database commands in flight (${perTransaction.commands} commands, ${perTransaction.dbMs.toFixed(2)} ms summed: the per-invoice reads of a batch overlap)`;
    lines.push(
      `Run ${seconds(largest.run.wallMs)} = start of the job to its first lock ${seconds(largest.run.planMs)} (database ${seconds(largest.run.planDbMs)}) + transactions ${seconds(largest.run.transactionsMs)}. ` +
        `Per transaction: ${perTransaction.wallMs.toFixed(2)} ms wall = ${database} + ${Math.max(0, perTransaction.nodeMs).toFixed(2)} ms with none in flight (this process, the loopback). ` +
        `Start request: ${seconds(largest.startRequest.ms)}, of which database ${seconds(largest.startRequest.dbMs)}.`,
    );
    lines.push('');
    lines.push('Per-transaction phase, by command (Agenda\'s own polling of `jobs` runs alongside and is left out):');
    lines.push('');
    lines.push(...commandTable(largest.profile.transactions));
    lines.push('');
    lines.push('Start of the job to its first lock (reading the run, certificate, settings and filings; the first read of the plan), by command:');
    lines.push('');
    lines.push(...commandTable(largest.profile.plan, 6));
    lines.push('');
    lines.push(`Cost per transaction as the ledger grows (least squares: ${model.fixedMs} ms + ${model.perThousandEntriesMs} ms per 1,000 entries):`);
    lines.push('');
    lines.push('| ledger entries | ms per transaction | of which the per-invoice find, ms |');
    lines.push('|---:|---:|---:|');
    for (const decile of deciles) lines.push(`| ${count(decile.ledgerSize)} | ${decile.msPerTransaction.toFixed(1)} | ${decile.findMs.toFixed(1)} |`);
  }
  for (const failed of report.failed) {
    lines.push('');
    lines.push(`**${count(failed.transactions)} failed:** ${failed.error}`);
  }
  const checks = report.sizes.map(
    (s) => `${count(s.dataset.transactions)}: ${s.checks.ok ? 'ok' : 'FAILED'} (${count(s.checks.negations)} negations, ${count(s.checks.revisions)} revisions for ${count(s.run.processed)} processed; ${count(s.checks.entriesInFiledPeriods)} entries in filed periods, all original)`,
  );
  if (checks.length > 0) {
    lines.push('');
    lines.push(`Checks after each run: ${checks.join('; ')}.`);
  }
  return `${lines.join('\n')}\n`;
}
