import type { AgendaBackend, JobParameters, JobRepository } from 'agenda';
import { ObjectId, type Collection, type Document } from 'mongodb';
import { isTransientDatabaseError } from '../db/errors.js';
import { OBJECT_IDS_PER_QUERY } from '../db/filters.js';
import { OPTIONAL_JOB_FIELDS } from './jobFields.js';
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

/**
 * How many due jobs one candidate read yields (see `findCandidates`). On FerretDB the full
 * candidate query costs a scan of every waiting job of the name whatever the limit, so each job
 * bears backlog / CANDIDATE_BATCH documents of it: with 50 that made an event cost 1.8× as much
 * with 4,000 waiting as with 500 (bench/webhooks.ts, phase 3); the fast read avoids that scan.
 * Candidates left over wait for the next polls; each is checked again as it is locked.
 */
export const CANDIDATE_BATCH = 200;

/**
 * How many jobs of a name the fast candidate read takes, in storage order (see `findCandidates`):
 * a few batches, so locked and not-yet-due jobs among them still leave a batch of due ones.
 */
export const CANDIDATE_PAGE = 3 * CANDIDATE_BATCH;

/**
 * How often a name gets a full candidate query even when the fast read yields enough. The fast
 * read sees only the first page in storage order, so a due job stored after it would wait as long
 * as the page keeps yielding batches; a full query takes the earliest due jobs wherever they are.
 * On FerretDB it reads the whole backlog (3.1–3.6 s with 50,000 jobs waiting, load average 6–9),
 * so the wait is also at least FULL_QUERY_SPACING times the last one's duration: the full queries
 * then take at most about a twentieth of the time.
 */
export const FULL_CANDIDATE_QUERY_EVERY_MS = 60_000;
const FULL_QUERY_SPACING = 20;

interface Candidate {
  readonly _id: ObjectId;
  readonly nextRunAt: Date;
}

/** What the fast read needs of a job to tell whether Agenda's candidate query would return it. */
interface PagedJob {
  readonly _id: ObjectId;
  readonly nextRunAt?: Date | null;
  readonly priority?: number | null;
  readonly lockedAt?: Date | null;
  readonly disabled?: boolean | null;
}

/**
 * The next CANDIDATE_BATCH due, unlocked, enabled jobs of a name, earliest first and, at one due
 * time, highest priority first (Agenda's order).
 *
 * On FerretDB the full query (`{name, lockedAt: null, nextRunAt ≤ t}` sorted) reads and decodes
 * every job of the name, since only the name is pushed down to PostgreSQL, so its cost grows with
 * the backlog. `{name}` alone with a limit and no sort is pushed down whole, LIMIT included (our
 * FerretDB patch), so the fast read costs CANDIDATE_PAGE rows at any backlog; the conditions are
 * then checked here. Its answer is used only when it is provably enough: the page held every job
 * of the name (so its due ones are all of them, sorted here as the full query sorts), or it holds
 * at least a batch of due jobs (each really is due and unlocked; `lockJob` checks again). Otherwise
 * (a full page of locked or not-yet-due jobs) the full query runs, as it also does every
 * FULL_CANDIDATE_QUERY_EVERY_MS or so, so which jobs run never depends on how the storage orders
 * them for longer than that. On MongoDB both can use Agenda's index, which starts with the name.
 */
async function findCandidates(jobs: Collection<Document>, jobName: string, nextScanAt: Date, fullQueryDue: boolean): Promise<{ candidates: Candidate[]; full: boolean }> {
  if (!fullQueryDue) {
    const page = await jobs
      .find<PagedJob>({ name: jobName })
      .limit(CANDIDATE_PAGE)
      .batchSize(CANDIDATE_PAGE)
      .project<PagedJob>({ _id: 1, nextRunAt: 1, priority: 1, lockedAt: 1, disabled: 1 })
      .toArray();
    // The full query's conditions: `lockedAt: null` also matches a missing field; `$lte` a date only.
    const due = page.filter(
      (job): job is PagedJob & Candidate => job.lockedAt == null && job.nextRunAt instanceof Date && job.nextRunAt <= nextScanAt && job.disabled !== true,
    );
    if (page.length < CANDIDATE_PAGE || due.length >= CANDIDATE_BATCH) {
      due.sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime() || (b.priority ?? 0) - (a.priority ?? 0));
      return { candidates: due.slice(0, CANDIDATE_BATCH).map(({ _id, nextRunAt }) => ({ _id, nextRunAt })), full: false };
    }
  }
  const candidates = await jobs
    .find<Candidate>({ name: jobName, lockedAt: null, nextRunAt: { $lte: nextScanAt }, disabled: { $ne: true } })
    .sort({ nextRunAt: 1, priority: -1 })
    .limit(CANDIDATE_BATCH)
    .project<Candidate>({ _id: 1, nextRunAt: 1 })
    .toArray();
  return { candidates, full: true };
}

