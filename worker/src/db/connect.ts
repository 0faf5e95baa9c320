import { MongoClient, type Db } from 'mongodb';
import type { Logger } from '../logger.js';

export interface Database {
  readonly client: MongoClient;
  readonly db: Db;
}

/** How long a connection attempt or an unanswered command may take before the driver gives up on it. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The driver's default: how often the monitor asks the server how it is. */
const HEARTBEAT_FREQUENCY_MS = 10_000;

export async function connectDatabase(uri: string, name: string, logger?: Logger): Promise<Database> {
  // A short server-selection timeout turns "database down" into a prompt 503 instead of a hung request.
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
    appName: 'exemptions-worker',
  });
  if (logger !== undefined) watchServerMonitor(client, logger);
  await client.connect();
  return { client, db: client.db(name) };
}

/**
 * Logs an outage once when the driver's monitor loses the server and once when it finds it again
 * (not every failed operation in between), and reconnects the client when the monitor stalls.
 *
 * The stall is a mongodb driver (7.9) behaviour we met in `test/faults/databaseDown.test.ts`: when
 * every socket to the server is reset at once, a heartbeat can be written to a socket that is
 * already destroyed but not yet marked closed. The write waits for a `drain` that never comes, the
 * heartbeat never ends, and the server stays "unknown" for good: every operation fails server
 * selection although the database is back. No socket timeout covers it, so this watchdog does: a
 * heartbeat pending longer than the driver's own limit for one (connect timeout + heartbeat
 * interval, which also covers MongoDB's awaitable heartbeats) means the monitor is stuck, and a
 * fresh topology is the only way out. Operations during the swap fail with transient errors,
 * which callers already retry.
 */
export function watchServerMonitor(client: MongoClient, logger: Logger, stallMs = CONNECT_TIMEOUT_MS + HEARTBEAT_FREQUENCY_MS + 5_000): void {
  let unreachableSince: number | null = null;
  let heartbeatPendingSince: number | null = null;
  let reconnecting = false;

  client.on('serverHeartbeatStarted', () => {
    heartbeatPendingSince ??= Date.now();
  });
  client.on('serverHeartbeatFailed', (event) => {
    heartbeatPendingSince = null;
    if (unreachableSince !== null) return;
    unreachableSince = Date.now();
    logger.warn({ err: event.failure, server: event.connectionId }, 'database unreachable');
  });
  client.on('serverHeartbeatSucceeded', (event) => {
    heartbeatPendingSince = null;
    if (unreachableSince === null) return;
    logger.warn({ server: event.connectionId, unreachableMs: Date.now() - unreachableSince }, 'database reachable again');
    unreachableSince = null;
  });

  const reconnect = async (): Promise<void> => {
    reconnecting = true;
    heartbeatPendingSince = null;
    try {
      await client.close();
      // An explicit connect is the only way back after close(); keep trying until it works.
      for (;;) {
        try {
          await client.connect();
          logger.warn('database client reconnected after its monitor stalled');
          return;
        } catch (error) {
          logger.warn({ err: error }, 'database client could not reconnect yet; retrying');
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
    } finally {
      reconnecting = false;
    }
  };

  const timer = setInterval(() => {
    if (reconnecting || heartbeatPendingSince === null || Date.now() - heartbeatPendingSince < stallMs) return;
    logger.error({ pendingMs: Date.now() - heartbeatPendingSince }, 'database monitor stalled; reconnecting the client');
    void reconnect();
  }, 1_000);
  timer.unref();
  // A close of our own (shutdown) ends the watch; one made by reconnect() does not.
  client.on('topologyClosed', () => {
    heartbeatPendingSince = null;
    if (!reconnecting) clearInterval(timer);
  });
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
