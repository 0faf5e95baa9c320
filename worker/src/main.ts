import { ConfigError, loadConfig, parseRole } from './config.js';
import { NoDatabaseError } from './db/errors.js';
import { createLogger } from './logger.js';
import { installProcessErrorHandlers } from './processErrors.js';
import { PortInUseError, startService } from './service.js';

/** Problems an operator fixes by changing something: one clear line, no stack trace. */
const operatorErrors = [ConfigError, PortInUseError, NoDatabaseError];

function fail(error: unknown): never {
  if (operatorErrors.some((kind) => error instanceof kind)) {
    process.stderr.write(`${(error as Error).message}\n`);
  } else {
    process.stderr.write(`Worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const role = parseRole(process.argv.slice(2));
  const logger = createLogger(config.LOG_LEVEL);
  installProcessErrorHandlers(logger);
  const service = await startService({ config, role, logger });
  logger.info(
    {
      role,
      url: service.url,
      // METRICS_PORT's server, when set (the jobs role's only HTTP).
      metricsUrl: service.metricsUrl ?? undefined,
      // A database we started listens on loopback without credentials, so its address is safe to print.
      database: { kind: service.database.kind, pid: service.database.pid, uri: service.database.kind === 'external' ? undefined : service.database.uri },
    },
    service.url === null
      ? `worker (role ${role}) processing jobs`
      : `worker (role ${role}) listening on ${service.url} — health ${service.url}/healthz, readiness ${service.url}/readyz`,
  );

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch(fail);
