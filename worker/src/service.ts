import { createServer, type Server } from 'node:http';
import type { Agenda } from 'agenda';
import type { Db, MongoClient } from 'mongodb';
import type { Config, Role } from './config.js';
import type { Logger } from './logger.js';
import { connectDatabase } from './db/connect.js';
import type { LocalServer } from './db/localServer.js';
import { provisionDatabase } from './db/provision.js';
import { createApp } from './http/app.js';
import { createScheduler, defineJobs, JOBS_COLLECTION, removeFinishedJobs, type JobDefinition } from './jobs/scheduler.js';
import { workerJobs } from './jobs/index.js';
import { agendaQueue, type JobQueue } from './jobs/queue.js';
import { STATUS_SWEEP } from './jobs/statusSweep.js';
import { CERTIFICATE_REQUESTS_DAILY } from './jobs/certificateRequestsDaily.js';
import { REQUEUE_STRANDED_EVENTS, REQUEUE_STRANDED_EVENTS_EVERY } from './jobs/requeueStrandedEvents.js';
import { EmailOutbox } from './mail/emailOutbox.js';
import { Mailer } from './mail/mailer.js';
import { PortalLinks } from './portal/links.js';
import { RequestRepository } from './requests/requestRepository.js';
import { TaxExemptMemoryStore } from './coverage/taxExemptMemory.js';
import { StripeEventStore } from './webhooks/eventStore.js';
import { LedgerRepository } from './ledger/ledgerRepository.js';
import { TaxRateCache } from './ledger/taxRateCache.js';
import { FilingPeriodRepository } from './periods/filingPeriods.js';
import { ReprocessRunRepository } from './reprocess/runRepository.js';
import { AccountSettingsRepository } from './accounts/accountSettings.js';
import { CertificateRepository } from './certificates/certificateRepository.js';
import { CertificateExternalIds } from './certificates/externalIds.js';
import { systemClock, type Clock } from './clock.js';
import { FileStore } from './files/fileStore.js';
import type { ServiceContext } from './context.js';
import type { StripeGateway } from './stripe/gateway.js';
import { createStripeGateway } from './stripe/stripeGateway.js';
import { Metrics } from './metrics/metrics.js';
import { metricsServer } from './metrics/server.js';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(host: string, port: number, variable = 'PORT') {
    super(`Port ${port} on ${host} is already in use. Stop the process using it, or set ${variable} to a free port.`);
  }
}

export interface ServiceOptions {
  config: Config;
  role: Role;
  logger: Logger;
  /** The jobs this process defines; tests replace the worker's own. */
  jobs?: (context: ServiceContext) => readonly JobDefinition[];
  /** Defaults to the Stripe API with STRIPE_SECRET_KEY; tests pass a recording gateway. */
  stripe?: StripeGateway;
  clock?: Clock;
}

export interface RunningService {
  /** The HTTP base URL, or null for the jobs role. */
  readonly url: string | null;
  /** Where METRICS_PORT serves /metrics, or null without one. */
  readonly metricsUrl: string | null;
  readonly db: Db;
  readonly client: MongoClient;
  readonly scheduler: Agenda;
  readonly database: LocalServer;
  readonly context: ServiceContext;
  /** Graceful: stop accepting requests, drain running jobs (bounded by SHUTDOWN_TIMEOUT_MS), close the database. */
  stop(): Promise<void>;
}

/** The repositories and adapters of one process, on one database connection. */
export function createServiceContext(
  db: Db,
  config: Config,
  parts: { logger: Logger; clock: Clock; stripe: StripeGateway; queue: JobQueue; metrics?: Metrics },
): ServiceContext {
  return {
    db,
    ...parts,
    metrics: parts.metrics ?? new Metrics(),
    metricsToken: config.METRICS_TOKEN,
    certificates: new CertificateRepository(db),
    externalIds: new CertificateExternalIds(db),
    settings: new AccountSettingsRepository(db),
    files: new FileStore(db, parts.clock),
    events: new StripeEventStore(db),
    taxExemptMemory: new TaxExemptMemoryStore(db),
    ledger: new LedgerRepository(db),
    taxRates: new TaxRateCache(parts.stripe),
    filing: new FilingPeriodRepository(db),
    reprocessRuns: new ReprocessRunRepository(db),
    requests: new RequestRepository(db),
    mailer: new Mailer({ outbox: new EmailOutbox(db, parts.clock), queue: parts.queue, logger: parts.logger, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }),
    links: new PortalLinks(config.PUBLIC_URL),
    portal: { submitLimit: config.PORTAL_SUBMIT_LIMIT, requestLimit: config.PORTAL_REQUEST_LIMIT, outboxRoute: config.MAIL_OUTBOX_ROUTE },
    appSecrets: config.STRIPE_APP_SECRETS,
    webhookSecrets: config.STRIPE_WEBHOOK_SECRETS,
    platformAccountId: config.STRIPE_PLATFORM_ACCOUNT,
  };
}

