import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { loadConfig } from '../../worker/src/config.js';
import type { LocalServer } from '../../worker/src/db/localServer.js';
import { provisionDatabase } from '../../worker/src/db/provision.js';
import { createLogger } from '../../worker/src/logger.js';

/** What answered the benchmark's queries; FerretDB announces itself in buildInfo. */
export interface ServerInfo {
  /** The product behind the wire protocol. */
  readonly product: 'mongodb' | 'ferretdb';
  /** How the benchmark got it: MONGODB_URI (external), a mongod on PATH, or the embedded FerretDB. */
  readonly provisioned: LocalServer['kind'];
  /** The MongoDB version the server reports (FerretDB reports the version it imitates). */
  readonly version: string;
  readonly ferretdbVersion: string | null;
  /** FerretDB's storage handler when we started it ourselves (the same flags as `npm start`). */
  readonly handler: 'postgresql' | 'sqlite' | null;
}

export interface BenchDatabase {
  readonly uri: string;
  readonly client: MongoClient;
  readonly db: Db;
  readonly server: ServerInfo;
  /** Drops the benchmark's database, disconnects, stops a server we started and removes its data. */
  close(): Promise<void>;
}

/**
 * The database `npm start` would use (MONGODB_URI, else a mongod on PATH, else the embedded FerretDB),
 * with its data in a throwaway folder, and a fresh database on it named after the benchmark.
 */
export async function openBenchDatabase(benchmark: string): Promise<BenchDatabase> {
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `exemptions-bench-${benchmark}-`));
  const name = `bench_${benchmark}_${randomBytes(4).toString('hex')}`;
  let local: LocalServer | null = null;
  let client: MongoClient | null = null;
  const close = async (): Promise<void> => {
    if (client !== null) {
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    }
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    local = await provisionDatabase({ uri: config.MONGODB_URI, dataDir, cacheDir: config.CACHE_DIR, logger });
    client = await MongoClient.connect(local.uri, { appName: `exemptions-bench-${benchmark}` });
    const build = await client.db('admin').command({ buildInfo: 1 });
    const ferretdbVersion = typeof build.ferretdbVersion === 'string' ? build.ferretdbVersion : null;
    const server: ServerInfo = {
      product: ferretdbVersion === null ? 'mongodb' : 'ferretdb',
      provisioned: local.kind,
      version: String(build.version),
      ferretdbVersion,
      handler: local.kind === 'ferretdb-postgresql' ? 'postgresql' : local.kind === 'ferretdb-sqlite' ? 'sqlite' : null,
    };
    return { uri: local.uri, client, db: client.db(name), server, close };
  } catch (error) {
    await close();
    throw error;
  }
}
