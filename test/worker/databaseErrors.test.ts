import { MongoNetworkError, MongoServerError } from 'mongodb';
import { ZodError } from 'zod';
import { isTransientDatabaseError } from '../../worker/src/db/errors.js';

describe('transient database errors', () => {
  const serverError = (code: number, errmsg: string, errorLabels: string[] = []) => new MongoServerError({ ok: 0, code, errmsg, errorLabels });

  it("counts FerretDB's SQLITE_BUSY answer, lost connections and the server's own retryable codes as transient", () => {
    expect(isTransientDatabaseError(serverError(1, 'database is locked (5) (SQLITE_BUSY)'))).toBe(true);
    expect(isTransientDatabaseError(new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'))).toBe(true);
    expect(isTransientDatabaseError(serverError(91, 'The server is in quiesce mode and will shut down'))).toBe(true);
    expect(isTransientDatabaseError(serverError(10107, 'not primary'))).toBe(true);
    expect(isTransientDatabaseError(serverError(2, 'anything', ['RetryableWriteError']))).toBe(true);
    expect(isTransientDatabaseError(new Error('while storing the event', { cause: serverError(1, 'database is locked') }))).toBe(true);
  });

  it('does not count errors that would recur on retry', () => {
    // FerretDB's code 1 also covers refusals (a key it cannot store): only the lock message is transient.
    expect(isTransientDatabaseError(serverError(1, 'invalid key: "a.b" (key must not contain \'.\' sign)'))).toBe(false);
    expect(isTransientDatabaseError(serverError(11000, 'E11000 duplicate key error'))).toBe(false);
    expect(isTransientDatabaseError(new ZodError([]))).toBe(false);
    expect(isTransientDatabaseError(new Error('database is locked'))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
  });
});
