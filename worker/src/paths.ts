import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root, so default data and cache folders do not depend on the current directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
