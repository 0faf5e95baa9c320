import type { AgendaBackend, JobRepository } from 'agenda';
import type { Collection, Document, ObjectId } from 'mongodb';
import { isTransientDatabaseError } from '../db/errors.js';
import type { Logger } from '../logger.js';

const UNLOCK_ATTEMPTS = 3;
const UNLOCK_RETRY_DELAY_MS = 250;

type GetNextJobToRun = JobRepository['getNextJobToRun'];
type UnlockJob = JobRepository['unlockJob'];
type SaveJobState = JobRepository['saveJobState'];

/** How long a job's state save waits out an unavailable database before giving up (see `saveStateThroughOutages`). */
export const SAVE_STATE_PATIENCE_MS = 60_000;

/**
 * Agenda 6.2.6 polls every `processEvery`, and each poll "fills the queue" per job name by
 * locking due jobs one `getNextJobToRun` at a time. It never waits for the previous poll's fill
 * (it sets a "filling" mark and never reads it), so when a fill outlasts the interval the fills
 * pile up; where findAndModify is not atomic (FerretDB) two of them lock the same job and it
 * runs twice. Here a lock query for a name that already has one in flight finds nothing, so the
 * later fill ends at once and the running one keeps locking up to the lock limits.
 */
function oneLockQueryPerName(next: GetNextJobToRun, target: JobRepository): GetNextJobToRun {
  const inFlight = new Set<string>();
  return async (jobName, ...rest) => {
    if (inFlight.has(jobName)) return undefined;
    inFlight.add(jobName);
    try {
      return await next.call(target, jobName, ...rest);
    } finally {
      inFlight.delete(jobName);
    }
  };
}

/** How many due jobs one candidate query reads (see `lockFromCandidates`). */
export const CANDIDATE_BATCH = 50;

interface Candidate {
  readonly _id: ObjectId;
  readonly nextRunAt: Date;
}

/**
 * Agenda locks each job with one `findOneAndUpdate` over every job of its name (an `$or` of
 * unlocked-and-due or lock-expired, sorted by due time). FerretDB evaluates that in Go over every
 * such job, so with a backlog of n jobs each lock reads n documents and draining it costs n².
 * Here one query reads the next CANDIDATE_BATCH due, unlocked jobs' ids in Agenda's order, and
 * each is then locked by `_id` with Agenda's own `lockJob` (unlocked, same due time; an index
 * lookup), so a backlog costs n²/CANDIDATE_BATCH. A candidate that was run, rescheduled or
 * locked meanwhile fails `lockJob` and is skipped. When no candidate is left, Agenda's own query
 * runs as before: it also finds jobs whose lock expired (a crashed worker's), which candidates never are.
 */
function lockFromCandidates(next: GetNextJobToRun, target: JobRepository, jobs: Collection<Document>): GetNextJobToRun {
  const candidates = new Map<string, Candidate[]>();
  return async (jobName, nextScanAt, lockDeadline, now, options) => {
    let queue = candidates.get(jobName) ?? [];
    if (queue.length === 0) {
      queue = await jobs
        .find<Candidate>({ name: jobName, lockedAt: null, nextRunAt: { $lte: nextScanAt }, disabled: { $ne: true } })
        .sort({ nextRunAt: 1, priority: -1 })
        .limit(CANDIDATE_BATCH)
        .project<Candidate>({ _id: 1, nextRunAt: 1 })
        .toArray();
      candidates.set(jobName, queue);
    }
    for (let candidate = queue.shift(); candidate !== undefined; candidate = queue.shift()) {
      if (candidate.nextRunAt > nextScanAt) {
        queue.unshift(candidate);
        break;
      }
      const job = { _id: candidate._id.toHexString(), name: jobName, nextRunAt: candidate.nextRunAt, priority: 0, type: 'normal' as const, data: undefined };
      const locked = await target.lockJob(job as Parameters<JobRepository['lockJob']>[0], options);
      if (locked !== undefined) return locked;
    }
    return next.call(target, jobName, nextScanAt, lockDeadline, now, options);
  };
}

/**
 * Agenda calls `unlockJob` without awaiting it (a job locked past a limit, or not due soon
 * enough), so its failure would be an unhandled rejection that ends the process. A transient
 * failure (SQLite busy) is retried; a lasting one is logged, and the job's lock simply expires
 * after its lock lifetime, when any process may run it.
 */
function unlockWithoutRejecting(unlock: UnlockJob, target: JobRepository, logger: Logger): UnlockJob {
  return async (job) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await unlock.call(target, job);
        return;
      } catch (error) {
        if (attempt < UNLOCK_ATTEMPTS && isTransientDatabaseError(error)) {
          await new Promise((resolve) => setTimeout(resolve, UNLOCK_RETRY_DELAY_MS * attempt));
          continue;
        }
        logger.warn({ err: error, job: job.name, jobId: String(job._id) }, 'could not release a job lock; it expires after the lock lifetime');
        return;
      }
    }
  };
}

/**
 * Agenda saves a job's state as it starts it and again when it ends (the outcome, the retry it
 * schedules, the lock cleared). If the database is unreachable at either moment, Agenda drops
 * the job from memory while its document stays locked: nothing runs it again until its lock
 * expires (JOB_LOCK_LIFETIME_MS, 10 minutes by default), so a 10 s outage would delay the jobs
 * in flight by that much (test/faults/databaseDown.test.ts). A save that fails for a transient
 * reason is retried until the database answers, for up to SAVE_STATE_PATIENCE_MS; after that
 * the lock expiry remains the fallback. The save is a `$set` by id, so repeating it is harmless.
 */
function saveStateThroughOutages(save: SaveJobState, target: JobRepository, logger: Logger): SaveJobState {
  return async (job, options) => {
    const giveUpAt = Date.now() + SAVE_STATE_PATIENCE_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await save.call(target, job, options);
        return;
      } catch (error) {
        if (!isTransientDatabaseError(error) || Date.now() + delay > giveUpAt) throw error;
        logger.warn({ err: error, job: job.name, jobId: String(job._id) }, 'could not save a job state; retrying until the database answers');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}

/** The backend Agenda is given: the same storage, with the changes above to how jobs are locked, released and saved. */
export function withSafeLocking(backend: AgendaBackend, jobs: Collection<Document>, logger: Logger): AgendaBackend {
  const repository = backend.repository;
  const getNextJobToRun = oneLockQueryPerName(lockFromCandidates(repository.getNextJobToRun, repository, jobs), repository);
  const unlockJob = unlockWithoutRejecting(repository.unlockJob, repository, logger);
  const saveJobState = saveStateThroughOutages(repository.saveJobState, repository, logger);
  const wrapped = new Proxy(repository, {
    get(target, property) {
      if (property === 'getNextJobToRun') return getNextJobToRun;
      if (property === 'unlockJob') return unlockJob;
      if (property === 'saveJobState') return saveJobState;
      const value: unknown = Reflect.get(target, property, target);
      // The repository's methods use `this` (its collection).
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    name: backend.name,
    repository: wrapped,
    notificationChannel: backend.notificationChannel,
    logger: backend.logger,
    ownsConnection: backend.ownsConnection,
    connect: () => backend.connect(),
    disconnect: () => backend.disconnect(),
  };
}
