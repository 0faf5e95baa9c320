import type { ServerInfo } from './lib/database.js';
import type { Machine } from './lib/environment.js';
import { TARGETS, type SearchMeasurements } from './searchBench.js';
import type { DatasetSummary } from './searchData.js';

/** Everything one run found, as written to bench/results/search-<date>.json. */
export interface SearchReport extends SearchMeasurements {
  readonly benchmark: 'search';
  readonly ranAt: string;
  readonly machine: Machine;
  /** The machine's load average (1, 5, 15 minutes) when measuring began and ended: other work on it slows every figure. */
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly server: ServerInfo;
  readonly dataset: DatasetSummary;
  readonly targets: typeof TARGETS;
  /** Query shapes the database answered without an index, in words. */
  readonly findings: string[];
}

export function buildReport(parts: Omit<SearchReport, 'benchmark' | 'targets' | 'findings'>): SearchReport {
  const database = parts.server.product === 'ferretdb' ? `FerretDB ${parts.server.ferretdbVersion ?? ''} (${parts.server.handler ?? 'unknown'} handler)` : `MongoDB ${parts.server.version}`;
  const findings: string[] = [];
  for (const query of parts.queries) {
    const plans = [
      { what: 'raw baseline', plan: query.explain.raw },
      ...query.explain.repositoryBefore.map((plan) => ({ what: 'repository, preparatory query', plan })),
      { what: 'repository page query', plan: query.explain.repository },
    ];
    for (const { what, plan } of plans) {
      if (!plan.indexUsed) findings.push(`${database} used no index for ${query.id} (${what}): ${plan.plan}`);
    }
    if (query.explain.repositoryBefore.length > 0) {
      findings.push(`${query.id}: the repository sends ${query.explain.repositoryBefore.length + 1} queries per search (a status refresh before the page query); the raw baseline sends 1.`);
    }
  }
  for (const lookup of parts.reference) {
    findings.push(`${database}, ${lookup.description}: ${lookup.explain.indexUsed ? `index ${lookup.explain.indexes.join(', ')}` : 'no index'} (${lookup.explain.plan})`);
  }
  return { benchmark: 'search', targets: TARGETS, findings, ...parts };
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function yesNo(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}

/** The results as Markdown: the summary line, the comparison table, the point lookups and the findings. */
export function formatReport(report: SearchReport): string {
  const { machine, server, dataset, settings } = report;
  const database =
    server.product === 'ferretdb'
      ? `FerretDB ${server.ferretdbVersion ?? '?'} (${server.handler ?? 'external'}${server.handler === null ? '' : ' handler'}, reports MongoDB ${server.version})`
      : `MongoDB ${server.version}`;
  const lines = [
    `Certificate search, ${report.ranAt.slice(0, 10)}: ${dataset.certificates.toLocaleString('en-US')} certificates in ${dataset.accounts.toLocaleString('en-US')} test-mode accounts ` +
      `(${dataset.customers.toLocaleString('en-US')} customers, ${dataset.archived.toLocaleString('en-US')} archived, ${dataset.withoutExpiration.toLocaleString('en-US')} with a jurisdiction that never expires). ` +
      `Per query and side: ${settings.warmup} warm-up calls, then ${settings.minIterations} to ${settings.iterations} timed calls within ${settings.budgetMs / 1000} s (the count is in the JSON); page size ${settings.pageSize}.`,
    '',
    `Database: ${database}. Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, mongodb driver ${machine.mongodbDriver}. ` +
      `Load average ${report.load.before[0]} at the start, ${report.load.after[0]} at the end. ` +
      `Seeding took ${(dataset.seedingMs / 1000).toFixed(1)} s (indexes ${(dataset.indexingMs / 1000).toFixed(1)} s), not part of the figures.`,
    '',
    `| Query | Calls | Repository p50 | Repository p95 | Raw p50 | Raw p95 | Ratio p50 | Ratio p95 | Rows (repo / raw) | Raw uses index | p95 ≤ ${TARGETS.p95Ms} ms | ≤ ${TARGETS.ratio}× raw |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|',
    ...report.queries.map(
      (q) =>
        `| ${q.id} | ${q.raw.samples} | ${ms(q.repository.p50)} | ${ms(q.repository.p95)} | ${ms(q.raw.p50)} | ${ms(q.raw.p95)} | ${q.ratio.p50}× | ${q.ratio.p95}× | ${q.rows.repository} / ${q.rows.raw} | ` +
        `${q.explain.raw.indexUsed ? q.explain.raw.indexes.join(', ') : '**no**'} | ${yesNo(q.meetsTargets.p95)} | ${yesNo(q.meetsTargets.ratio)} |`,
    ),
    '',
    'Times in milliseconds, per call, client side (round trip, and for the repository its parsing of each document).',
    '',
    '| Point lookup (raw only) | Calls | p50 | p95 | Uses index |',
    '|---|--:|--:|--:|---|',
    ...report.reference.map((r) => `| ${r.description} | ${r.raw.samples} | ${ms(r.raw.p50)} | ${ms(r.raw.p95)} | ${r.explain.indexUsed ? r.explain.indexes.join(', ') : '**no**'} |`),
  ];
  if (report.findings.length > 0) lines.push('', 'What explain said:', '', ...report.findings.map((finding) => `- ${finding}`));
  return `${lines.join('\n')}\n`;
}
