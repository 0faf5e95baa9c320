import { z } from 'zod';
import { agendaQueue } from '../../worker/src/jobs/queue.js';
import { defineJob, JOBS_COLLECTION } from '../../worker/src/jobs/scheduler.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

describe('the job queue (batched inserts of Agenda jobs)', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.dispose();
    service = undefined;
  });

  it("stores the same job document as Agenda's now()", async () => {
    const job = defineJob({ name: 'count-up', data: z.object({ n: z.number() }), handler: async () => undefined });
    // The web role runs no jobs, so the documents stay as they were inserted.
    service = await startTestService({ role: 'web', jobs: [job] });
    const jobs = service.db.collection(JOBS_COLLECTION);
    const queue = agendaQueue(service.scheduler, jobs);

    await service.scheduler.now('count-up', { n: 0 });
    await Promise.all(Array.from({ length: 30 }, (_, index) => queue.enqueue('count-up', { n: index + 1 })));
    const documents = await jobs.find({ name: 'count-up' }).toArray();
    expect(documents).toHaveLength(31);
    const byAgenda = documents.find((document) => (document.data as { n: number }).n === 0);
    const byQueue = documents.find((document) => (document.data as { n: number }).n === 1);
    const shape = (document: typeof byAgenda) =>
      Object.fromEntries(Object.entries(document ?? {}).map(([key, value]) => [key, key === '_id' || key === 'data' ? 'varies' : value instanceof Date ? 'Date' : value]));
    expect(shape(byQueue)).toEqual(shape(byAgenda));
  });

  it('runs jobs queued in one batch, each once', async () => {
    const seen: number[] = [];
    const job = defineJob({ name: 'count-once', data: z.object({ n: z.number() }), handler: async ({ n }) => void seen.push(n) });
    service = await startTestService({ jobs: [job] });
    const queue = agendaQueue(service.scheduler, service.db.collection(JOBS_COLLECTION));
    await Promise.all(Array.from({ length: 40 }, (_, n) => queue.enqueue('count-once', { n })));
    await eventually(async () => seen, (s) => s.length >= 40);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n));
  });
});
