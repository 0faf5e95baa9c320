import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { Config } from '../../worker/src/config.js';
import { loadConfig } from '../../worker/src/config.js';

export interface TestDatabase {
  readonly uri: string;
  readonly name: string;
  readonly client: MongoClient;
  readonly db: Db;
  /** Drops the database and closes the connection. */
  close(): Promise<void>;
}

export function testServerUri(): string {
  const uri = process.env.MONGODB_URI;
  if (uri === undefined || uri === '') {
    throw new Error('MONGODB_URI is not set: run the tests with `npm test` (or `npm run test:worker`), which starts a database for them.');
  }
  return uri;
}

export function uniqueDatabaseName(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

/** A throwaway database of its own for one test file. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const uri = testServerUri();
  const name = uniqueDatabaseName();
  const client = await MongoClient.connect(uri);
  const db = client.db(name);
  return {
    uri,
    name,
    client,
    db,
    async close() {
      await db.dropDatabase();
      await client.close();
    },
  };
}

/** Worker configuration for a test: the test server, a fresh database, any free port, quiet logs. */
export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig({
    MONGODB_URI: testServerUri(),
    MONGODB_DB: uniqueDatabaseName(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    JOB_POLL_INTERVAL_MS: '100',
    STRIPE_APP_SECRETS: 'absec_test_0000000000000000000000',
    STRIPE_WEBHOOK_SECRETS: 'whsec_test_000000000000000000000000',
    ...overrides,
  });
}
