import { spawn } from 'node:child_process';
import type { Logger } from '../logger.js';

/**
 * A sh wrapper that ties the child's life to ours: we hold its stdin open, and when that pipe
 * closes — a clean stop, a crash, even SIGKILL of this process — the watcher kills the child.
 * Node cannot set PR_SET_PDEATHSIG, and exit handlers do not run on SIGKILL, hence the pipe.
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null &
child=$!
( while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null ) &
watcher=$!
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
`;

export interface GuardedProcess {
  readonly pid: number;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last output lines, for error messages when the process fails to start. */
  outputTail(): string;
  /** Asks the process to stop, and kills it if it has not exited within the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

export function spawnGuarded(command: string, args: readonly string[], logger: Logger): GuardedProcess {
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop the database last.
    detached: true,
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      logger.debug({ process: command }, line);
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // The watchdog holds the pipe; a write error only means it is already gone.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Do not keep the event loop alive for the database alone.
  child.unref();

  return {
    pid: child.pid ?? -1,
    exited,
    outputTail: () => tail.join('\n'),
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Waiting for the exit must keep the event loop alive, or Node would quit mid-stop.
      child.ref();
      child.stdin.end();
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout' && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await exited;
      }
    },
  };
}
