import { MongoBackend } from '@agendajs/mongo-backend';
import { MongoClient } from 'mongodb';
import { withSafeLocking } from '../../worker/src/jobs/lockingBackend.js';
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
    const backend = withSafeLocking(new MongoBackend({ mongo: database.db, collection: 'jobs_overlap' }), createLogger('silent'));
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

  it('never rejects when releasing a lock fails (Agenda does not await it): the lock expires instead', async () => {
    const client = await MongoClient.connect(database.uri);
    const backend = withSafeLocking(new MongoBackend({ mongo: client.db(database.name), collection: 'jobs_unlock' }), createLogger('silent'));
    await backend.connect();
    const saved = await backend.repository.saveJob(due('unlock-me'), undefined);
    await client.close();
    await expect(backend.repository.unlockJob(saved)).resolves.toBeUndefined();
  });
});