function listen(server: Server, host: string, port: number, variable = 'PORT'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, variable) : error);
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

export async function startService({ config, role, logger, jobs = workerJobs, stripe, clock = systemClock }: ServiceOptions): Promise<RunningService> {
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
    const { client, db } = await connectDatabase(database.uri, config.MONGODB_DB, logger);
    cleanups.push(() => client.close());

    // Built only now: constructing Agenda with a MongoBackend starts using the connection at once.
    const scheduler = createScheduler({
      db,
      logger,
      pollIntervalMs: config.JOB_POLL_INTERVAL_MS,
      lockLimit: config.JOB_LOCK_LIMIT,
      lockLimitPerName: config.JOB_LOCK_LIMIT_PER_NAME,
      maxConcurrency: config.JOB_MAX_CONCURRENCY,
    });
    await scheduler.ready;
    cleanups.push(() => scheduler.stop(false));

    const context = createServiceContext(db, config, {
      logger,
      clock,
      stripe: stripe ?? createStripeGateway({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, filesBase: config.STRIPE_FILES_BASE }),
      queue: agendaQueue(scheduler, db.collection(JOBS_COLLECTION)),
    });
    await context.certificates.ensureIndexes();
    await context.externalIds.ensureIndexes();
    await context.files.ensureIndexes();
    await context.events.ensureIndexes();
    await context.ledger.ensureIndexes();
    await context.filing.ensureIndexes();
    await context.reprocessRuns.ensureIndexes();
    await context.requests.ensureIndexes();
    await context.mailer.outbox.ensureIndexes();
    cleanups.push(async () => context.mailer.close());
    const definitions = jobs(context);
    defineJobs(scheduler, definitions, logger, config.JOB_LOCK_LIFETIME_MS, context.metrics);
    context.metrics.observeJobQueue(db, definitions.map((definition) => definition.name));

    if (role !== 'web') {
      const removed = await removeFinishedJobs(db);
      if (removed > 0) logger.info({ removed }, 'removed finished jobs kept by an earlier version');
      await scheduler.start();
      // One recurring job under one name, however many processes declare it.
      await scheduler.every('1 day', STATUS_SWEEP, {}, { skipImmediate: true });
      // Hourly, so that each account's day (and its 08:00 emails) starts in its own time zone.
      await scheduler.every('1 hour', CERTIFICATE_REQUESTS_DAILY, {}, { skipImmediate: true });
      // At start too (no skipImmediate): after a crash is when an event may be stored without its job.
      await scheduler.every(REQUEUE_STRANDED_EVENTS_EVERY, REQUEUE_STRANDED_EVENTS, {});
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
      context.links.useListeningAddress(url);
    } else {
      context.links.useListeningAddress(`http://${config.HOST}:${config.PORT}`);
    }

    // The jobs role's own counters (job runs, emails) have no other HTTP server to be read from.
    let metricsUrl: string | null = null;
    if (config.METRICS_PORT !== undefined) {
      const metricsHttp = createServer(metricsServer(context.metrics, context.metricsToken));
      const port = await listen(metricsHttp, config.HOST, config.METRICS_PORT, 'METRICS_PORT');
      cleanups.push(() => closeServer(metricsHttp));
      metricsUrl = `http://${config.HOST}:${port}`;
    }

    let stopping: Promise<void> | undefined;
    return {
      url,
      metricsUrl,
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
