import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

export class NoDatabaseError extends Error {
  override name = 'NoDatabaseError';
  constructor() {
    super(
      'No MongoDB-compatible database is available. Do one of: ' +
        '(1) set MONGODB_URI to a MongoDB server (mongodb://… or mongodb+srv://…); ' +
        '(2) put a `mongod` binary on PATH; ' +
        '(3) install Go (https://go.dev/dl/) so FerretDB v1.24.2 can be built once into the cache folder.',
    );
  }
}

/**
 * Server error codes that mean "this server cannot answer right now" (a replica set electing,
 * a node shutting down, a network fault seen by the server): the same request succeeds later.
 * The driver's own list of retryable codes, minus those only transactions see.
 */
const transientServerCodes = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** Labels the driver puts on an error it would itself retry. */
const transientLabels = ['ResetPool', 'RetryableWriteError', 'RetryableError', 'SystemOverloadedError', 'TransientTransactionError'];

/**
 * FerretDB on SQLite answers a write that waited too long for the database's single write lock
 * with code 1 (InternalError) and "database is locked (5) (SQLITE_BUSY)". Code 1 is used for
 * other failures too, so the message decides.
 */
const sqliteBusy = /database (table )?is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

/** Driver classes for "no usable connection": network failures, no server selectable, a closed client, a timed-out wait. */
const transientErrorClasses = [MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError, MongoClientClosedError, MongoNotConnectedError, MongoOperationTimeoutError];

function isTransientOne(error: unknown): boolean {
  if (transientErrorClasses.some((kind) => error instanceof kind)) return true;
  if (!(error instanceof MongoError)) return false;
  // Internal to the driver (not exported): the pool's wait queue timed out.
  if (error.name === 'MongoWaitQueueTimeoutError') return true;
  if (transientLabels.some((label) => error.hasErrorLabel(label))) return true;
  if (typeof error.code === 'number' && transientServerCodes.has(error.code)) return true;
  return error.code === 1 && sqliteBusy.test(error.message);
}

/**
 * True for a database error that says "try again shortly" rather than "this request is wrong":
 * the HTTP layer answers 503 with Retry-After, and a job fails and is retried with backoff.
 * Looks through `cause` too, for errors wrapped on their way up, and through a bulk write's
 * `errorResponse`: `insertMany` reports a lost connection as a MongoBulkWriteError wrapping it.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    if (isTransientOne(current)) return true;
    current = wrappedError(current);
  }
  return false;
}

function wrappedError(error: unknown): unknown {
  if (!(error instanceof Error)) return undefined;
  if (error.cause !== undefined) return error.cause;
  return error instanceof MongoBulkWriteError && error.errorResponse instanceof Error ? error.errorResponse : undefined;
}
