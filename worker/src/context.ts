import type { Db } from 'mongodb';
import type { AccountSettingsRepository } from './accounts/accountSettings.js';
import type { CertificateRepository } from './certificates/certificateRepository.js';
import type { CertificateExternalIds } from './certificates/externalIds.js';
import type { Clock } from './clock.js';
import type { FileStore } from './files/fileStore.js';
import type { Logger } from './logger.js';
import type { StripeGateway } from './stripe/gateway.js';
import type { TaxExemptMemoryStore } from './coverage/taxExemptMemory.js';
import type { JobQueue } from './jobs/queue.js';
import type { StripeEventStore } from './webhooks/eventStore.js';
import type { LedgerRepository } from './ledger/ledgerRepository.js';
import type { TaxRateCache } from './ledger/taxRateCache.js';
import type { Mailer } from './mail/mailer.js';
import type { PortalLinks } from './portal/links.js';
import type { RequestRepository } from './requests/requestRepository.js';
import type { FilingPeriodRepository } from './periods/filingPeriods.js';
import type { ReprocessRunRepository } from './reprocess/runRepository.js';
import type { Metrics } from './metrics/metrics.js';

/** Everything routes and jobs are given; built once per process in service.ts. */
export interface ServiceContext {
  readonly db: Db;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stripe: StripeGateway;
  readonly certificates: CertificateRepository;
  /** The external ids certificates were imported under (CSV import). */
  readonly externalIds: CertificateExternalIds;
  readonly settings: AccountSettingsRepository;
  /** Certificate files (GridFS). */
  readonly files: FileStore;
  readonly events: StripeEventStore;
  readonly taxExemptMemory: TaxExemptMemoryStore;
  readonly queue: JobQueue;
  readonly ledger: LedgerRepository;
  readonly taxRates: TaxRateCache;
  /** Certificate requests, their link tokens and claims. */
  readonly requests: RequestRepository;
  /** Email, once per idempotency key: SMTP when configured, else the database outbox. */
  readonly mailer: Mailer;
  /** Emailed links, built from PUBLIC_URL. */
  readonly links: PortalLinks;
  /** Portal abuse limits (per client address per 15 minutes) and whether /dev/outbox is served. */
  readonly portal: { readonly submitLimit: number; readonly requestLimit: number; readonly outboxRoute: boolean };
  readonly filing: FilingPeriodRepository;
  readonly reprocessRuns: ReprocessRunRepository;
  /** The app signing secrets (absec_…); two during a rotation. */
  readonly appSecrets: readonly string[];
  /** Webhook endpoint secrets (whsec_…); two while rolling. */
  readonly webhookSecrets: readonly string[];
  /** The account an event belongs to when it carries none (the platform's own events). */
  readonly platformAccountId: string | undefined;
  /** This process's Prometheus metrics (served at /metrics). */
  readonly metrics: Metrics;
  /** The bearer token /metrics asks for (METRICS_TOKEN); unset, /metrics is not served. */
  readonly metricsToken: string | undefined;
}
