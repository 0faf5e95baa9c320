import type { ServerInfo } from './lib/database.js';
import type { Machine } from './lib/environment.js';
import { medianRun, TARGETS, type AckMeasurement, type BacklogMeasurement, type LedgerMeasurement, type LoadSummary, type WebhookSettings } from './webhooksBench.js';

/** Everything one run found, as written to bench/results/webhooks-<date>.json. */
export interface WebhookReport {
  readonly benchmark: 'webhooks';
  readonly ranAt: string;
  readonly machine: Machine;
  readonly versions: Readonly<Record<string, string>>;
  /** The machine's load average (1, 5, 15 minutes) when measuring began and ended. */
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly server: ServerInfo;
  readonly dataset: { readonly events: number; readonly warmup: number; readonly accounts: number; readonly eventType: 'invoice.finalized' };
  readonly settings: WebhookSettings;
  readonly targets: typeof TARGETS;
  readonly acknowledgement: AckMeasurement;
  readonly ledger: LedgerMeasurement;
  /** Phase 3; null when skipped (`--backlog 0`) or when the drain of phase 2 did not finish. */
  readonly backlog: BacklogMeasurement | null;
}

export function buildReport(parts: Omit<WebhookReport, 'benchmark' | 'targets'>): WebhookReport {
  return { benchmark: 'webhooks', targets: TARGETS, ...parts };
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function rate(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 });
}

function yesNo(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}

function percent(share: number): string {
  return share < 0.1 && share > 0 ? `${(share * 100).toFixed(1)}%` : `${Math.round(share * 100)}%`;
}

function row(what: string, side: LoadSummary): string {
  return `| ${what} | ${side.count} | ${rate(side.perSecond)}/s | ${ms(side.p50)} | ${ms(side.p95)} | ${ms(side.p99)} | ${ms(side.max)} |`;
}

