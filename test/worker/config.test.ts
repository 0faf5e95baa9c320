import { ConfigError, loadConfig, parseRole } from '../../worker/src/config.js';

describe('configuration', () => {
  it('uses documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', MONGODB_DB: 'exemptions', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: 25000 });
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it('names every bad variable, what it expects, and what it got', () => {
    expect(() => loadConfig({ PORT: '70000', MONGODB_URI: 'postgres://x', LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: '70000', MONGODB_URI: 'postgres://x', LOG_LEVEL: 'loud' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT: expected a port between 0 and 65535 (got "70000")');
      expect(message).toContain('MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string (got "postgres://x")');
      expect(message).toContain('LOG_LEVEL:');
    }
  });

  it('reads the mail and portal settings: outbox without SMTP, no dev route, links from PUBLIC_URL', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({ MAIL_OUTBOX_ROUTE: false, PORTAL_SUBMIT_LIMIT: 10, PORTAL_REQUEST_LIMIT: 300 });
    expect(defaults.SMTP_URL).toBeUndefined();
    expect(defaults.PUBLIC_URL).toBeUndefined();
    const set = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465', PUBLIC_URL: 'https://certs.example.com/', MAIL_OUTBOX_ROUTE: 'true' });
    expect(set).toMatchObject({ SMTP_URL: 'smtps://u:p@mail.example.com:465', PUBLIC_URL: 'https://certs.example.com', MAIL_OUTBOX_ROUTE: true });
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com', PUBLIC_URL: 'ftp://x', MAIL_OUTBOX_ROUTE: 'yes' })).toThrow(
      /PUBLIC_URL: expected the public base URL.*SMTP_URL: expected an SMTP URL.*MAIL_OUTBOX_ROUTE: expected true or false/,
    );
  });

  it('reads the job processing limits, with defaults that keep one poll from locking a whole backlog', () => {
    expect(loadConfig({})).toMatchObject({ JOB_POLL_INTERVAL_MS: 1000, JOB_LOCK_LIMIT: 500, JOB_LOCK_LIMIT_PER_NAME: 250, JOB_MAX_CONCURRENCY: 60 });
    expect(loadConfig({ JOB_LOCK_LIMIT: '50', JOB_LOCK_LIMIT_PER_NAME: '25', JOB_MAX_CONCURRENCY: '40' })).toMatchObject({ JOB_LOCK_LIMIT: 50, JOB_LOCK_LIMIT_PER_NAME: 25, JOB_MAX_CONCURRENCY: 40 });
    expect(() => loadConfig({ JOB_LOCK_LIMIT: '0', JOB_MAX_CONCURRENCY: 'many' })).toThrow(/JOB_LOCK_LIMIT: expected a positive number.*JOB_MAX_CONCURRENCY: expected a number/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });

  it('reads the role from --role=… or --role …, defaulting to all', () => {
    expect(parseRole([])).toBe('all');
    expect(parseRole(['--role=web'])).toBe('web');
    expect(parseRole(['--role', 'jobs'])).toBe('jobs');
    expect(() => parseRole(['--role=both'])).toThrow('--role: expected one of web, jobs, all (got "both")');
  });
});
