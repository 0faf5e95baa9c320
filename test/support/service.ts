import { MongoClient } from 'mongodb';
import type { Config, Role } from '../../worker/src/config.js';
import type { JobDefinition } from '../../worker/src/jobs/scheduler.js';
import { createLogger, type Logger } from '../../worker/src/logger.js';
import { startService, type RunningService } from '../../worker/src/service.js';
import type { Clock } from '../../worker/src/clock.js';
import type { StripeGateway } from '../../worker/src/stripe/gateway.js';
import { testConfig } from './database.js';
import { FakeStripe } from './fakeStripe.js';

export interface TestService extends RunningService {
  readonly config: Config;
  /** Stops the service and drops its database. */
  dispose(): Promise<void>;
}

export interface TestServiceOptions {
  role?: Role;
  /** Replaces the worker's own jobs; omit to run the real ones. */
  jobs?: readonly JobDefinition[];
  config?: Config;
  stripe?: StripeGateway;
  clock?: Clock;
  /** Where the service logs; silent by default. */
  logger?: Logger;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const config = options.config ?? testConfig();
  const service = await startService({
    config,
    role: options.role ?? 'all',
    logger: options.logger ?? createLogger('silent'),
    ...(options.jobs === undefined ? {} : { jobs: () => options.jobs ?? [] }),
    stripe: options.stripe ?? new FakeStripe(),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return {
    ...service,
    config,
    async dispose() {
      await service.stop();
      const client = await MongoClient.connect(service.database.uri);
      await client.db(config.MONGODB_DB).dropDatabase();
      await client.close();
    },
  };
}

/** Polls until `accept` holds or the timeout passes; returns the last value read either way. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
