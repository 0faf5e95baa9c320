import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Request headers that must never reach the logs: a captured signature can be replayed within
 * its tolerance window, and credentials are credentials.
 */
const REDACTED_HEADERS = ['req.headers["stripe-signature"]', 'req.headers.authorization', 'req.headers.cookie'];

/** JSON lines on stdout, or on `destination` (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'exemptions-worker' }, redact: { paths: REDACTED_HEADERS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