/**
 * How many due candidates one write locks. Agenda asks for one job at a time, and one
 * `findOneAndUpdate` each made the locking itself the limit of a drain (about 200 jobs/s here,
 * one after the other, docs/performance.md); the jobs locked together are handed out one per ask.
 * As many as one query by ids should hold.
 */
export const LOCK_AHEAD = OBJECT_IDS_PER_QUERY;

/** The job as Agenda's repository returns a locked one (`computeJobObj` in @agendajs/mongo-backend 4.0.3). */
export function jobParameters(document: Document): JobParameters {
  const optional = (field: string): unknown => document[field] ?? undefined;
  return {
    _id: (document._id as ObjectId).toHexString(),
    name: document.name as string,
    priority: document.priority as number,
    nextRunAt: document.nextRunAt as Date | null,
    type: document.type as JobParameters['type'],
    data: document.data,
    ...Object.fromEntries(OPTIONAL_JOB_FIELDS.map((field) => [field, optional(field)])),
  } as JobParameters;
}

/**
 * Locks those of `candidates` that are still due and unlocked with one `updateMany`, and reads
 * back which this call locked: each write carries a fresh token, so where two processes' writes
 * overlap (FerretDB does not make them atomic) the job is theirs whose token it holds.
 */
async function lockCandidates(jobs: Collection<Document>, jobName: string, candidates: readonly Candidate[], nextScanAt: Date, lastModifiedBy: string | undefined): Promise<JobParameters[]> {
  const ids = candidates.map((candidate) => candidate._id);
  const token = new ObjectId();
  await jobs.updateMany(
    { _id: { $in: ids }, name: jobName, lockedAt: null, nextRunAt: { $lte: nextScanAt }, disabled: { $ne: true } },
    { $set: { lockedAt: new Date(), lastModifiedBy: lastModifiedBy ?? null, lockToken: token } },
  );
  // By `_id` alone, the token checked here: on FerretDB the token in the filter made PostgreSQL
  // recheck every row of the id scan against it (13 ms instead of 3 with 50,000 jobs waiting, an idle machine).
  const read = await jobs.find({ _id: { $in: ids } }).toArray();
  const locked = new Map(read.filter((document) => token.equals(document.lockToken as ObjectId | undefined)).map((document) => [String(document._id), document]));
  return ids.flatMap((id) => {
    const document = locked.get(String(id));
    return document === undefined ? [] : [jobParameters(document)];
  });
}

/** Names whose jobs are locked LOCK_AHEAD at a time (`lockAhead`); others one at a time, by Agenda's own `lockJob`. */
const lockingAhead = new Set<string>();

/**
 * Has jobs of this name locked LOCK_AHEAD at a time: for many short jobs (Stripe events), where
 * locking one per command limits a drain. Long jobs (a reprocess run) gain nothing from it and
 * keep Agenda's own lock.
 */
export function lockAhead(jobName: string): void {
  lockingAhead.add(jobName);
}

/** Jobs locked ahead and not handed to Agenda yet, by name; released when the scheduler stops. */
export type LockedAhead = Map<string, JobParameters[]>;

/**
 * Agenda locks each job with one `findOneAndUpdate` over every job of its name (an `$or` of
 * unlocked-and-due or lock-expired, sorted by due time). FerretDB evaluates that in Go over every
 * such job, so with a backlog of n jobs each lock reads n documents and draining it costs n².
 * Here one read finds the next CANDIDATE_BATCH due, unlocked jobs' ids (`findCandidates`), and
 * they are locked by `_id` in due order: LOCK_AHEAD at a time for the names that ask for it
 * (`lockCandidates`), else one at a time with Agenda's `lockJob` (unlocked, same due time). A
 * candidate that was run, rescheduled or locked meanwhile is not locked and is skipped. When no candidate is
 * left, Agenda's own query runs as before: it also finds jobs whose lock expired (a crashed
 * worker's), which candidates never are.
 */
