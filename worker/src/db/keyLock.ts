import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError } from './connect.js';

/** Another process holds the lock; the job is retried later. */
export class LockBusyError extends Error {
  override name = 'LockBusyError';
  constructor(readonly key: string) {
    super(`${key} is being worked on by another process; retrying later`);
  }
}

interface LockDocument {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/**
 * Runs `work` while holding a named lock, taken by inserting the key under the unique `_id`,
 * the one write FerretDB makes atomic. A lock left by a crashed process expires (there are no
 * TTL indexes on FerretDB, so expiry is checked here) and is then taken over.
 */
export async function withKeyLock<T>(db: Db, key: string, ttlMs: number, work: () => Promise<T>): Promise<T> {
  const locks: Collection<LockDocument> = db.collection<LockDocument>('locks');
  const owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const take = () => locks.insertOne({ _id: key, owner, expiresAt: new Date(Date.now() + ttlMs) });
  try {
    await take();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const held = await locks.findOne({ _id: key });
    if (held !== null && held.expiresAt.getTime() > Date.now()) throw new LockBusyError(key);
    await locks.deleteOne({ _id: key, owner: held?.owner ?? '' });
    try {
      await take();
    } catch (retryError) {
      if (isDuplicateKeyError(retryError)) throw new LockBusyError(key);
      throw retryError;
    }
  }
  try {
    return await work();
  } finally {
    await locks.deleteOne({ _id: key, owner });
  }
}

/**
 * `withKeyLock` for several keys at once, in a constant number of round trips when none is
 * contended: one unordered `insertMany` takes every free key, and one `deleteMany` releases them.
 * A key another process holds is taken over as `withKeyLock` does when that lock has expired;
 * if one is still held, the keys already taken are released and `LockBusyError` is thrown, so
 * `work` runs only with all of them.
 */
export async function withKeyLocks<T>(db: Db, keys: readonly string[], ttlMs: number, work: () => Promise<T>): Promise<T> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return work();
  const locks: Collection<LockDocument> = db.collection<LockDocument>('locks');
  const owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const lockOf = (key: string): LockDocument => ({ _id: key, owner, expiresAt: new Date(Date.now() + ttlMs) });
  const release = async (): Promise<void> => {
    await locks.deleteMany({ _id: { $in: unique }, owner });
  };
  let contended: string[] = [];
  try {
    await locks.insertMany(unique.map(lockOf), { ordered: false });
  } catch (error) {
    const writeErrors = error instanceof MongoBulkWriteError ? (Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]) : [];
    if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== 11000)) {
      // The failure is the news; a lock this release misses expires after `ttlMs`.
      await release().catch(() => undefined);
      throw error;
    }
    contended = writeErrors.map((writeError) => unique[writeError.index] as string);
  }
  try {
    for (const key of contended) {
      const held = await locks.findOne({ _id: key });
      if (held !== null && held.expiresAt.getTime() > Date.now()) throw new LockBusyError(key);
      await locks.deleteOne({ _id: key, owner: held?.owner ?? '' });
      try {
        await locks.insertOne(lockOf(key));
      } catch (retryError) {
        if (isDuplicateKeyError(retryError)) throw new LockBusyError(key);
        throw retryError;
      }
    }
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
  try {
    return await work();
  } finally {
    await release();
  }
}
