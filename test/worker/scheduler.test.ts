import { z } from 'zod';
import { defineJob } from '../../worker/src/jobs/scheduler.js';
import { testConfig } from '../support/database.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('jobs', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.dispose();
    service = undefined;
  });

  it('runs a scheduled job end to end with its validated data', async () => {
    const seen: Array<{ customerId: string }> = [];
    const job = defineJob({
      name: 'record-customer',
      data: z.object({ customerId: z.string() }),
      handler: async (data) => {
        seen.push(data);
      },
    });
    service = await startTestService({ jobs: [job] });
    await service.scheduler.now('record-customer', { customerId: 'cus_123' });
    const result = await eventually(async () => seen, (s) => s.length > 0);
    expect(result).toEqual([{ customerId: 'cus_123' }]);
  });

  it('removes a one-off job once it succeeds, and keeps a recurring one with its next run', async () => {
    const seen: string[] = [];
    const job = defineJob({
      name: 'note-once',
      data: z.object({ text: z.string() }),
      handler: async ({ text }) => void seen.push(text),
    });
    service = await startTestService({ jobs: [job] });
    const jobs = service.db.collection('jobs');
    await service.scheduler.now('note-once', { text: 'one-off' });
    await service.scheduler.every('1 hour', 'note-once', { text: 'recurring' });
    await eventually(async () => seen, (s) => s.length === 2);
    const left = await eventually(() => jobs.find({ name: 'note-once' }).toArray(), (docs) => docs.length === 1);
    expect(left).toEqual([expect.objectContaining({ type: 'single', repeatInterval: '1 hour', data: { text: 'recurring' } })]);
    expect((left[0]?.nextRunAt as Date).getTime()).toBeGreaterThan(Date.now());
  });

  it('has deleted every finished one-off job once it has stopped (deletes go in batches after the runs end)', async () => {
    let runs = 0;
    const job = defineJob({ name: 'many-quick', data: z.object({ n: z.number() }), handler: async () => void (runs += 1) });
    service = await startTestService({ jobs: [job] });
    for (let n = 0; n < 40; n += 1) await service.scheduler.now('many-quick', { n });
    await eventually(async () => runs, (count) => count === 40);
    await service.scheduler.stop();
    expect(await service.db.collection('jobs').countDocuments({ name: 'many-quick' })).toBe(0);
  });

  it('stops at once when the last job has just finished', async () => {
    const finished = deferred();
    const job = defineJob({
      name: 'quick-job',
      data: z.object({}),
      handler: async () => finished.resolve(),
    });
    const running = await startTestService({ jobs: [job], config: testConfig({ SHUTDOWN_TIMEOUT_MS: '20000' }) });
    service = running;
    await running.scheduler.now('quick-job', {});
    await finished.promise;
    // The job's bookkeeping (removing it) is still under way: the drain must wait for that, not for its timeout.
    const stopping = Date.now();
    await running.stop();
    expect(Date.now() - stopping).toBeLessThan(5_000);
  });

  it('runs each of many due jobs exactly once, however short the poll interval', async () => {
    const runs = new Map<number, number>();
    const job = defineJob({
      name: 'count-runs',
      data: z.object({ n: z.number() }),
      handler: async ({ n }) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    service = await startTestService({ jobs: [job], config: testConfig({ JOB_POLL_INTERVAL_MS: '20' }) });
    await service.scheduler.stop();
    for (let n = 0; n < 60; n += 1) await service.scheduler.now('count-runs', { n });
    // The whole backlog is due at once, and polls come far faster than a fill of it can finish.
    await service.scheduler.start();
    await eventually(async () => runs, (r) => r.size === 60, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...runs.values()].filter((count) => count !== 1)).toEqual([]);
  });

  it('fails a job whose data does not match its schema, without retrying it', async () => {
    let runs = 0;
    const job = defineJob({
      name: 'strict-job',
      data: z.object({ invoiceId: z.string().startsWith('in_') }),
      handler: async () => {
        runs += 1;
      },
    });
    service = await startTestService({ jobs: [job] });
    await service.scheduler.now('strict-job', { invoiceId: 'not-an-invoice' });
    const jobs = service.db.collection('jobs');
    const stored = await eventually(() => jobs.findOne({ name: 'strict-job' }), (doc) => doc?.failReason != null);
    expect(String(stored?.failReason)).toContain('invalid data for job strict-job');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await jobs.findOne({ name: 'strict-job' });
    expect(after?.failCount).toBe(1);
    expect(after?.nextRunAt ?? null).toBeNull();
    expect(runs).toBe(0);
  });

  it('waits for a running job to finish before closing the database on shutdown', async () => {
    const started = deferred();
    const release = deferred();
    const finished: string[] = [];
    const job = defineJob({
      name: 'slow-job',
      data: z.object({ step: z.string() }),
      handler: async (data) => {
        started.resolve();
        await release.promise;
        finished.push(data.step);
      },
    });
    const running = await startTestService({ jobs: [job] });
    service = running;
    await running.scheduler.now('slow-job', { step: 'done' });
    await started.promise;

    let stopped = false;
    const stopping = running.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(finished).toEqual(['done']);
    // The connection is closed only after the drain.
    await expect(running.db.command({ ping: 1 })).rejects.toThrow();
  });
});
