import type { ServerInfo } from './lib/database.js';
import type { Machine } from './lib/environment.js';
import { TARGETS, type MemoryFigures, type UploadMeasurements } from './uploadBench.js';

/** Everything one run found, as written to bench/results/upload-<date>.json. */
export interface UploadReport extends UploadMeasurements {
  readonly benchmark: 'upload';
  readonly ranAt: string;
  readonly machine: Machine;
  /** The machine's load average (1, 5, 15 minutes) when measuring began and ended. */
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly server: ServerInfo;
  readonly targets: typeof TARGETS;
  readonly baseline: string;
}

export const BASELINE = 'GridFSBucket.openUploadStream(…).end(bytes) until finish, in the worker process, bytes already in memory';

export function buildReport(parts: Omit<UploadReport, 'benchmark' | 'targets' | 'baseline'>): UploadReport {
  return { benchmark: 'upload', targets: TARGETS, baseline: BASELINE, ...parts };
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function memoryRow(name: string, figures: MemoryFigures): string {
  const { rssIncreaseMiB: rss, jsIncreaseMiB: js } = figures;
  return `| ${name} | ${rss.p50} | ${rss.max} | ${figures.rssIncreaseTimesFile.p50}× / ${figures.rssIncreaseTimesFile.max}× | ${js.p50} | ${js.max} | ${figures.rssStartMiB.p50} |`;
}

/** The results as Markdown: the summary lines, the time and memory tables, what was stored. */
export function formatReport(report: UploadReport): string {
  const { machine, server, file, settings } = report;
  const database =
    server.product === 'ferretdb'
      ? `FerretDB ${server.ferretdbVersion ?? '?'} (${server.handler ?? 'external'}${server.handler === null ? '' : ' handler'}, reports MongoDB ${server.version})`
      : `MongoDB ${server.version}`;
  const fileMiB = (file.bytes / 1024 / 1024).toFixed(2);
  const lines = [
    `Portal upload, ${report.ranAt.slice(0, 10)}: a customer answers a certificate request on the portal (multipart form, the fields of a complete answer and one PDF of ` +
      `${file.bytes.toLocaleString('en-US')} bytes = ${fileMiB} MiB: ${file.pages} scanned pages, Flate-compressed grayscale images, ${(file.inflatedImageBytes / 1024 / 1024).toFixed(1)} MiB inflated). ` +
      `${settings.warmup} untimed, then ${settings.uploads} timed uploads, each to a new request created through the API, alternating with as many raw GridFS uploads.`,
    '',
    `Database: ${database}. Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, mongodb driver ${machine.mongodbDriver}. ` +
      `Load average ${report.load.before[0]} at the start, ${report.load.after[0]} at the end. Worker: its own process, role all, LOG_LEVEL ${settings.logLevel}.`,
    '',
    '| Side | Calls | p50 | p95 | max | mean | Ratio p50 / p95 | Worker CPU p50 |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    `| Portal upload, end to end (client side) | ${report.upload.samples} | ${ms(report.upload.p50)} | ${ms(report.upload.p95)} | ${ms(report.upload.max)} | ${ms(report.upload.mean)} | ${report.ratio.p50}× / ${report.ratio.p95}× | ${ms(report.memory.upload.cpuMs.p50)} |`,
    `| Raw GridFS upload (worker process) | ${report.raw.samples} | ${ms(report.raw.p50)} | ${ms(report.raw.p95)} | ${ms(report.raw.max)} | ${ms(report.raw.mean)} | 1× | ${ms(report.memory.raw.cpuMs.p50)} |`,
    '',
    'Times in milliseconds. Worker CPU: the CPU time the worker process used during the call (all its threads), which other work on the machine barely moves.',
    '',
    '| Memory of the worker process, per call | Peak RSS increase p50 (MiB) | max (MiB) | × file p50 / max | JS increase p50 (MiB, floor) | max | RSS at start p50 (MiB) |',
    '|---|--:|--:|--:|--:|--:|--:|',
    memoryRow('Portal upload', report.memory.upload),
    memoryRow('Raw GridFS upload', report.memory.raw),
    '',
    `Issue 9's targets: upload p95 ≤ ${TARGETS.p95Ms} ms: **${report.meetsTargets.p95 ? 'met' : 'missed'}** (${ms(report.upload.p95)} ms); ` +
      `memory increase ≤ ${TARGETS.memoryTimesFile}× the file (${(TARGETS.memoryTimesFile * file.bytes / 1024 / 1024).toFixed(1)} MiB), peak RSS and JS alike, in every upload: ` +
      `**${report.meetsTargets.memory ? 'met' : 'missed'}** (at most ${report.memory.upload.rssIncreaseMiB.max} MiB RSS, ${report.memory.upload.jsIncreaseMiB.max} MiB JS).`,
    '',
    `Stored afterwards: ${report.stored.files} files in the certificate_files bucket, ${report.stored.allWhole ? 'each the whole file with its SHA-256' : '**not all whole**'}; ` +
      `${report.stored.submitted} requests submitted with the file's SHA-256.`,
    '',
    `Memory method: ${settings.memoryMethod}`,
  ];
  return `${lines.join('\n')}\n`;
}
