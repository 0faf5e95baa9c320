import { execFile } from 'node:child_process';
import { access, chmod, chown, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';
import { findExecutable } from './findExecutable.js';
import { spawnGuarded, type GuardedProcess } from './guardedProcess.js';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts the server binaries (one folder per major version). */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/**
 * The folder holding `initdb` and `postgres`: `initdb` on PATH, else the newest Debian install,
 * else null (the embedded default then falls back to FerretDB's SQLite handler).
 */
export async function findPostgresBinDir(searchPath?: string): Promise<string | null> {
  const onPath = findExecutable('initdb', searchPath);
  // Resolve links: distributions link initdb into PATH but keep pg_isready beside the real one.
  if (onPath !== null) return path.dirname(await realpath(onPath));
  const versions = await readdir(DEBIAN_POSTGRES_ROOT).catch(() => [] as string[]);
  for (const version of versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) {
    const bin = path.join(DEBIAN_POSTGRES_ROOT, version, 'bin');
    if (findExecutable('initdb', bin) !== null && findExecutable('postgres', bin) !== null) return bin;
  }
  return null;
}

export interface RunningPostgres {
  /** A connection URL over the Unix socket; the server listens on no TCP port. */
  readonly url: string;
  readonly process: GuardedProcess;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user Debian's package creates. */
async function asServerUser(dataDir: string, dir: string): Promise<{ wrap: (command: string, args: string[]) => [string, string[]] }> {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args] };
  const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new Error('PostgreSQL cannot run as root and there is no `postgres` user: run as another user or set MONGODB_URI');
  });
  const uid = Number(stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(dir, uid, gid);
  // The server must pass through our data folder (often a 0700 temp folder) to reach its own.
  await chmod(dataDir, (await stat(dataDir)).mode | 0o001);
  // setpriv execs the server in place, so the watchdog's signal reaches postgres itself.
  return { wrap: (command, args) => ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]] };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function waitUntilReady(binDir: string, socketDir: string, timeoutMs: number, gaveUp: Promise<unknown>): Promise<boolean> {
  let stopped = false;
  void gaveUp.then(() => (stopped = true));
  const deadline = Date.now() + timeoutMs;
  while (!stopped && Date.now() < deadline) {
    // pg_isready, not the socket file: the socket appears while the server is still starting up.
    const ready = await run(path.join(binDir, 'pg_isready'), ['-q', '-h', socketDir, '-U', 'ferretdb', '-d', 'postgres']).then(
      () => true,
      () => false,
    );
    if (ready) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * A private PostgreSQL cluster in `<dataDir>/postgres` for FerretDB: created on first use, reached
 * only through a Unix socket inside that folder (mode 0700), so no password and no open port.
 *
 * `plan_cache_mode=force_custom_plan` matters: FerretDB sends every filter key as a parameter
 * (`_jsonb->$1 @> $2`), and only a custom plan sees the key and can use the field's index.
 */
export async function startPostgres(binDir: string, dataDir: string, logger: Logger): Promise<RunningPostgres> {
  const dir = path.join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const user = await asServerUser(dataDir, dir);
  const cluster = path.join(dir, 'cluster');
  if (!(await exists(path.join(cluster, 'PG_VERSION')))) {
    logger.info({ cluster }, 'creating the embedded PostgreSQL cluster');
    const [command, args] = user.wrap(path.join(binDir, 'initdb'), ['-D', cluster, '-U', 'ferretdb', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions']);
    await run(command, args, { cwd: dir });
  }
  const [command, args] = user.wrap(path.join(binDir, 'postgres'), [
    '-D', cluster,
    '-k', dir,
    '-c', "listen_addresses=",
    '-c', 'plan_cache_mode=force_custom_plan',
    '-c', 'max_connections=200',
  ]);
  const child = spawnGuarded(command, args, logger);
  if (!(await waitUntilReady(binDir, dir, 60_000, child.exited))) {
    await child.stop();
    throw new Error(`PostgreSQL did not start in ${cluster}:\n${child.outputTail()}`);
  }
  return { url: `postgres://ferretdb@/postgres?host=${encodeURIComponent(dir)}`, process: child };
}
