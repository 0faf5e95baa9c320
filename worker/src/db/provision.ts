import type { Logger } from '../logger.js';
import { ensureFerretDbBinary, startFerretDb } from './ferretdb.js';
import { findExecutable } from './findExecutable.js';
import type { LocalServer } from './localServer.js';
import { startMongod } from './mongod.js';
import { findPostgresBinDir, startPostgres } from './postgres.js';

export { NoDatabaseError } from './errors.js';

export interface ProvisionOptions {
  uri: string | undefined;
  dataDir: string;
  cacheDir: string;
  logger: Logger;
  searchPath?: string;
}

/**
 * MONGODB_URI if set; else a mongod on PATH; else FerretDB (cached, or built with Go) on a private
 * PostgreSQL when one is installed, else on SQLite; else NoDatabaseError.
 */
export async function provisionDatabase(options: ProvisionOptions): Promise<LocalServer> {
  const { uri, dataDir, cacheDir, logger, searchPath } = options;
  if (uri !== undefined) return { kind: 'external', uri, pid: -1, stop: async () => undefined };
  const mongod = findExecutable('mongod', searchPath);
  if (mongod !== null) {
    logger.info({ mongod }, 'starting local mongod');
    return startMongod(mongod, dataDir, logger);
  }
  const binary = await ensureFerretDbBinary(cacheDir, findExecutable('go', searchPath), logger);
  const postgresBin = await findPostgresBinDir(searchPath);
  if (postgresBin === null) {
    logger.warn(
      { binary, dataDir },
      'starting embedded FerretDB on SQLite: no PostgreSQL found (apt-get install postgresql), so every query scans its whole collection',
    );
    return startFerretDb(binary, dataDir, { handler: 'sqlite' }, logger);
  }
  const postgres = await startPostgres(postgresBin, dataDir, logger);
  logger.info({ binary, dataDir, postgresBin }, 'starting embedded FerretDB on PostgreSQL');
  try {
    const ferretdb = await startFerretDb(binary, dataDir, { handler: 'postgresql', url: postgres.url }, logger);
    return {
      ...ferretdb,
      // FerretDB first: PostgreSQL's shutdown waits for its clients to leave.
      stop: async () => {
        await ferretdb.stop();
        await postgres.process.stop();
      },
    };
  } catch (error) {
    await postgres.process.stop();
    throw error;
  }
}
