import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../worker/src/paths.js';

/** Where the hostile-input tests leave the figures they produced (git-ignored), for SECURITY.md. */
export const FIGURES_FOLDER = path.join(repoRoot, 'test', 'artifacts', 'hostile-input');

export async function writeFigures(name: string, figures: unknown): Promise<void> {
  await mkdir(FIGURES_FOLDER, { recursive: true });
  await writeFile(path.join(FIGURES_FOLDER, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}
