import { BASELINE, TARGETS, type CoverageMeasurements } from './coverageBench.js';
import type { ServerInfo } from './lib/database.js';
import type { Machine } from './lib/environment.js';
import type { DatasetSummary } from './searchData.js';

/** Everything one run found, as written to bench/results/coverage-<date>.json. */
export interface CoverageReport extends CoverageMeasurements {
  readonly benchmark: 'coverage';
  readonly ranAt: string;
  readonly machine: Machine;
  /** The machine's load average (1, 5, 15 minutes) when measuring began and ended: other work on it slows every figure. */
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly server: ServerInfo;
  readonly dataset: DatasetSummary;
  readonly targets: typeof TARGETS;
  readonly baseline: string;
  /** What the lookup covers and what it leaves out, in words. */
  readonly scope: string;
}

export const SCOPE =
  'The lookup of a coverage sync (worker/src/coverage/syncCustomerCoverage.ts, coveringCertificateFor): CertificateRepository.coverageInputsOf ' +
  '(find by tenant and customer, projected to the fields the decision reads, each parsed with zod) and findCoveringCertificate, under the default ' +
  'approved_only policy. Not measured: the Stripe calls of a sync (retrieving the customer, writing tax_exempt), which are network ' +
  'round trips to Stripe outside this service, nor its other reads (account settings, the tax-exempt memory).';

export function buildReport(parts: Omit<CoverageReport, 'benchmark' | 'targets' | 'baseline' | 'scope'>): CoverageReport {
  return { benchmark: 'coverage', targets: TARGETS, baseline: BASELINE, scope: SCOPE, ...parts };
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function plan(summary: { indexUsed: boolean; indexes: string[]; plan: string }): string {
  return `${summary.indexUsed ? summary.indexes.join(', ') : '**no index**'} (${summary.plan})`;
}

/** The results as Markdown: the summary lines, the comparison table and what explain said. */
export function formatReport(report: CoverageReport): string {
  const { machine, server, dataset, settings } = report;
  const database =
    server.product === 'ferretdb'
      ? `FerretDB ${server.ferretdbVersion ?? '?'} (${server.handler ?? 'external'}${server.handler === null ? '' : ' handler'}, reports MongoDB ${server.version})`
      : `MongoDB ${server.version}`;
  const side = (name: string, s: CoverageMeasurements['raw'], ratioCell: string): string =>
    `| ${name} | ${s.samples} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} | ${ms(s.mean)} | ${ratioCell} |`;
  const lines = [
    `Coverage lookup, ${report.ranAt.slice(0, 10)}: ${dataset.certificates.toLocaleString('en-US')} certificates in ${dataset.accounts.toLocaleString('en-US')} test-mode accounts ` +
      `(${dataset.customers.toLocaleString('en-US')} customers, ${dataset.archived.toLocaleString('en-US')} archived), the search benchmark's dataset. ` +
      `Each call: a random account, one of its customers, one of the eight common states; ${settings.warmup} warm-up calls, then ${settings.minIterations} to ${settings.iterations} timed calls per side within ${settings.budgetMs / 1000} s.`,
    '',
    `Database: ${database}. Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, mongodb driver ${machine.mongodbDriver}. ` +
      `Load average ${report.load.before[0]} at the start, ${report.load.after[0]} at the end. ` +
      `Seeding took ${(dataset.seedingMs / 1000).toFixed(1)} s, not part of the figures.`,
    '',
    `| Side | Calls | p50 | p95 | p99 | max | mean | Ratio p50 / p95 / p99 |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    side('Lookup (`coveringCertificateFor`)', report.lookup, `${report.ratio.p50}× / ${report.ratio.p95}× / ${report.ratio.p99}×`),
    side(`Raw \`${BASELINE}\``, report.raw, '1×'),
    side('Floor: `ping` (reference)', report.ping, '—'),
    '',
    `Times in milliseconds, per call, client side. Issue 9's target, lookup p99 ≤ ${TARGETS.p99Ms} ms: **${report.meetsTargets.p99 ? 'met' : 'missed'}** (${ms(report.lookup.p99)} ms). ` +
      `The round trip alone (\`ping\`) has a p99 of ${ms(report.ping.p99)} ms here${report.ping.p99 > TARGETS.p99Ms ? ', above the target: no query can meet it on this machine at this load' : ''}.`,
    '',
    `Certificates per customer read: ${report.rows.mean} on average, at most ${report.rows.max}; ${(report.rows.withoutCertificates * 100).toFixed(1)}% of the customers had none. ` +
      `A certificate covered the jurisdiction in ${(report.rows.covered * 100).toFixed(1)}% of the lookups.`,
    '',
    `Commands per lookup: ${Object.entries(report.commandsPerLookup)
      .map(([name, n]) => `${n} × ${name}`)
      .join(', ')}. Raw plan: ${plan(report.explain.raw)}. ${report.explain.lookup.map((p) => `Lookup plan: ${plan(p)}.`).join(' ')}`,
    '',
    `Scope: ${report.scope}`,
  ];
  return `${lines.join('\n')}\n`;
}
