import { Agenda, backoffStrategies, type BackoffStrategy, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { OBJECT_IDS_PER_QUERY } from '../db/filters.js';
import { GroupCommit } from '../db/groupCommit.js';
import { lockAhead, skipFinalSave, skipStartSave, withSafeLocking, type SafeLockingBackend } from './lockingBackend.js';

/**
 * Agenda, with what the worker adds around a run: finished one-off jobs deleted in batches
 * (`forgetSucceededJob`), and a `stop` that lets those deletes finish and releases the jobs its
 * backend locked ahead (see `withSafeLocking`).
 */
export class Scheduler extends Agenda {
  /** Finished jobs deleted together (one `deleteMany` by ids) when several finish at once. */
  readonly finishedJobs: GroupCommit<string, true>;

  constructor(
    private readonly safeBackend: SafeLockingBackend,
    private readonly logger: Logger,
    config: ConstructorParameters<typeof Agenda>[0],
  ) {
    super(config);
    this.finishedJobs = new GroupCommit(async (ids) => {
      await this.cancel({ ids: [...ids] });
      return ids.map(() => true as const);
    }, { maxBatch: OBJECT_IDS_PER_QUERY, maxInFlight: 1 });
  }

  override async stop(closeConnection?: boolean): Promise<void> {
    await super.stop(closeConnection);
    // After Agenda's stop, so no fill locks more meanwhile. The worker's connection is its own
    // (Agenda is given the `Db`), so it is still open.
    await this.finishedJobs.whenIdle();
    await this.safeBackend.releaseLockedAhead().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not release jobs locked ahead; their locks expire after the lock lifetime');
    });
  }
}

/**
 * One job: its name, the schema of its data, its handler and its options in one place.
 * Delivery is at least once (a crashed worker's job runs again after its lock expires),
 * so every handler must be idempotent.
 */
export interface JobDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  data: Schema;
  /**
   * `log` carries the job's name and id and its `logFields`: write with it, and hand it on to
   * what the handler calls (`{ ...context, logger: log }`), so every line of a run names it.
   */
  handler: (data: z.infer<Schema>, job: Job, log: Logger) => Promise<void>;
  /** What identifies a run in the logs besides the job id: the Stripe event id, the run id, the email key. */
  logFields?: (data: z.infer<Schema>) => Record<string, unknown>;
  concurrency?: number;
  /** Jobs of this name held locked at once by one process; JOB_LOCK_LIMIT_PER_NAME unless given. */
  lockLimit?: number;
  lockLifetimeMs?: number;
  /** Retry policy for failures; exponential from 1 s, five retries, unless given. */
  backoff?: BackoffStrategy;
  /**
   * Whether Agenda saves the job's state as it starts it (its start time, and no next run for a
   * one-off job). A one-off job that is deleted when it succeeds can go without: if its process
   * dies, the lock taken before the run expires and the job runs again either way, and a failure
   * is saved when the run ends. Spares a write per run where that matters (Stripe events).
   */
  saveStateAtStart?: boolean;
  /** Whether jobs of this name are locked several at a time (`lockAhead`): for many short jobs. */
  lockAhead?: boolean;
  /** Called once the job has failed for good (retries exhausted, or invalid data), to record it where people look. */
  onGiveUp?: (data: unknown, error: Error) => Promise<void>;
}

/** Job data that does not match its schema: retrying cannot help. */
export class InvalidJobDataError extends Error {
  override name = 'InvalidJobDataError';
}

const defaultBackoff = backoffStrategies.exponential({ delay: 1_000, maxRetries: 5 });

function retryUnlessInvalid(strategy: BackoffStrategy): BackoffStrategy {
  return (context) => (context.error instanceof InvalidJobDataError ? null : strategy(context));
}

export function defineJob<Schema extends z.ZodType>(definition: JobDefinition<Schema>): JobDefinition<Schema> {
  return definition;
}

/** Agenda's collection. Jobs that succeeded are removed, so it holds waiting, running, recurring and failed jobs. */
export const JOBS_COLLECTION = 'jobs';

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  pollIntervalMs: number;
  /** Jobs held locked at once by this process, all names together (Agenda's `lockLimit`). */
  lockLimit: number;
  /** The same per job name, unless a job sets its own (Agenda's `defaultLockLimit`). */
  lockLimitPerName: number;
  /** Jobs running at once in this process (Agenda's `maxConcurrency`). */
  maxConcurrency: number;
}

/**
 * Agenda on the worker's own database connection; polling, because FerretDB has no change
 * streams. Jobs are defined afterwards (`defineJobs`), since their handlers need a context
 * that itself enqueues through this scheduler.
 */
