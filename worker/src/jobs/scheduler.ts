import { Agenda, backoffStrategies, type BackoffStrategy, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { z } from 'zod';
import type { Logger } from '../logger.js';

/**
 * One job: its name, the schema of its data, its handler and its options in one place.
 * Delivery is at least once (a crashed worker's job runs again after its lock expires),
 * so every handler must be idempotent.
 */
export interface JobDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  data: Schema;
  handler: (data: z.infer<Schema>, job: Job) => Promise<void>;
  concurrency?: number;
  lockLifetimeMs?: number;
  /** Retry policy for failures; exponential from 1 s, five retries, unless given. */
  backoff?: BackoffStrategy;
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

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  pollIntervalMs: number;
}

/**
 * Agenda on the worker's own database connection; polling, because FerretDB has no change
 * streams. Jobs are defined afterwards (`defineJobs`), since their handlers need a context
 * that itself enqueues through this scheduler.
 */
export function createScheduler({ db, logger, pollIntervalMs }: SchedulerOptions): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'jobs' }),
    // A number, not a human interval: agenda 6 reads '200 milliseconds' as 200 seconds.
    processEvery: pollIntervalMs,
  });
  agenda.on('error', (error: unknown) => logger.error({ err: error }, 'job scheduler error'));
  return agenda;
}

export function defineJobs(agenda: Agenda, jobs: readonly JobDefinition[], logger: Logger, defaultLockLifetimeMs = 10 * 60_000): void {
  for (const definition of jobs) {
    agenda.define(
      definition.name,
      async (job: Job) => {
        const parsed = definition.data.safeParse(job.attrs.data);
        if (!parsed.success) {
          logger.error({ job: definition.name, issues: parsed.error.issues }, 'job data failed validation');
          throw new InvalidJobDataError(`invalid data for job ${definition.name}: ${parsed.error.message}`);
        }
        await definition.handler(parsed.data, job);
      },
      {
        concurrency: definition.concurrency ?? 5,
        lockLifetime: definition.lockLifetimeMs ?? defaultLockLifetimeMs,
        backoff: retryUnlessInvalid(definition.backoff ?? defaultBackoff),
      },
    );
    const { onGiveUp } = definition;
    if (onGiveUp !== undefined) {
      agenda.on(`retry exhausted:${definition.name}`, (error: Error, job: Job) => {
        onGiveUp(job.attrs.data, error).catch((hookError: unknown) => logger.error({ err: hookError, job: definition.name }, 'recording a failed job failed'));
      });
    }
  }
}
