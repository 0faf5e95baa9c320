/**
 * stripe-mock (Stripe's official API mock, built from its OpenAPI spec) on a free loopback
 * port, so the real Stripe gateway's request shapes are checked without reaching Stripe.
 * Built once per machine with `go install` into the cache folder, like FerretDB.
 */
import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../worker/src/config.js';
import { spawnGuarded } from '../../worker/src/db/guardedProcess.js';
import { findFreePort, waitForPort } from '../../worker/src/db/network.js';
import { createLogger } from '../../worker/src/logger.js';

const STRIPE_MOCK_VERSION = 'v0.203.0';

export interface StripeMock {
  readonly url: string;
  stop(): Promise<void>;
}

async function ensureBinary(): Promise<string> {
  const dir = path.join(loadConfig().CACHE_DIR, 'bin', `stripe-mock-${STRIPE_MOCK_VERSION}`);
  const binary = path.join(dir, 'stripe-mock');
  const built = await access(binary).then(
    () => true,
    () => false,
  );
  if (!built) {
    await mkdir(dir, { recursive: true });
    await promisify(execFile)('go', ['install', `github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`], {
      env: { ...process.env, GOBIN: dir },
      maxBuffer: 16 << 20,
    });
  }
  return binary;
}

export async function startStripeMock(): Promise<StripeMock> {
  const binary = await ensureBinary();
  const port = await findFreePort();
  const child = spawnGuarded(binary, ['-http-addr', `127.0.0.1:${port}`], createLogger('silent'));
  if (!(await waitForPort(port, 30_000, child.exited))) {
    await child.stop();
    throw new Error(`stripe-mock did not start:\n${child.outputTail()}`);
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}
