import { isTransientDatabaseError } from './db/errors.js';
import type { Logger } from './logger.js';

/**
 * What reaches the process without a handler, and what becomes of it.
 *
 * - A rejected promise nobody awaited is logged and the process keeps running. Its known source
 *   is Agenda's un-awaited internals (releasing a lock, saving a job's state, connecting), which
 *   fail when the database is briefly unavailable (FerretDB's SQLITE_BUSY, a dropped
 *   connection). Nothing is lost by carrying on: a job whose bookkeeping failed is re-run after
 *   its lock lifetime, every handler is idempotent, and events are stored before they are acknowledged.
 * - A synchronous exception that nothing caught is fatal: it left some callback half done, with
 *   no way to tell what state it left behind. It is logged and the process exits 1, so the
 *   supervisor starts a clean one (a database this process started dies with it; its locked
 *   jobs run again after their lock lifetime).
 */
export function installProcessErrorHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  process.on('unhandledRejection', (reason: unknown) => {
    const transient = isTransientDatabaseError(reason);
    const log = transient ? logger.warn.bind(logger) : logger.error.bind(logger);
    log({ err: reason, transient }, 'unhandled promise rejection (carrying on; see processErrors.ts)');
  });
  process.on('uncaughtException', (error: Error, origin: string) => {
    logger.fatal({ err: error, origin }, 'uncaught exception: exiting');
    exit(1);
  });
}
