import { MongoBulkWriteError } from 'mongodb';

interface Pending<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a write is in flight go together in the next write, so
 * under load one round trip carries many of them, and alone an item goes at once (after the
 * current event-loop turn, so requests read in the same turn share a write). Each caller still
 * learns its own item's outcome, so a webhook is acknowledged only once its own event is stored.
 *
 * Why: on the embedded FerretDB most of a write's cost is per command (parsing, planning, a
 * PostgreSQL transaction), not per document; an `insertMany` of 30 events costs a few times one
 * `insertOne`, not thirty times (docs/performance.md, "Webhooks").
 *
 * `write` gets the items in submission order and returns, per item, its result or the error that
 * item alone failed with; if it throws, every item of the batch fails with that error.
 */
export class GroupCommit<Item, Result> {
  private readonly waiting: Array<Pending<Item, Result>> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly write: (items: readonly Item[]) => Promise<ReadonlyArray<Result | GroupCommitItemError>>,
    private readonly options: { readonly maxBatch: number; readonly maxInFlight: number } = { maxBatch: 100, maxInFlight: 1 },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every item submitted so far has been written (or failed). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.inFlight === 0 && !this.scheduled;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.options.maxInFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.inFlight += 1;
    void this.write(batch.map((pending) => pending.item))
      .then(
        (results) => {
          batch.forEach((pending, index) => {
            const result = results[index];
            if (result instanceof GroupCommitItemError) pending.reject(result.error);
            else if (result === undefined) pending.reject(new Error('group commit: the write returned no result for an item'));
            else pending.resolve(result);
          });
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    // Another write may start at once when more than one may be in flight.
    this.schedule();
  }
}

/** What `write` returns for an item that failed on its own (the others of its batch did not). */
export class GroupCommitItemError {
  constructor(readonly error: unknown) {}
}

/**
 * The outcome per document of an unordered `insertMany`: 'inserted', 'duplicate' (write error
 * 11000, which MongoDB and FerretDB on PostgreSQL and SQLite alike report per document), or the
 * error for a document that failed otherwise. An error that is not per document fails them all.
 */
export function insertOutcomes(count: number, error: unknown): Array<'inserted' | 'duplicate' | GroupCommitItemError> {
  const outcomes: Array<'inserted' | 'duplicate' | GroupCommitItemError> = Array.from({ length: count }, () => 'inserted' as const);
  if (error === undefined) return outcomes;
  if (!(error instanceof MongoBulkWriteError)) throw error;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || error.result.getWriteConcernError() !== undefined) throw error;
  for (const writeError of writeErrors) outcomes[writeError.index] = writeError.code === 11000 ? 'duplicate' : new GroupCommitItemError(error);
  return outcomes;
}