function lockFromCandidates(next: GetNextJobToRun, target: JobRepository, jobs: Collection<Document>, fullQueryEveryMs: number, lockedAhead: LockedAhead): GetNextJobToRun {
  const candidates = new Map<string, Candidate[]>();
  // When each name's next full query is due; the first comes a period after start-up, so a worker
  // starting on a backlog begins with the fast read.
  const nextFullQueryAt = new Map<string, number>();
  return async (jobName, nextScanAt, lockDeadline, now, options) => {
    const ready = lockedAhead.get(jobName)?.shift();
    if (ready !== undefined) return ready;
    let queue = candidates.get(jobName) ?? [];
    if (queue.length === 0) {
      const started = Date.now();
      const fullAt = nextFullQueryAt.get(jobName) ?? started + fullQueryEveryMs;
      const found = await findCandidates(jobs, jobName, nextScanAt, started >= fullAt);
      const ended = Date.now();
      nextFullQueryAt.set(jobName, found.full ? ended + Math.max(fullQueryEveryMs, FULL_QUERY_SPACING * (ended - started)) : fullAt);
      queue = found.candidates;
      candidates.set(jobName, queue);
    }
    if (lockingAhead.has(jobName)) {
      for (;;) {
        const dueCount = queue.findIndex((candidate) => candidate.nextRunAt > nextScanAt);
        const due = queue.splice(0, Math.min(LOCK_AHEAD, dueCount === -1 ? queue.length : dueCount));
        if (due.length === 0) break;
        const [first, ...rest] = await lockCandidates(jobs, jobName, due, nextScanAt, options?.lastModifiedBy);
        if (first !== undefined) {
          lockedAhead.set(jobName, rest);
          return first;
        }
      }
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

/** Jobs deleted by their own run (`forgetSucceededJob`) whose final state save is still to come. */
const removedJobs = new Set<string>();

/**
 * Called once a job's run has deleted the job: Agenda's final save of its state (the lock
 * cleared, the finish time) would match nothing and fail, which Agenda ignores. It is skipped
 * instead, which spares an `updateOne` per job.
 */
export function skipFinalSave(jobId: string): void {
  removedJobs.add(jobId);
}

/** Names of the jobs whose state is not saved as a run starts (`JobDefinition.saveStateAtStart`). */
const startSaveSkipped = new Set<string>();

export function skipStartSave(jobName: string): void {
  startSaveSkipped.add(jobName);
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
    if (job._id != null && removedJobs.delete(String(job._id))) return;
    // Agenda 6.2.6 saves with the lock held only at a run's start (and in `touch`, which these
    // jobs do not call); the save at its end clears the lock first.
    if (job.lockedAt != null && startSaveSkipped.has(job.name)) return;
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

/**
 * The backend Agenda is given: the same storage, with the changes above to how jobs are locked,
 * released and saved. `fullCandidateQueryEveryMs` is for tests, which cannot wait a minute.
 */
export function withSafeLocking(
  backend: AgendaBackend,
  jobs: Collection<Document>,
  logger: Logger,
  { fullCandidateQueryEveryMs = FULL_CANDIDATE_QUERY_EVERY_MS }: { fullCandidateQueryEveryMs?: number } = {},
): SafeLockingBackend {
  const repository = backend.repository;
  const lockedAhead: LockedAhead = new Map();
  const getNextJobToRun = oneLockQueryPerName(lockFromCandidates(repository.getNextJobToRun, repository, jobs, fullCandidateQueryEveryMs, lockedAhead), repository);
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
    async releaseLockedAhead() {
      const ids = [...lockedAhead.values()].flat().map((job) => String(job._id));
      lockedAhead.clear();
      if (ids.length > 0) await repository.unlockJobs(ids);
    },
  };
}

/** The backend `withSafeLocking` builds. */
export interface SafeLockingBackend extends AgendaBackend {
  /**
   * Unlocks the jobs locked ahead and not handed to Agenda yet, which Agenda's `stop` does not
   * know of: otherwise they would wait out their lock lifetime after a restart.
   */
  releaseLockedAhead(): Promise<void>;
}
