import { MongoBackend } from '@agendajs/mongo-backend';
import { MongoClient, ObjectId } from 'mongodb';
import { CANDIDATE_BATCH, CANDIDATE_PAGE, LOCK_AHEAD, lockAhead, withSafeLocking } from '../../worker/src/jobs/lockingBackend.js';
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
    // A name that does not lock ahead had one job locked: the other is still free.
    expect(await database.db.collection('jobs_overlap').countDocuments({ name: 'slow-fill', lockedAt: { $ne: null } })).toBe(1);
    // Once the first is done, the next lock query takes the other job, not the same one again.
    const second = await lockQuery('slow-fill');
    expect(second?.name).toBe('slow-fill');
    expect(String(second?._id)).not.toBe(String(first?._id));
    expect(await lockQuery('slow-fill')).toBeUndefined();
  });

  /** What a command of the locking is: a candidate read (fast or full), a lock write, the read-back of what it locked. */
  const kindOf = (commandName: string, command: Record<string, unknown>): string | null => {
    const filter = (command.filter ?? {}) as Record<string, unknown>;
    if (commandName === 'find') return '_id' in filter ? 'read back' : 'lockedAt' in filter ? 'full' : 'fast';
    if (commandName === 'update') return 'lock many';
    if (commandName === 'findAndModify') return '_id' in ((command.query ?? {}) as Record<string, unknown>) ? 'lock by id' : 'lock by scan';
    return null;
  };

  it('locks a backlog in due order, each job once, reading the backlog once per batch of candidates and locking a few at a time', async () => {
    const client = await MongoClient.connect(database.uri, { monitorCommands: true });
    const db = client.db(database.name);
    const backend = withSafeLocking(new MongoBackend({ mongo: db, collection: 'jobs_backlog' }), db.collection('jobs_backlog'), createLogger('silent'));
    await backend.connect();
    const jobs = backend.repository;
    lockAhead('backlog');
    const backlog = 2 * CANDIDATE_BATCH + 7;
    const start = Date.now() - 60_000;
    for (let i = 0; i < backlog; i += 1) await jobs.saveJob({ ...due('backlog'), nextRunAt: new Date(start + (i * 7919) % backlog) }, undefined);
    // A job whose lock expired (its worker crashed) is found too, after the unlocked ones.
    const crashed = await jobs.saveJob({ ...due('backlog'), nextRunAt: new Date(start + backlog + 1), lockedAt: new Date(start - 3_600_000) }, undefined);
    const commands: string[] = [];
    client.on('commandStarted', (event) => {
      const kind = kindOf(event.commandName, event.command as Record<string, unknown>);
      if (kind !== null) commands.push(kind);
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
    const count = (kind: string): number => commands.filter((command) => command === kind).length;
    expect(count('fast') + count('full')).toBeLessThanOrEqual(Math.ceil(backlog / CANDIDATE_BATCH) + 2);
    // A lock write and its read-back per LOCK_AHEAD jobs (per candidate batch, the last one short).
    const lockWrites = Math.ceil(backlog / LOCK_AHEAD) + Math.ceil(backlog / CANDIDATE_BATCH);
    expect(count('lock many')).toBeLessThanOrEqual(lockWrites);
    expect(count('read back')).toBe(count('lock many'));
    expect(count('lock by id')).toBe(0);
    expect(count('lock by scan')).toBeLessThanOrEqual(2);
    await client.close();
  });

  it('finds a due job stored behind a full page of locked and not-yet-due jobs, with the full candidate query', async () => {
    const client = await MongoClient.connect(database.uri, { monitorCommands: true });
    const db = client.db(database.name);
    const collection = db.collection('jobs_behind_page');
    const backend = withSafeLocking(new MongoBackend({ mongo: db, collection: 'jobs_behind_page' }), collection, createLogger('silent'));
    await backend.connect();
    // A whole fast page of jobs that are no candidates (half locked by a live worker, half due in
    // an hour), stored first, then one due job: the fast read's page holds no candidate, and it
    // is full, so it cannot tell that nothing else is due.
    const now = Date.now();
    await collection.insertMany(
      Array.from({ length: CANDIDATE_PAGE }, (_, i) => ({
        ...due('behind'),
        ...(i % 2 === 0 ? { lockedAt: new Date(now - 1_000) } : { nextRunAt: new Date(now + 3_600_000) }),
      })),
    );
    const { insertedId } = await collection.insertOne({ ...due('behind'), nextRunAt: new Date(now - 5_000) });
    const candidateReads: string[] = [];
    client.on('commandStarted', (event) => {
      const kind = kindOf(event.commandName, event.command as Record<string, unknown>);
      if (kind === 'fast' || kind === 'full') candidateReads.push(kind);
    });

    const job = await backend.repository.getNextJobToRun('behind', new Date(), new Date(now - 60_000), undefined, undefined);
    expect(String(job?._id)).toBe(insertedId.toHexString());
    // On FerretDB the page comes in storage order, so the full query is what found it. (MongoDB
    // reads the page from Agenda's index in due order, where the due job comes first.)
    if (process.env.TEST_DATABASE_KIND?.startsWith('ferretdb') === true) expect(candidateReads).toEqual(['fast', 'full']);
    await client.close();
  });

  it('takes the earliest due jobs with a full candidate query every so often, wherever they are stored', async () => {
    const client = await MongoClient.connect(database.uri, { monitorCommands: true });
    const db = client.db(database.name);
    const collection = db.collection('jobs_fair');
    const fullQueryEveryMs = 1_500;
    const backend = withSafeLocking(new MongoBackend({ mongo: db, collection: 'jobs_fair' }), collection, createLogger('silent'), { fullCandidateQueryEveryMs: fullQueryEveryMs });
    await backend.connect();
    const created = Date.now();
    // A full page of due jobs, then the longest-waiting one, stored after the page.
    await collection.insertMany(Array.from({ length: CANDIDATE_PAGE }, () => due('fair')));
    const { insertedId: oldest } = await collection.insertOne({ ...due('fair'), nextRunAt: new Date(created - 3_600_000) });
    const candidateReads: string[] = [];
    client.on('commandStarted', (event) => {
      const kind = kindOf(event.commandName, event.command as Record<string, unknown>);
      if (kind === 'fast' || kind === 'full') candidateReads.push(kind);
    });
    const lockQuery = () => backend.repository.getNextJobToRun('fair', new Date(), new Date(Date.now() - 60_000), undefined, undefined);

    // The fast read's batch: on FerretDB the page in storage order, without the oldest job. The
    // period counts from this first lock query.
    const firstQueryAt = Date.now();
    const first = [];
    for (let i = 0; i < CANDIDATE_BATCH; i += 1) first.push(String((await lockQuery())?._id));
    const onFerretDb = process.env.TEST_DATABASE_KIND?.startsWith('ferretdb') === true;
    if (onFerretDb) {
      expect(candidateReads).toEqual(['fast']);
      expect(first).not.toContain(oldest.toHexString());
    }
    // Once the period is over, the next batch comes from the full query, oldest first.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstQueryAt + fullQueryEveryMs + 50 - Date.now())));
    const next = await lockQuery();
    if (onFerretDb) {
      expect(candidateReads).toEqual(['fast', 'full']);
      expect(String(next?._id)).toBe(oldest.toHexString());
    } else expect([...first, String(next?._id)]).toContain(oldest.toHexString());
    await client.close();
  });

  it("hands Agenda a job locked ahead as Agenda's own lock returns it, and releases the ones not handed out when the scheduler stops", async () => {
    const collection = database.db.collection('jobs_ahead');
    const plain = new MongoBackend({ mongo: database.db, collection: 'jobs_ahead' });
    const backend = withSafeLocking(plain, collection, createLogger('silent'));
    await backend.connect();
    await plain.connect();
    lockAhead('ahead');
    for (let i = 0; i < 3; i += 1) await backend.repository.saveJob({ ...due('ahead'), data: { eventId: `evt_${i}` } }, undefined);

    const mine = await backend.repository.getNextJobToRun('ahead', new Date(), new Date(Date.now() - 60_000), undefined, { lastModifiedBy: 'worker-a' });
    expect(mine).toBeDefined();
    // All three were locked by one write; one was handed out.
    expect(await collection.countDocuments({ name: 'ahead', lockedAt: { $ne: null } })).toBe(3);
    await backend.releaseLockedAhead();
    expect(await collection.countDocuments({ name: 'ahead', lockedAt: { $ne: null } })).toBe(1);

    // The same job locked by Agenda's own `lockJob` comes back the same, but for the lock time.
    await plain.repository.unlockJobs([String(mine?._id)]);
    const unlocked = await collection.findOne({ _id: new ObjectId(String(mine?._id)) });
    const theirs = await plain.repository.lockJob({ ...mine, _id: mine?._id, name: 'ahead', nextRunAt: unlocked?.nextRunAt as Date } as Parameters<typeof plain.repository.lockJob>[0], { lastModifiedBy: 'worker-a' });
    expect({ ...mine, lockedAt: null }).toEqual({ ...theirs, lockedAt: null });
    expect(theirs?.lockedAt).toBeInstanceOf(Date);
    expect(mine?.lockedAt).toBeInstanceOf(Date);
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
