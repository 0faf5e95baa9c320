import type { Db } from 'mongodb';
import type { AccountSettingsRepository } from '../accounts/accountSettings.js';
import type { CertificateRepository } from '../certificates/certificateRepository.js';
import type { Clock } from '../clock.js';
import type { FileStore } from '../files/fileStore.js';
import type { Logger } from '../logger.js';
import type { StripeGateway } from '../stripe/gateway.js';

/** What the HTTP routes are given; built once in service.ts. */
export interface ApiContext {
  readonly db: Db;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stripe: StripeGateway;
  readonly certificates: CertificateRepository;
  readonly settings: AccountSettingsRepository;
  /** Certificate files (GridFS). */
  readonly files: FileStore;
  /** The app signing secrets (absec_…); two during a rotation. */
  readonly appSecrets: readonly string[];
}
