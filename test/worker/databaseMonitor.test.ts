import { MongoClient, type ServerHeartbeatStartedEvent } from 'mongodb';
import { watchServerMonitor } from '../../worker/src/db/connect.js';
import { createLogger } from '../../worker/src/logger.js';
import { testServerUri } from '../support/database.js';

/** A heartbeat that starts and never ends, as when the driver writes one to a socket already destroyed. */
const stuckHeartbeat = (client: MongoClient): void => {
  client.emit('serverHeartbeatStarted', {} as ServerHeartbeatStartedEvent);
};

const waitForLine = async (lines: string[], text: string, timeoutMs = 10_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!lines.some((line) => line.includes(text))) {
    if (Date.now() > until) throw new Error(`no log line "${text}" in: ${lines.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('the database monitor watchdog', () => {
  const clients: MongoClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
  });

  const watchedClient = async (lines: string[]): Promise<{ client: MongoClient; topologiesOpened: () => number }> => {
    // Heartbeats far apart, so no real one ends the stuck one during the test.
    const client = new MongoClient(testServerUri(), { serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 120_000 });
    clients.push(client);
    let opened = 0;
    client.on('topologyOpening', () => void (opened += 1));
    watchServerMonitor(client, createLogger('warn', { write: (line: string) => void lines.push(line) }), 1_500);
    await client.connect();
    return { client, topologiesOpened: () => opened };
  };

  it('gives the client a fresh topology when a heartbeat never ends, and the client works again', async () => {
    const lines: string[] = [];
    const { client, topologiesOpened } = await watchedClient(lines);
    expect(topologiesOpened()).toBe(1);
    stuckHeartbeat(client);
    await waitForLine(lines, 'database client reconnected after its monitor stalled');
    expect(lines.some((line) => line.includes('database monitor stalled'))).toBe(true);
    expect(topologiesOpened()).toBe(2);
    await expect(client.db('admin').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });

  it('leaves a client closed on purpose closed', async () => {
    const lines: string[] = [];
    const { client, topologiesOpened } = await watchedClient(lines);
    stuckHeartbeat(client);
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(lines.join('')).not.toContain('stalled');
    expect(topologiesOpened()).toBe(1);
    await expect(client.db('admin').command({ ping: 1 })).rejects.toThrow();
  });
});
