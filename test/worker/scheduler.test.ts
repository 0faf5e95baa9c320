import { z } from 'zod';
import { defineJob } from '../../worker/src/jobs/scheduler.js';
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
