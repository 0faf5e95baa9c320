/**
 * Writes docs/openapi.json from the zod schemas and the operations table in
 * worker/src/http/openapi.ts: `npm run openapi`. Run it after changing a route or a schema;
 * test/worker/openapi.test.ts fails while the committed file differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openApiJson } from '../worker/src/http/openapi.js';
import { repoRoot } from '../worker/src/paths.js';

const OPENAPI_FILE = path.join(repoRoot, 'docs', 'openapi.json');

await writeFile(OPENAPI_FILE, openApiJson());
console.log(`Wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
