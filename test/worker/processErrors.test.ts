import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../worker/src/paths.js';

function run(mode: 'reject' | 'throw'): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/support/strayRejection.ts'), mode], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, lines: output.split('\n').filter((line) => line !== '') })));
}

const logLines = (lines: string[]) => lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; transient?: boolean; err?: { message: string } });

describe('the worker process and errors nothing handled', () => {
  it('logs a stray rejection (a database busy for a moment) and keeps running', async () => {
    const { code, lines } = await run('reject');
    expect(code).toBe(0);
    expect(lines).toContain('still running');
    expect(logLines(lines)).toEqual([
      expect.objectContaining({ level: 40, transient: true, msg: expect.stringContaining('unhandled promise rejection'), err: expect.objectContaining({ message: 'database is locked (5) (SQLITE_BUSY)' }) }),
    ]);
  });

  it('logs an uncaught exception as fatal and exits 1', async () => {
    const { code, lines } = await run('throw');
    expect(code).toBe(1);
    expect(logLines(lines)).toEqual([expect.objectContaining({ level: 60, msg: 'uncaught exception: exiting', err: expect.objectContaining({ message: 'a bug in a callback' }) })]);
  });
});
