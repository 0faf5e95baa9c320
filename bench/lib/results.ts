import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../worker/src/paths.js';
import { localDate } from './environment.js';

export interface ResultsToKeep {
  /** The benchmark's name: the default file is `bench/results/<name>-<date>.json`. */
  readonly name: string;
  /** `--out`, if given. */
  readonly out: string | undefined;
  /** Only a run of the default size goes to the default file; a reduced one is printed, not kept. */
  readonly defaultSize: boolean;
  readonly report: unknown;
  readonly markdown: string;
}

/** Writes a run's report as JSON, and its markdown beside it (`.md`), where it belongs. */
export async function keepResults({ name, out, defaultSize, report, markdown }: ResultsToKeep, log: (line: string) => void): Promise<void> {
  const file = out ?? (defaultSize ? unusedResultsPath(name) : null);
  if (file === null) {
    log('(not written: not the default size; pass --out file.json to keep it)');
    return;
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${file.replace(/\.json$/, '')}.md`, markdown);
  log(`written: ${path.relative(process.cwd(), file)} and .md`);
}

/** `bench/results/<name>-<date>.json`, or `-2`, `-3`… after it: a run never overwrites an earlier one's results. */
function unusedResultsPath(name: string): string {
  const base = path.join(repoRoot, 'bench', 'results', `${name}-${localDate()}`);
  for (let n = 1; ; n += 1) {
    const file = n === 1 ? `${base}.json` : `${base}-${n}.json`;
    if (!existsSync(file)) return file;
  }
}