export function createScheduler({ db, logger, pollIntervalMs, lockLimit, lockLimitPerName, maxConcurrency }: SchedulerOptions): Scheduler {
  const backend = withSafeLocking(new MongoBackend({ mongo: db, collection: JOBS_COLLECTION }), db.collection(JOBS_COLLECTION), logger);
  const agenda = new Scheduler(backend, logger, {
    backend,
    // A number, not a human interval: agenda 6 reads '200 milliseconds' as 200 seconds.
    processEvery: pollIntervalMs,
    // Each poll locks at most this many, so a backlog is taken in bites and work starts at once.
    lockLimit,
    defaultLockLimit: lockLimitPerName,
    maxConcurrency,
  });
  agenda.on('error', (error: unknown) => logger.error({ err: error }, 'job scheduler error'));
  return agenda;
}

/**
 * Deletes a one-off job whose handler succeeded. It is of no further use (idempotency rests on
 * the events', ledger entries' and emails' own keys, never on a job document), and every lock
 * query reads past it, so `jobs` keeps only waiting, running, recurring and failed jobs (failed
 * ones stay for inspection).
 *
 * The run ends without waiting for the delete, which goes with others finishing about then (one
 * `deleteMany`): waiting held the job's slot for the delete's round trip, which with 50,000 jobs
 * waiting took 46 ms instead of 10 (docs/performance.md, "Webhooks"). Agenda's own final save of the job is skipped, since it
 * would match nothing once the job is deleted. Should the delete fail, the job stays locked and
 * runs again when its lock expires; its handler then finds its work done. Agenda's
 * `removeOnComplete` is not used: it deletes after announcing completion, so a `drain()` that
 * checks at that moment still sees the job running and waits out its whole timeout.
 */
function forgetSucceededJob(job: Job, scheduler: Scheduler, log: Logger): void {
  if (job.attrs.type === 'single' || job.attrs.nextRunAt != null || job.attrs._id == null) return;
  const id = String(job.attrs._id);
  skipFinalSave(id);
  scheduler.finishedJobs.submit(id).catch((error: unknown) => log.warn({ err: error }, 'could not remove a finished job; it runs again, and finds its work done, when its lock expires'));
}

/** The logger of one job run: its name, its id, and what its definition says identifies it (event id, run id, email key). */
function jobLogger(logger: Logger, definition: JobDefinition, job: Job): Logger {
  const bindings: Record<string, unknown> = { job: definition.name, jobId: String(job.attrs._id) };
  const parsed = definition.data.safeParse(job.attrs.data);
  if (parsed.success && definition.logFields !== undefined) Object.assign(bindings, definition.logFields(parsed.data));
  return logger.child(bindings);
}

export function defineJobs(agenda: Scheduler, jobs: readonly JobDefinition[], logger: Logger, defaultLockLifetimeMs = 10 * 60_000, metrics?: Metrics): void {
  for (const definition of jobs) {
    if (definition.saveStateAtStart === false) skipStartSave(definition.name);
    if (definition.lockAhead === true) lockAhead(definition.name);
    agenda.define(
      definition.name,
      async (job: Job) => {
        const log = jobLogger(logger, definition, job);
        const started = process.hrtime.bigint();
        const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const parsed = definition.data.safeParse(job.attrs.data);
          if (!parsed.success) {
            log.error({ issues: parsed.error.issues }, 'job data failed validation');
            throw new InvalidJobDataError(`invalid data for job ${definition.name}: ${parsed.error.message}`);
          }
          await definition.handler(parsed.data, job, log);
        } catch (error) {
          metrics?.recordJob(definition.name, 'failed', seconds());
          if (!(error instanceof InvalidJobDataError)) log.warn({ err: error, failCount: (job.attrs.failCount ?? 0) + 1 }, 'job run failed; retried with backoff until its retries run out');
          throw error;
        }
        metrics?.recordJob(definition.name, 'succeeded', seconds());
        forgetSucceededJob(job, agenda, log);
      },
      {
        concurrency: definition.concurrency ?? 5,
        lockLimit: definition.lockLimit,
        lockLifetime: definition.lockLifetimeMs ?? defaultLockLifetimeMs,
        backoff: retryUnlessInvalid(definition.backoff ?? defaultBackoff),
      },
    );
    const { onGiveUp } = definition;
    agenda.on(`retry exhausted:${definition.name}`, (error: Error, job: Job) => {
      const log = jobLogger(logger, definition, job);
      log.error({ err: error, failCount: job.attrs.failCount }, 'job failed for good: no retries left (kept in the jobs collection)');
      onGiveUp?.(job.attrs.data, error).catch((hookError: unknown) => log.error({ err: hookError }, 'recording a failed job failed'));
    });
  }
}

/**
 * Deletes finished one-off jobs: those earlier versions kept (one per event ever received), and
 * any `forgetSucceededJob` could not remove. Run when a jobs process starts; keeps recurring
 * jobs (they have a next run), running ones (locked) and failed ones (a fail count).
 */
export async function removeFinishedJobs(db: Db): Promise<number> {
  const { deletedCount } = await db.collection(JOBS_COLLECTION).deleteMany({
    nextRunAt: null,
    lockedAt: null,
    lastFinishedAt: { $ne: null },
    $or: [{ failCount: null }, { failCount: 0 }],
  });
  return deletedCount;
}
