/**
 * The worker as production runs it, for the fault tests: `worker/src/main.ts --role=web|jobs` as
 * real child processes on one database, which a test can kill outright (SIGKILL) or stop
 * gracefully. Each keeps the tail of its output, and the log lines at level error or above, so a
 * test can say why a process died and whether anything went unhandled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Role } from '../../worker/src/config.js';
import { findFreePort } from '../../worker/src/db/network.js';
import { repoRoot } from '../../worker/src/paths.js';
import { TEST_APP_SECRET } from './api.js';
import { TEST_WEBHOOK_SECRET } from './stripeEvents.js';

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly role: Role;
  readonly pid: number;
  /** The HTTP base URL (web role), else null. */
  readonly url: string | null;
  readonly exited: Promise<WorkerExit>;
  /** True until the process has exited. */
  running(): boolean;
  /** The last lines it wrote (stdout and stderr). */
  output(): string;
  /** Log lines at level error (50) or fatal (60): something went wrong that nothing handled quietly. */
  errorLines(): string[];
  /** Sends the signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<WorkerExit>;
  /** SIGTERM (graceful: drains running jobs), then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<WorkerExit>;
}

export interface WorkerProcessOptions {
  readonly role: Role;
  readonly mongoUri: string;
  readonly database: string;
  /** More environment variables (SMTP_URL, STRIPE_API_BASE, job settings, …); they win over the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Sees every line the process writes (the tail kept by `output` is short). */
  readonly onLine?: (line: string) => void;
  /** How long it may take to be ready: a web process answering /readyz, a jobs process saying it processes jobs. */
  readonly readyTimeoutMs?: number;
}

const KEPT_LINES = 200;

/** The environment every fault-test worker gets, before the test's own variables. */
function workerEnv(options: WorkerProcessOptions, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MONGODB_URI: options.mongoUri,
    MONGODB_DB: options.database,
    HOST: '127.0.0.1',
    PORT: String(port),
    // A jobs process says when it is up at level info (and then one line per event); a web process
    // would log every request at info, so it stays at warn unless FAULTS_LOG_LEVEL says otherwise.
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? (options.role === 'jobs' ? 'info' : 'warn'),
    STRIPE_APP_SECRETS: TEST_APP_SECRET,
    STRIPE_WEBHOOK_SECRETS: TEST_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY: 'sk_test_faults',
    JOB_POLL_INTERVAL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  };
}

/** The line main.ts logs (level info) once a jobs process has connected and started its scheduler. */
const JOBS_READY = /"msg":"worker \(role jobs\) processing jobs"/;

async function waitUntilReady(role: Role, url: string | null, child: ChildProcess, timeoutMs: number, output: () => string, saidReady: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${role} process exited before it was ready:\n${output()}`);
    if (url === null) {
      if (saidReady()) return;
    } else {
      try {
        if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
      } catch {
        // Not listening yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the ${role} process was not ready within ${timeoutMs} ms:\n${output()}`);
}

/** Starts one worker process, returned once it is ready (see `waitUntilReady`). */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const port = options.role === 'jobs' ? 0 : await findFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker/src/main.ts'), `--role=${options.role}`], {
    cwd: repoRoot,
    env: workerEnv(options, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // FAULTS_WORKER_LOG_DIR keeps each process's whole output, for a failure the tail does not explain.
  const logDir = process.env.FAULTS_WORKER_LOG_DIR;
  const fullLog = logDir === undefined || logDir === '' ? null : createWriteStream(path.join(logDir, `${options.role}-${child.pid ?? 'unknown'}.log`));
  const lines: string[] = [];
  const errors: string[] = [];
  let partial = '';
  let saidReady = false;
  const take = (chunk: Buffer): void => {
    fullLog?.write(chunk);
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (line === '') continue;
      options.onLine?.(line);
      if (JOBS_READY.test(line)) saidReady = true;
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      const level = /"level":(\d+|"\w+")/.exec(line)?.[1];
      if (level !== undefined && (Number(level) >= 50 || level === '"error"' || level === '"fatal"')) errors.push(line);
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<WorkerExit>((resolve) =>
    child.once('exit', (code, signal) => {
      fullLog?.end();
      resolve({ code, signal });
    }),
  );
  const output = (): string => [...lines, partial].join('\n');
  const url = options.role === 'jobs' ? null : `http://127.0.0.1:${port}`;

  const kill = async (signal: NodeJS.Signals): Promise<WorkerExit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const handle: WorkerProcess = {
    role: options.role,
    pid: child.pid ?? -1,
    url,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    output,
    errorLines: () => [...errors],
    kill,
    async stop(graceMs = 15_000) {
      if (!handle.running()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
  try {
    await waitUntilReady(options.role, url, child, options.readyTimeoutMs ?? 120_000, output, () => saidReady);
  } catch (error) {
    await kill('SIGKILL');
    throw error;
  }
  return handle;
}
