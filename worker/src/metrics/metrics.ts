import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from 'mongodb';
import { JOB_STATES, readJobQueue, type JobQueueReading } from './jobQueue.js';

/** How a webhook delivery ended; see webhooks/routes.ts and `webhookOutcomeOf`. */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'bad_signature' | 'unavailable' | 'rejected' | 'error';

export type JobOutcome = 'succeeded' | 'failed';

export type EmailOutcome = 'sent' | 'failed';

/** Seconds: from a fast API read to a slow audit package or reprocess batch. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Jobs run from milliseconds (an event) to many minutes (a reprocess run). */
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * One process's metrics, in a registry of its own (several services may share a process in
 * tests). Labels are chosen from small fixed sets — route patterns, job names, outcomes — never
 * from anything a caller sends: a raw URL can carry a portal or download token, and would make
 * a new series for each.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'exemptions_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'exemptions_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly webhooks = new Counter({
    name: 'exemptions_webhook_deliveries_total',
    help: 'Stripe webhook deliveries, by outcome: accepted, duplicate, bad_signature, unavailable (503: Stripe retries), rejected (other 4xx), error (other 5xx)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDuration = new Histogram({
    name: 'exemptions_webhook_duration_seconds',
    help: 'Time to answer a Stripe webhook delivery (verify, store, enqueue), by outcome',
    labelNames: ['outcome'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly jobRuns = new Counter({
    name: 'exemptions_job_runs_total',
    help: 'Job runs in this process, by job name and outcome (a failed run is retried with backoff until its retries run out)',
    labelNames: ['name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'exemptions_job_duration_seconds',
    help: 'Time a job run took in this process, by job name and outcome',
    labelNames: ['name', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  readonly emails = new Counter({
    name: 'exemptions_emails_total',
    help: 'Emails handed to the SMTP server, by outcome: sent, or failed (retried)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly jobNames = new Set<string>();
  private queueSource: Db | null = null;
  /** The reading in progress: one serves both queue gauges of a scrape (the registry collects them at once). */
  private queueReading: Promise<JobQueueReading | null> | null = null;

  private readonly queueReadFailures = new Counter({
    name: 'exemptions_job_queue_read_failures_total',
    help: 'Scrapes that could not read the job queue from the database (the queue gauges are then absent)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const read = (): Promise<JobQueueReading | null> => this.readQueue();
    const names = (): ReadonlySet<string> => this.jobNames;
    new Gauge({
      name: 'exemptions_jobs',
      help: 'Jobs in the shared queue (the jobs collection) at scrape time, by job name and state: due (waiting for a jobs process), waiting (scheduled later: retries, recurring jobs), running (locked), failed (retries exhausted, kept for inspection). The same from every process',
      labelNames: ['name', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const queue = await read();
        if (queue === null) return;
        for (const name of new Set([...names(), ...Object.keys(queue.counts)])) {
          for (const state of JOB_STATES) this.set({ name, state }, queue.counts[name]?.[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'exemptions_jobs_oldest_due_age_seconds',
      help: 'How long the longest-waiting due job has been due (0 when none is); growing means the jobs processes are down or not keeping up. The same from every process',
      registers: [this.registry],
      async collect() {
        this.reset();
        const queue = await read();
        if (queue !== null) this.set(queue.oldestDueAgeSeconds);
      },
    });
  }

  /**
   * Read at scrape time from the database every process shares (a few counting queries), once
   * per scrape: a reading still in progress is shared. Null when there is nothing to read from,
   * or the database did not answer (then the gauges are absent, not zero).
   */
  private readQueue(): Promise<JobQueueReading | null> {
    const db = this.queueSource;
    if (db === null) return Promise.resolve(null);
    this.queueReading ??= readJobQueue(db, new Date())
      .catch(() => {
        this.queueReadFailures.inc();
        return null;
      })
      .finally(() => {
        this.queueReading = null;
      });
    return this.queueReading;
  }

  /** Where the queue gauges read from at scrape time, and the job names always reported (0 when none). */
  observeJobQueue(db: Db, jobNames: Iterable<string>): void {
    this.queueSource = db;
    for (const name of jobNames) this.jobNames.add(name);
  }

  recordJob(name: string, outcome: JobOutcome, seconds: number): void {
    this.jobRuns.inc({ name, outcome });
    this.jobDuration.observe({ name, outcome }, seconds);
  }

  recordEmail(outcome: EmailOutcome): void {
    this.emails.inc({ outcome });
  }

  /** The text Prometheus scrapes, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
