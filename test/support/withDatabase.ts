/**
 * Runs a command (the test runner) with a MongoDB-compatible server for it: MONGODB_URI when set,
 * else the same embedded server `npm start` uses, in a throwaway data folder removed afterwards.
 * Each test file then opens its own database on that server (see database.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../worker/src/config.js';
import { provisionDatabase } from '../../worker/src/db/provision.js';
import { createLogger } from '../../worker/src/logger.js';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: tsx test/support/withDatabase.ts <command> [args…]\n');
  process.exit(2);
}

const config = loadConfig();
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'exemptions-test-data-'));
const server = await provisionDatabase({ uri: config.MONGODB_URI, dataDir, cacheDir: config.CACHE_DIR, logger });
process.stderr.write(`test database: ${server.kind} at ${server.uri}\n`);

const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, MONGODB_URI: server.uri, TEST_DATABASE_KIND: server.kind },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));

const code = await new Promise<number>((resolve) => child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
await server.stop();
await rm(dataDir, { recursive: true, force: true });
process.exit(code);
