import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { systemClock } from '../../worker/src/clock.js';
import { createApp } from '../../worker/src/http/app.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { defineJob } from '../../worker/src/jobs/scheduler.js';
import { createLogger } from '../../worker/src/logger.js';
import { PortInUseError, createServiceContext, startService } from '../../worker/src/service.js';
import { testConfig } from '../support/database.js';
import { eventually, startTestService } from '../support/service.js';

describe('the worker service', () => {
  it('answers /healthz and /readyz when its database is reachable, and a JSON 404 elsewhere', async () => {
    const service = await startTestService({ role: 'web' });
    try {
      expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const missing = await fetch(`${service.url}/nowhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { message: 'No route for GET /nowhere' } });
    } finally {
      await service.dispose();
    }
  });

  it('reports not ready (503) when the database cannot be reached', async () => {
    // Nothing listens on port 1; the client is never connected, so every command fails fast.
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    const db = client.db('unreachable');
    const app = createApp(
      createServiceContext(db, testConfig(), {
        logger: createLogger('silent'),
        clock: systemClock,
        stripe: new FakeStripe(),
        queue: { enqueue: async () => undefined },
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'database unavailable' });
    } finally {
      server.close();
      await client.close();
    }
  });

  it('fails to start on a port already in use with PortInUseError, and releases what it had started', async () => {
    const first = await startTestService({ role: 'web' });
    try {
      const port = new URL(first.url ?? '').port;
      const error = await startService({ config: testConfig({ PORT: port }), role: 'web', logger: createLogger('silent') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toBe(`Port ${port} on 127.0.0.1 is already in use. Stop the process using it, or set PORT to a free port.`);
    } finally {
      await first.dispose();
    }
  });

  it('splits roles: a web process enqueues but does not run jobs, a jobs process runs them and serves no HTTP', async () => {
    const ran: string[] = [];
    // Same job, a handler per process, so the record shows which process ran it.
    const jobIn = (process: string) =>
      defineJob({ name: 'note', data: z.object({ text: z.string() }), handler: async ({ text }) => void ran.push(`${process}: ${text}`) });
    const config = testConfig();
    const web = await startTestService({ role: 'web', jobs: [jobIn('web')], config });
    const jobs = await startTestService({ role: 'jobs', jobs: [jobIn('jobs')], config });
    try {
      expect(jobs.url).toBeNull();
      await web.scheduler.now('note', { text: 'hello' });
      await web.scheduler.now('note', { text: 'again' });
      expect((await eventually(async () => ran, (r) => r.length === 2)).sort()).toEqual(['jobs: again', 'jobs: hello']);
    } finally {
      await web.stop();
      await jobs.dispose();
    }
  });
});
