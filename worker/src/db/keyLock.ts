import type { Collection, Db } from 'mongodb';
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