/** The results as Markdown: the summary line, the two comparisons, and what the drain did. */
export function formatReport(report: WebhookReport): string {
  const { machine, server, dataset, settings, acknowledgement: ack, ledger, backlog } = report;
  const database =
    server.product === 'ferretdb'
      ? `FerretDB ${server.ferretdbVersion ?? '?'} (${server.handler ?? 'external'}${server.handler === null ? '' : ' handler'}, reports MongoDB ${server.version})`
      : `MongoDB ${server.version}`;
  const versions = Object.entries(report.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const lines = [
    `Webhooks, ${report.ranAt.slice(0, 10)}: ${dataset.events.toLocaleString('en-US')} signed \`${dataset.eventType}\` events (plus ${dataset.warmup} untimed warm-up events) for ${dataset.accounts} test-mode accounts, ` +
      `one ledger entry each. Acknowledgement at concurrency ${ack.concurrency} in ${ack.rounds} rounds alternating which side goes first; ` +
      `the web role runs as its own process (\`worker/src/main.ts --role=web\`, LOG_LEVEL=${settings.logLevel}), the bench client sends over loopback with keep-alive.`,
    '',
    `Database: ${database}. Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, mongodb driver ${machine.mongodbDriver}, ${versions}. ` +
      `Load average ${report.load.before[0]} at the start, ${report.load.after[0]} at the end.`,
    '',
    '| Benchmark | Service | Raw baseline | Share of raw | Target | Met |',
    '|---|--:|--:|--:|---|---|',
    `| Webhook acknowledgement, rate | ${rate(ack.webhook.perSecond)} req/s | ${rate(ack.raw.perSecond)} inserts/s | ${percent(ack.shareOfRaw)} | ≥ ${percent(TARGETS.ackShareOfRaw)} of raw | ${yesNo(ack.meetsTargets.shareOfRaw)} |`,
    `| Webhook acknowledgement, p99 | ${ms(ack.webhook.p99)} ms | ${ms(ack.raw.p99)} ms | ${ack.p99Ratio}× raw | ≤ ${TARGETS.ackP99Ms} ms | ${yesNo(ack.meetsTargets.p99)} |`,
    `| Events → ledger (through Agenda)${ledger.completed ? '' : ', unfinished'} | ${rate(ledger.eventsPerSecond)} events/s | ${rate(ledger.raw.perSecond)} inserts/s | ${percent(ledger.shareOfRaw)} | ≥ ${percent(TARGETS.ledgerShareOfRaw)} of raw | ${yesNo(ledger.meetsTargets.shareOfRaw)} |`,
    ...(backlog === null
      ? []
      : [
          `| Cost per event, backlog ${(backlog.large[0]?.backlog ?? 0).toLocaleString('en-US')} vs ${(backlog.small[0]?.backlog ?? 0).toLocaleString('en-US')} (medians of ${backlog.small.length}) | ${ms(medianRun(backlog.large).msPerEvent)} vs ${ms(medianRun(backlog.small).msPerEvent)} ms | – | ${backlog.costRatio}× | ≤ ${1 + TARGETS.backlogCostGrowth}× | ${yesNo(backlog.meetsTarget)} |`,
        ]),
    '',
    `| Side | Calls | Rate | p50 ms | p95 ms | p99 ms | max ms |`,
    '|---|--:|--:|--:|--:|--:|--:|',
    row(`POST /webhooks/stripe (verify, store the event, queue its job), ${ack.concurrency} in flight`, ack.webhook),
    row(`raw \`insertOne\` of the stored event (${ack.documentBytes} B, same indexes), ${ack.concurrency} in flight`, ack.raw),
    row(`raw \`insertOne\` of the ledger entry (${ledger.documentBytes} B, same indexes), one at a time`, ledger.raw),
    '',
    `Rate per round (${ack.rounds} rounds of ${Math.ceil(ack.webhook.count / ack.rounds)}): webhook ${ack.perRound
      .filter((r) => r.side === 'webhook')
      .map((r) => rate(r.perSecond))
      .join(', ')} req/s; raw ${ack.perRound
      .filter((r) => r.side === 'raw')
      .map((r) => rate(r.perSecond))
      .join(', ')} inserts/s.`,
    '',
    ...(ack.refused.count === 0
      ? []
      : [
          `${ack.refused.count} of ${ack.webhook.count} timed webhook requests were **not answered 200** (${Object.entries(ack.refused.statuses)
            .map(([status, times]) => `${times}× ${status === '0' ? 'no answer' : status}`)
            .join(', ')}); they are in the figures as timed, and were delivered again untimed, as Stripe retries. ` +
            `The web process logged: ${ack.refused.serverErrors.map((line) => `\`${line.slice(0, 400)}\``).join('; ') || '(nothing at error level)'}`,
          '',
        ]),
    `Events → ledger: ${ledger.completed ? `${ledger.events.toLocaleString('en-US')} queued events drained` : `**did not finish**: ${ledger.processed.toLocaleString('en-US')} of ${ledger.events.toLocaleString('en-US')} queued events processed`} ` +
      `into ${ledger.entries.toLocaleString('en-US')} ledger entries in ${(ledger.drainMs / 1000).toFixed(1)} s ` +
      `by one \`jobs\` process (job concurrency ${ledger.jobConcurrency}, JOB_POLL_INTERVAL_MS=${ledger.pollIntervalMs}), timed from starting the service to the last event processed. ` +
      `The service was up after ${ms(ledger.startupMs)} ms; ` +
      `${ledger.firstJobMs === null ? 'no job began' : `the first job began after ${(ledger.firstJobMs / 1000).toFixed(1)} s (Agenda locks due jobs, up to its lock limit, before it runs any)`}. ` +
      `${ledger.handlerMs === null ? '' : `Per event, the handler took p50 ${ms(ledger.handlerMs.p50)} ms, p95 ${ms(ledger.handlerMs.p95)} ms, p99 ${ms(ledger.handlerMs.p99)} ms. `}` +
      `${ledger.extraRuns} events ran more than once, ${ledger.failedRuns} runs failed (and were retried). The raw baseline ran half before and half after the drain.`,
    ...(backlog === null
      ? []
      : [
          '',
          `Cost per event by backlog (after the drain above, on the same database): events stored with their jobs in batches, then a \`jobs\` process started; ` +
            `the wall time per event after the first ${backlog.small[0]?.skipped ?? 0} (Agenda's start-up). Each round drains a fresh small backlog whole; the large one is stored once ` +
            `and each round drains ${backlog.window.toLocaleString('en-US')} more of it with a new \`jobs\` process (the rest wait), timing the same number of events. The ratio is of the median rounds.`,
          '',
          '| Backlog | Round | Waiting | Drained | Timed | ms per event | Events/s | Handler p50 ms | Stored in | Load average |',
          '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
          ...[...backlog.small.map((run, index) => ({ run, size: 'small', index })), ...backlog.large.map((run, index) => ({ run, size: 'large', index }))].map(
            ({ run, size, index }) =>
              `| ${size} | ${index + 1} | ${run.backlog.toLocaleString('en-US')} | ${run.processed.toLocaleString('en-US')} | ${run.timed.toLocaleString('en-US')} | ${ms(run.msPerEvent)} | ${rate(run.eventsPerSecond)} | ${run.handlerP50Ms === null ? '–' : ms(run.handlerP50Ms)} | ${(run.seedMs / 1000).toFixed(1)} s | ${run.loadAverage} |`,
          ),
        ]),
  ];
  return `${lines.join('\n')}\n`;
}
