import type { Db, Document, Filter } from 'mongodb';
import { JOBS_COLLECTION } from '../jobs/scheduler.js';

/** The states a job in the queue is counted under; each job is in exactly one. */
export const JOB_STATES = ['due', 'waiting', 'running', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobQueueReading {
  /** Jobs per job name and state; names and states with no job are absent. */
  readonly counts: Readonly<Record<string, Partial<Record<JobState, number>>>>;
  /** How long the oldest due job has been due; 0 when none is. */
  readonly oldestDueAgeSeconds: number;
}

/** A scrape must not hang on a slow database; a reading that takes longer is given up. */
const QUERY_TIME_LIMIT_MS = 2_000;

/**
 * Succeeded one-off jobs are deleted (jobs/scheduler.ts), so the collection holds only waiting,
 * running, recurring and failed jobs: counting it is cheap. A locked job counts as running even
 * when its lock has expired (a crashed worker's): it runs again once another process takes it.
 * (This worker never disables jobs, so Agenda's `disabled` flag is not looked at.)
 */
function stateFilters(now: Date): Record<JobState, Filter<Document>> {
  return {
    running: { lockedAt: { $ne: null } },
    due: { lockedAt: null, nextRunAt: { $lte: now } },
    waiting: { lockedAt: null, nextRunAt: { $gt: now } },
    // A one-off job whose retries ran out: no next run, and a failure on record.
    failed: { lockedAt: null, nextRunAt: null, failCount: { $gt: 0 } },
  };
}

/**
 * Reads the queue's depth from the `jobs` collection every process shares: one grouped count
 * per state, and the oldest due job. Tenant-independent (jobs carry no tenant of their own).
 * FerretDB v1 implements `$group` with `$sum` but not `$min` or `$first`, hence the separate
 * sorted read for the oldest due job.
 */
export async function readJobQueue(db: Db, now: Date): Promise<JobQueueReading> {
  const jobs = db.collection(JOBS_COLLECTION);
  const filters = stateFilters(now);
  const counts: Record<string, Partial<Record<JobState, number>>> = {};
  const perState = await Promise.all(
    JOB_STATES.map(async (state) => ({
      state,
      groups: await jobs
        .aggregate<{ _id: unknown; count: number }>([{ $match: filters[state] }, { $group: { _id: '$name', count: { $sum: 1 } } }], { maxTimeMS: QUERY_TIME_LIMIT_MS })
        .toArray(),
    })),
  );
  for (const { state, groups } of perState) {
    for (const { _id, count } of groups) {
      if (typeof _id !== 'string') continue;
      (counts[_id] ??= {})[state] = count;
    }
  }
  const oldest = await jobs.find(filters.due, { projection: { nextRunAt: 1 }, sort: { nextRunAt: 1 }, limit: 1, maxTimeMS: QUERY_TIME_LIMIT_MS }).next();
  const dueAt = oldest?.nextRunAt instanceof Date ? oldest.nextRunAt.getTime() : now.getTime();
  return { counts, oldestDueAgeSeconds: Math.max(0, (now.getTime() - dueAt) / 1000) };
}
