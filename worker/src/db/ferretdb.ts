import { execFile } from 'node:child_process';
import { access, chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';
import { spawnGuarded } from './guardedProcess.js';
import { findFreePort, waitForPort } from './network.js';
import type { LocalServer } from './localServer.js';
import { NoDatabaseError } from './errors.js';

const run = promisify(execFile);

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

/**
 * Our patch to FerretDB's PostgreSQL handler (docs/ferretdb.md): a GIN index per indexed field
 * (without a pending list), so the filters it pushes down (`_jsonb->'field' @> value`) use an index
 * instead of scanning the table; a top-level `$in` of scalars pushed down too, so a batch read by
 * `$in` uses that index; no push-down of dotted keys, which made updates miss documents matched
 * through an array; and a find's limit pushed down with a filter of top-level string or boolean
 * equalities, whose SQL matches exactly, so such a find reads only the rows it returns.
 * The suffix names the patch level, so a cached binary built without it is rebuilt.
 */
const POSTGRESQL_PATCH = fileURLToPath(new URL('./ferretdb-postgresql.patch', import.meta.url));
const BUILD = `${FERRETDB_VERSION}-pg4`;

export function ferretDbBinaryPath(cacheDir: string): string {
  return path.join(cacheDir, 'bin', `ferretdb-${BUILD}`);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Builds FerretDB once per machine into the cache folder.
 *
 * Plain `go install …@v1.24.2` yields a binary that panics at start-up: the published module lacks
 * the generated build/version/version.txt. So we copy the module source, write that file, and
 * `go build` it; Go's build cache makes later rebuilds take seconds.
 */
export async function ensureFerretDbBinary(cacheDir: string, goBinary: string | null, logger: Logger): Promise<string> {
  const binary = ferretDbBinaryPath(cacheDir);
  if (await exists(binary)) return binary;
  if (goBinary === null) throw new NoDatabaseError();
  logger.info({ version: FERRETDB_VERSION }, 'building FerretDB once for this machine (this can take a few minutes)');
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferretdb-build-'));
  try {
    const { stdout } = await run(goBinary, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: work,
      maxBuffer: 1 << 20,
    });
    const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
    if (moduleDir === undefined) throw new Error(`go mod download did not report a directory for ${FERRETDB_MODULE}`);
    const source = path.join(work, 'src');
    await cp(moduleDir, source, { recursive: true });
    await chmod(source, 0o755);
    await run('chmod', ['-R', 'u+w', source]);
    await writeFile(path.join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    await run('patch', ['-p1', '--forward', '--silent', '-i', POSTGRESQL_PATCH], { cwd: source });
    await mkdir(path.dirname(binary), { recursive: true });
    const partial = `${binary}.${process.pid}.partial`;
    await run(goBinary, ['build', '-buildvcs=false', '-trimpath', '-o', partial, './cmd/ferretdb'], {
      cwd: source,
      maxBuffer: 16 << 20,
    });
    // Rename is atomic, so a concurrent start never sees half a binary.
    await rename(partial, binary);
    logger.info({ binary }, 'FerretDB built');
    return binary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The storage FerretDB translates to: a PostgreSQL we started (indexed), or SQLite files (no index use at all). */
export type FerretDbStorage = { readonly handler: 'postgresql'; readonly url: string } | { readonly handler: 'sqlite' };

export async function startFerretDb(binary: string, dataDir: string, storage: FerretDbStorage, logger: Logger): Promise<LocalServer> {
  const dir = path.join(dataDir, 'ferretdb');
  await mkdir(dir, { recursive: true });
  const port = await findFreePort();
  const debugPort = await findFreePort();
  const handler =
    storage.handler === 'postgresql' ? ['--handler=postgresql', `--postgresql-url=${storage.url}`] : ['--handler=sqlite', `--sqlite-url=file:${dir}/`];
  const child = spawnGuarded(
    binary,
    [
      ...handler,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      `--debug-addr=127.0.0.1:${debugPort}`,
      '--telemetry=disable',
      '--log-level=warn',
    ],
    logger,
  );
  if (!(await waitForPort(port, 30_000, child.exited))) {
    await child.stop();
    throw new Error(`FerretDB did not start on port ${port}:\n${child.outputTail()}`);
  }
  return { kind: `ferretdb-${storage.handler}`, uri: `mongodb://127.0.0.1:${port}/`, pid: child.pid, stop: () => child.stop() };
}
