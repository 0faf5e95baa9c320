import type { Actor, JurisdictionCode, ReprocessSummary, ReprocessWarning, SkipReason } from '@exemptions/shared';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';

export type RunStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface RunProgress {
  /** Transactions looked at so far, in work-list order: the checkpoint a resumed run starts from. */
  readonly processed: number;
  readonly changed: number;
  readonly skipped: Readonly<Partial<Record<SkipReason | 'no_longer_current', number>>>;
}

/** One transaction of a run's work list: an invoice in a jurisdiction. */
export interface WorkLine {
  readonly invoiceId: string;
  readonly jurisdiction: JurisdictionCode | null;
}

/** Lines per work-list document (about 60 bytes each). */
export const WORK_LIST_CHUNK = 1_000;

export interface ReprocessRun extends RunProgress {
  readonly id: string;
  readonly accountId: string;
  readonly livemode: boolean;
  readonly certificateId: string;
  readonly customerId: string;
  readonly startDate: string;
  readonly endDate: string;
  readonly prioritizeCustomerAddress: boolean;
  readonly status: RunStatus;
  readonly total: number;
  /** The preview the merchant saw and acknowledged. */
  readonly preview: ReprocessSummary;
  readonly acknowledged: readonly ReprocessWarning[];
  readonly requestedBy: Actor;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly cancelRequestedAt: Date | null;
  readonly error: string | null;
  /**
   * The transactions the run works through, in order, stored beside the run in chunks of
   * `WORK_LIST_CHUNK` (see `workListWriter`): written by the start request, which reads the
   * ledger for the preview anyway. Missing on a run started before work lists were kept.
   */
  readonly workList?: { readonly lines: number; readonly chunks: number };
}

interface WorkListDocument {
  _id: string;
  accountId: string;
  livemode: boolean;
  runId: string;
  lines: WorkLine[];
}

const chunkId = (runId: string, index: number): string => `${runId}:${index}`;

type RunDocument = Omit<ReprocessRun, 'id' | 'cancelRequestedAt'> & { _id: string };

/**
 * Reprocess runs and their progress. A cancellation is a document of its own, inserted by the
 * API: on FerretDB an update rewrites the whole document, so a flag set on the run could be
 * lost under the job's next progress update; a separate insert cannot.
 */
export class ReprocessRunRepository {
  private readonly runs: Collection<RunDocument>;
  private readonly cancellations: Collection<{ _id: string; accountId: string; livemode: boolean; at: Date }>;
  private readonly workLists: Collection<WorkListDocument>;

  constructor(db: Db) {
    this.runs = db.collection<RunDocument>('reprocess_runs');
    this.cancellations = db.collection('reprocess_cancellations');
    this.workLists = db.collection<WorkListDocument>('reprocess_work_lists');
  }

  ensureIndexes(): Promise<void> {
    return ensureIndexes(this.runs, [{ key: { accountId: 1, livemode: 1, certificateId: 1, createdAt: -1 }, name: 'by_certificate' }]);
  }

  async create(run: Omit<ReprocessRun, 'cancelRequestedAt'>): Promise<void> {
    const { id, ...rest } = run;
    await this.runs.insertOne({ _id: id, ...rest });
  }

  async get(tenant: Tenant, runId: string): Promise<ReprocessRun | null> {
    const document = await this.runs.findOne({ _id: runId, ...tenantFilter(tenant) });
    return document === null ? null : this.withCancellation(document);
  }

  /** For the job, which knows the run only by id. */
  async getById(runId: string): Promise<ReprocessRun | null> {
    const document = await this.runs.findOne({ _id: runId });
    return document === null ? null : this.withCancellation(document);
  }

  async ofCertificate(tenant: Tenant, certificateId: string): Promise<ReprocessRun[]> {
    const documents = await this.runs.find({ ...tenantFilter(tenant), certificateId }).sort({ createdAt: -1 }).toArray();
    return Promise.all(documents.map((d) => this.withCancellation(d)));
  }

  async update(runId: string, changes: Partial<Omit<RunDocument, '_id'>>): Promise<void> {
    await this.runs.updateOne({ _id: runId }, { $set: changes });
  }

  /**
   * Writes a run's work list as it is produced, a chunk at a time, so neither the list nor the
   * plan it comes from is ever held whole. Chunks already there (a list rebuilt for a run that
   * has none yet) are replaced.
   */
  workListWriter(tenant: Tenant, runId: string): { add(line: WorkLine): Promise<void>; finish(): Promise<{ lines: number; chunks: number }> } {
    let pending: WorkLine[] = [];
    let lines = 0;
    let chunks = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const document = { _id: chunkId(runId, chunks), ...tenantFilter(tenant), runId, lines: pending };
      await this.workLists.replaceOne({ _id: document._id }, document, { upsert: true });
      chunks += 1;
      pending = [];
    };
    return {
      add: async (line) => {
        pending.push({ invoiceId: line.invoiceId, jurisdiction: line.jurisdiction });
        lines += 1;
        if (pending.length >= WORK_LIST_CHUNK) await flush();
      },
      finish: async () => {
        await flush();
        return { lines, chunks };
      },
    };
  }

  /** One chunk of a run's work list (by `_id`, which every database serves from an index). */
  async workListChunk(runId: string, index: number): Promise<WorkLine[]> {
    return (await this.workLists.findOne({ _id: chunkId(runId, index) }))?.lines ?? [];
  }

  /** Removes a finished run's work list. */
  async dropWorkList(runId: string, chunks: number): Promise<void> {
    if (chunks === 0) return;
    await this.workLists.deleteMany({ _id: { $in: Array.from({ length: chunks }, (_, index) => chunkId(runId, index)) } });
  }

  async requestCancel(tenant: Tenant, runId: string, at: Date): Promise<void> {
    try {
      await this.cancellations.insertOne({ _id: runId, ...tenantFilter(tenant), at });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async cancelRequested(runId: string): Promise<boolean> {
    return (await this.cancellations.countDocuments({ _id: runId })) > 0;
  }

  private async withCancellation(document: RunDocument): Promise<ReprocessRun> {
    const { _id, ...rest } = document;
    const cancel = await this.cancellations.findOne({ _id });
    return { id: _id, ...rest, cancelRequestedAt: cancel?.at ?? null };
  }
}
