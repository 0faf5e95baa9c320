import { createServer, type Server } from 'node:http';
import type { Agenda } from 'agenda';
import type { Db, MongoClient } from 'mongodb';
import type { Config, Role } from './config.js';
import type { Logger } from './logger.js';
import { connectDatabase } from './db/connect.js';
import type { LocalServer } from './db/localServer.js';
import { provisionDatabase } from './db/provision.js';
import { createApp } from './http/app.js';
import { createScheduler, type JobDefinition } from './jobs/scheduler.js';
import { jobs as allJobs } from './jobs/index.js';
import { AccountSettingsRepository } from './accounts/accountSettings.js';
import { CertificateRepository } from './certificates/certificateRepository.js';
import { systemClock, type Clock } from './clock.js';
import { FileStore } from './files/fileStore.js';
import type { ApiContext } from './http/context.js';
import type { StripeGateway } from './stripe/gateway.js';
import { createStripeGateway } from './stripe/stripeGateway.js';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(host: string, port: number) {
    super(`Port ${port} on ${host} is already in use. Stop the process using it, or set PORT to a free port.`);
  }
}

export interface ServiceOptions {
  config: Config;
  role: Role;
  logger: Logger;
  jobs?: readonly JobDefinition[];
  /** Defaults to the Stripe API with STRIPE_SECRET_KEY; tests pass a recording gateway. */
  stripe?: StripeGateway;
  clock?: Clock;
}

export interface RunningService {
  /** The HTTP base URL, or null for the jobs role. */
  readonly url: string | null;
  readonly db: Db;
  readonly client: MongoClient;
  readonly scheduler: Agenda;
  readonly database: LocalServer;
  readonly context: ApiContext;
  /** Graceful: stop accepting requests, drain running jobs (bounded by SHUTDOWN_TIMEOUT_MS), close the database. */
  stop(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open; in-flight requests still finish.
    server.closeIdleConnections();
  });
}

export async function startService({ config, role, logger, jobs = allJobs, stripe, clock = systemClock }: ServiceOptions): Promise<RunningService> {
  const database = await provisionDatabase({
    uri: config.MONGODB_URI,
    dataDir: config.DATA_DIR,
    cacheDir: config.CACHE_DIR,
    logger,
  });
  const cleanups: Array<() => Promise<void>> = [() => database.stop()];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'cleanup failed'));
    cleanups.length = 0;
  };

  try {
    const { client, db } = await connectDatabase(database.uri, config.MONGODB_DB);
    cleanups.push(() => client.close());

    const context: ApiContext = {
      db,
      logger,
      clock,
      stripe: stripe ?? createStripeGateway({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, filesBase: config.STRIPE_FILES_BASE }),
      certificates: new CertificateRepository(db),
      settings: new AccountSettingsRepository(db),
      files: new FileStore(db, clock),
      appSecrets: config.STRIPE_APP_SECRETS,
    };
    await context.certificates.ensureIndexes();
    await context.files.ensureIndexes();

    // Built only now: constructing Agenda with a MongoBackend starts using the connection at once.
    const scheduler = createScheduler({ db, logger, pollIntervalMs: config.JOB_POLL_INTERVAL_MS, jobs });
    await scheduler.ready;
    cleanups.push(() => scheduler.stop(false));

    if (role !== 'web') {
      await scheduler.start();
      cleanups.push(async () => {
        const drained = await scheduler.drain(config.SHUTDOWN_TIMEOUT_MS);
        if (drained.timedOut) logger.warn({ running: drained.running }, 'shutdown timeout: unfinished jobs will be retried by another worker');
      });
    }

    let url: string | null = null;
    if (role !== 'jobs') {
      const http = createServer(createApp(context));
      const port = await listen(http, config.HOST, config.PORT);
      cleanups.push(() => closeServer(http));
      url = `http://${config.HOST}:${port}`;
    }

    let stopping: Promise<void> | undefined;
    return {
      url,
      db,
      client,
      scheduler,
      database,
      context,
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
