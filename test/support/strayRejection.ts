/**
 * A process with the worker's process-level error handlers: `reject` leaves a rejection nobody
 * handles (as Agenda's un-awaited unlock does when FerretDB is busy) and reports that it is
 * still running; `throw` throws from a callback. Spawned by processErrors.test.ts.
 */
import { MongoServerError } from 'mongodb';
import { createLogger } from '../../worker/src/logger.js';
import { installProcessErrorHandlers } from '../../worker/src/processErrors.js';

installProcessErrorHandlers(createLogger('info'));
if (process.argv[2] === 'throw') {
  setTimeout(() => {
    throw new Error('a bug in a callback');
  }, 10);
} else {
  void Promise.reject(new MongoServerError({ ok: 0, code: 1, codeName: 'InternalError', errmsg: 'database is locked (5) (SQLITE_BUSY)' }));
  setTimeout(() => {
    process.stdout.write('still running\n');
    process.exit(0);
  }, 200);
}
