import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { spawnGuarded } from './guardedProcess.js';
import { findFreePort, waitForPort } from './network.js';
import type { LocalServer } from './localServer.js';

export async function startMongod(binary: string, dataDir: string, logger: Logger): Promise<LocalServer> {
  const dir = path.join(dataDir, 'mongod');
  await mkdir(dir, { recursive: true });
  const port = await findFreePort();
  const child = spawnGuarded(binary, ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], logger);
  if (!(await waitForPort(port, 60_000, child.exited))) {
    await child.stop();
    throw new Error(`mongod did not start on port ${port}:\n${child.outputTail()}`);
  }
  return { kind: 'mongod', uri: `mongodb://127.0.0.1:${port}/`, pid: child.pid, stop: () => child.stop() };
}
