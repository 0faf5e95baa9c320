import { MongoClient, type Db } from 'mongodb';

export interface Database {
  readonly client: MongoClient;
  readonly db: Db;
}

export async function connectDatabase(uri: string, name: string): Promise<Database> {
  // A short server-selection timeout turns "database down" into a prompt 503 instead of a hung request.
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000, appName: 'exemptions-worker' });
  await client.connect();
  return { client, db: client.db(name) };
}

/** True when the server answers a ping within the timeout. */
export async function pingDatabase(db: Db, timeoutMs = 2_000): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const ping = db.command({ ping: 1 }).then(
    () => true,
    () => false,
  );
  return Promise.race([ping, timeout]);
}

/**
 * MongoDB's duplicate-key error. FerretDB reports it for inserts only (an update that breaks a
 * unique index fails with code 1 there), which is why unique keys here are only ever inserted.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}
