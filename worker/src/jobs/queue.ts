import type { Agenda } from 'agenda';
import type { Collection, Document } from 'mongodb';
import { GroupCommit, insertOutcomes, GroupCommitItemError } from '../db/groupCommit.js';
import { NULL_WHEN_UNSET } from './jobFields.js';

/** Hands work to the job processes; any role may enqueue, only `jobs`/`all` processes run it. */
export interface JobQueue {
  enqueue(name: string, data: Record<string, unknown>): Promise<void>;
}

/** Jobs inserted by one `insertMany` at most. */
const ENQUEUE_BATCH = 100;

/**
 * The document `agenda.now(name, data)` inserts: Agenda builds the job (its defaults, its
 * priority, due now) and it is stored as `saveJob` stores a new 'normal' job.
 * `test/worker/jobQueue.test.ts` compares the two.
 */
export function newJobDocument(agenda: Agenda, name: string, data: Record<string, unknown>): Document {
  const props: Record<string, unknown> = { ...agenda.create(name, data).schedule(new Date()).toJson(true) };
  // Not stored by saveJob: the id is the database's, the uniqueness options are query options.
  for (const field of ['_id', 'unique', 'uniqueOpts']) delete props[field];
  const document: Document = { ...props };
  for (const field of NULL_WHEN_UNSET) document[field] = props[field] ?? null;
  document.lastModifiedBy = agenda.attrs.name || null;
  return document;
}

/**
 * Given Agenda's collection, jobs queued together (webhook deliveries arriving at once) are inserted together, one
 * `insertMany` per batch (see `GroupCommit`); each `enqueue` resolves once its own job is stored.
 * Agenda's `now()` would insert them one by one. Nothing else differs: the same documents, and
 * no notification channel (polling only) that `now()` would also publish to.
 */
export function agendaQueue(agenda: Agenda, jobs?: Collection<Document>): JobQueue {
  // Without Agenda's collection at hand, one `now()` per job, as before.
  if (jobs === undefined) {
    return {
      async enqueue(name, data) {
        await agenda.now(name, data);
      },
    };
  }
  const inserts = new GroupCommit<Document, true>(async (documents) => {
    const error = await jobs.insertMany([...documents], { ordered: false }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    // Job ids are fresh ObjectIds: a duplicate cannot happen, so any failure is an error.
    return insertOutcomes(documents.length, error).map((outcome) => (outcome === 'inserted' ? true : outcome instanceof GroupCommitItemError ? outcome : new GroupCommitItemError(error)));
  }, { maxBatch: ENQUEUE_BATCH, maxInFlight: 1 });
  return {
    async enqueue(name, data) {
      await agenda.ready;
      await inserts.submit(newJobDocument(agenda, name, data));
    },
  };
}
