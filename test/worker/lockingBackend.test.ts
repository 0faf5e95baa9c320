import { MongoBackend } from '@agendajs/mongo-backend';
import { MongoClient } from 'mongodb';
import { CANDIDATE_BATCH, withSafeLocking } from '../../worker/src/jobs/lockingBackend.js';
import { createLogger } from '../../worker/src/logger.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

describe('how the worker has Agenda lock jobs', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  const due = (name: string) => ({ name, priority: 0, nextRunAt: new Date(Date.now() - 1_000), type: 'normal' as const, data: {} });

  it('answers a lock query that overlaps another for the same job name with nothing, so one job is never locked twice', async () => {
    const backend = withSafeLocking(new MongoBackend({ mongo: database.db, collection: 'jobs_overlap' }), database.db.collection('jobs_overlap'), createLogger('silent'));
    await backend.connect();
    const jobs = backend.repository;
    await jobs.saveJob(due('slow-fill'), undefined);
    await jobs.saveJob(due('slow-fill'), undefined);
    await jobs.saveJob(due('other-name'), undefined);
    const lockQuery = (name: string) => jobs.getNextJobToRun(name, new Date(), new Date(Date.now() - 60_000), undefined, undefined);

    // Two polls' fills at once: the later one finds nothing; another name is not held up.
    const [first, overlapping, otherName] = await Promise.all([lockQuery('slow-fill'), lockQuery('slow-fill'), lockQuery('other-name')]);
    expect(first?.name).toBe('slow-fill');
    expect(overlapping).toBeUndefined();
    expect(otherName?.name).toBe('other-name');
    // Once the first is done, the next lock query takes the other job, not the same one again.
    const second = await lockQuery('slow-fill');
    expect(second?.name).toBe('slow-fill');
    expect(String(second?._id)).not.toBe(String(first?._id));
    expect(await lockQuery('slow-fill')).toBeUndefined();
  });

  it('locks a backlog in due order, each job once, reading the backlog once per batch of candidates', async () => {
    const client = await MongoClient.connect(database.uri, { monitorCommands: true });
    const db = client.db(database.name);
    const backend = withSafeLocking(new MongoBackend({ mongo: db, collection: 'jobs_backlog' }), db.collection('jobs_backlog'), createLogger('silent'));
    await backend.connect();
    const jobs = backend.repository;
    const backlog = 2 * CANDIDATE_BATCH + 7;
    const start = Date.now() - 60_000;
    for (let i = 0; i < backlog; i += 1) await jobs.saveJob({ ...due('backlog'), nextRunAt: new Date(start + (i * 7919) % backlog) }, undefined);
    // A job whose lock expired (its worker crashed) is found too, after the unlocked ones.
    const crashed = await jobs.saveJob({ ...due('backlog'), nextRunAt: new Date(start + backlog + 1), lockedAt: new Date(start - 3_600_000) }, undefined);
    const finds: string[] = [];
    client.on('commandStarted', (event) => {
      const query = (event.command as { query?: Record<string, unknown> }).query ?? {};
      if (event.commandName === 'find') finds.push('find');
      if (event.commandName === 'findAndModify') finds.push('_id' in query ? 'lock by id' : 'lock by scan');
    });

    const locked: Array<{ id: string; at: number }> = [];
    for (;;) {
      const job = await jobs.getNextJobToRun('backlog', new Date(), new Date(Date.now() - 60_000), undefined, undefined);
      if (job === undefined) break;
      locked.push({ id: String(job._id), at: job.nextRunAt?.getTime() ?? NaN });
    }
    expect(locked).toHaveLength(backlog + 1);
    expect(new Set(locked.map((job) => job.id)).size).toBe(backlog + 1);
    expect(locked.map((job) => job.at)).toEqual([...locked.map((job) => job.at)].sort((a, b) => a - b));
    expect(locked.at(-1)?.id).toBe(String(crashed._id));
    // Three candidate reads for the backlog, then one more and Agenda's own query each time the
    // candidates ran out (for the crashed job, and for the final "nothing left").
    expect(finds.filter((name) => name === 'find').length).toBeLessThanOrEqual(Math.ceil(backlog / CANDIDATE_BATCH) + 2);
    expect(finds.filter((name) => name === 'lock by id')).toHaveLength(backlog);
    expect(finds.filter((name) => name === 'lock by scan').length).toBeLessThanOrEqual(2);
    await client.close();
  });

  it('never rejects when releasing a lock fails (Agenda does not await it): the lock expires instead', async () => {
    const client = await MongoClient.connect(database.uri);
    const backend = withSafeLocking(new MongoBackend({ mongo: client.db(database.name), collection: 'jobs_unlock' }), client.db(database.name).collection('jobs_unlock'), createLogger('silent'));
    await backend.connect();
    const saved = await backend.repository.saveJob(due('unlock-me'), undefined);
    await client.close();
    await expect(backend.repository.unlockJob(saved)).resolves.toBeUndefined();
  });
});
