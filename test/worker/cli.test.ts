/**
 * The worker as an operator runs it: `npm start` (tsx worker/src/main.ts) as a real process,
 * on the embedded database it provisions for itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { repoRoot } from '../../worker/src/paths.js';

interface Started {
  child: ChildProcess;
  url: string;
  databasePid: number;
  databaseUri: string;
  output: () => string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...extra };
  // The worker must provision its own database here, as on a new machine.
  delete env.MONGODB_URI;
  return env;
}

function run(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker/src/main.ts'), ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function startWorker(dataDir: string, extra: Record<string, string> = {}): Promise<Started & { exit: Promise<number | null> }> {
  const { child, output, exit } = run([], baseEnv({ PORT: '0', DATA_DIR: dataDir, ...extra }));
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const line = output()
      .split('\n')
      .find((l) => l.includes('"url":"http'));
    if (line !== undefined) {
      const parsed = JSON.parse(line) as { url: string; database: { pid: number; uri: string } };
      return { child, url: parsed.url, databasePid: parsed.database.pid, databaseUri: parsed.database.uri, output, exit };
    }
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`worker did not start:\n${output()}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function accepts(uri: string): Promise<boolean> {
  const { hostname, port } = new URL(uri);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True once the database process is gone and nothing listens on its port any more. */
async function databaseGone(worker: Started, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(worker.databasePid) && !(await accepts(worker.databaseUri))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}


describe('the worker process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'exemptions-cli-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts on the embedded database, answers /readyz, and on SIGINT exits 0 leaving no database process', async () => {
    const worker = await startWorker(dataDir);
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(isAlive(worker.databasePid)).toBe(true);
    expect(await accepts(worker.databaseUri)).toBe(true);

    worker.child.kill('SIGINT');
    expect(await worker.exit).toBe(0);
    expect(await databaseGone(worker)).toBe(true);
  }, 300_000);

  it('keeps its data between runs', async () => {
    const first = await startWorker(dataDir);
    const client = await MongoClient.connect(first.databaseUri);
    await client.db('exemptions').collection('persistence').insertOne({ _id: 'kept' } as never);
    await client.close();
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = await startWorker(dataDir);
    const again = await MongoClient.connect(second.databaseUri);
    expect(await again.db('exemptions').collection('persistence').findOne({ _id: 'kept' } as never)).toEqual({ _id: 'kept' });
    await again.close();
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  }, 300_000);

  it('takes its database down with it when killed outright', async () => {
    const worker = await startWorker(dataDir);
    worker.child.kill('SIGKILL');
    await worker.exit;
    expect(await databaseGone(worker)).toBe(true);
  }, 300_000);

  it('refuses a port already in use with one clear line and no stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const { output, exit } = run([], baseEnv({ PORT: String(port), DATA_DIR: dataDir }));
    expect(await exit).toBe(1);
    blocker.close();
    expect(output()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(output()).not.toMatch(/\n\s+at /);
  }, 300_000);

  it('stops on a bad variable with a message naming it', async () => {
    const { output, exit } = run([], baseEnv({ PORT: 'eighty', DATA_DIR: dataDir }));
    expect(await exit).toBe(1);
    expect(output()).toContain('PORT: expected a TCP port number (got "eighty")');
    expect(output()).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('stops on an unknown role with a message naming the choices', async () => {
    const { output, exit } = run(['--role=everything'], baseEnv({ DATA_DIR: dataDir }));
    expect(await exit).toBe(1);
    expect(output()).toContain('--role: expected one of web, jobs, all (got "everything")');
  }, 60_000);

  it('names all three options when no database can be had', async () => {
    const emptyCache = await mkdtemp(path.join(os.tmpdir(), 'exemptions-nocache-'));
    // PATH with node only: no mongod, no go, and an empty cache means no FerretDB binary either.
    const env = baseEnv({ DATA_DIR: dataDir, CACHE_DIR: emptyCache, PATH: path.dirname(process.execPath) });
    const { output, exit } = run([], env);
    expect(await exit).toBe(1);
    expect(output()).toContain('set MONGODB_URI');
    expect(output()).toContain('`mongod` binary on PATH');
    expect(output()).toContain('install Go');
    await rm(emptyCache, { recursive: true, force: true });
  }, 60_000);
});

