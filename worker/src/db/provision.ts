import type { Logger } from '../logger.js';
import { ensureFerretDbBinary, startFerretDb } from './ferretdb.js';
import { findExecutable } from './findExecutable.js';
import type { LocalServer } from './localServer.js';
import { startMongod } from './mongod.js';

export { NoDatabaseError } from './errors.js';

export interface ProvisionOptions {
  uri: string | undefined;
  dataDir: string;
  cacheDir: string;
  logger: Logger;
  searchPath?: string;
}

/** MONGODB_URI if set; else a mongod on PATH; else FerretDB (cached, or built with Go); else NoDatabaseError. */
export async function provisionDatabase(options: ProvisionOptions): Promise<LocalServer> {
  const { uri, dataDir, cacheDir, logger, searchPath } = options;
  if (uri !== undefined) return { kind: 'external', uri, pid: -1, stop: async () => undefined };
  const mongod = findExecutable('mongod', searchPath);
  if (mongod !== null) {
    logger.info({ mongod }, 'starting local mongod');
    return startMongod(mongod, dataDir, logger);
  }
  const binary = await ensureFerretDbBinary(cacheDir, findExecutable('go', searchPath), logger);
  logger.info({ binary, dataDir }, 'starting embedded FerretDB');
  return startFerretDb(binary, dataDir, logger);
}
