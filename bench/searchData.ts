/**
 * The search benchmark's dataset: certificates spread evenly over test-mode accounts, with varied
 * customers (people, companies, no name, no email), jurisdictions, dates (expired, in force,
 * expiring soon, not yet effective, no expiration) and some archived. Built with the domain's own
 * constructors so every document is one the app could have written, then inserted in batches
 * straight into the collection: the benchmark measures searching, not creating.
 */
import {
  addDays,
  archiveCertificate,
  defaultExpiryWindowDays,
  certificateForms,
  createCertificate,
  exemptionReasons,
  jurisdictionCodes,
  type CalendarDate,
  type Certificate,
  type CertificateInput,
  type JurisdictionCode,
} from '@exemptions/shared';
import type { Db } from 'mongodb';
import { toDocument, type CertificateDocument, type CustomerSummary } from '../worker/src/certificates/certificateDocument.js';
import { CERTIFICATES, CertificateRepository } from '../worker/src/certificates/certificateRepository.js';
import type { Tenant } from '../worker/src/tenancy.js';
import { seededRandom, timed } from './lib/stats.js';

export interface SeedOptions {
  readonly certificates: number;
  readonly accounts: number;
  /** Seeds the generator: the same seed gives the same documents (ids included) for the same `today`. */
  readonly seed: number;
  /** Dates are spread around this day, so the share of each status is the same whenever the benchmark runs. */
  readonly today: CalendarDate;
  /** The accounts' expiring-soon window, which the stored status is computed with. */
  readonly windowDays?: number;
  readonly batchSize?: number;
}

export interface SeededCustomer extends CustomerSummary {
  readonly id: string;
}

export interface SeededAccount {
  readonly tenant: Tenant;
  readonly customers: readonly SeededCustomer[];
  readonly certificateIds: readonly string[];
}

export interface DatasetSummary {
  readonly certificates: number;
  readonly accounts: number;
  readonly customers: number;
  readonly livemode: false;
  readonly archived: number;
  readonly withoutExpiration: number;
  readonly seed: number;
  readonly today: CalendarDate;
  readonly windowDays: number;
  readonly seedingMs: number;
  readonly indexingMs: number;
}

export interface SeededData {
  readonly accounts: readonly SeededAccount[];
  readonly summary: DatasetSummary;
}

/** The jurisdictions most certificates name, so a jurisdiction filter has something to find. */
export const COMMON_JURISDICTIONS = ['US-TX', 'US-CA', 'US-NY', 'US-FL', 'US-IL', 'US-PA', 'US-OH', 'US-GA'] as const satisfies readonly JurisdictionCode[];

const FIRST_NAMES = ['Ava', 'Liam', 'Olivia', 'Noah', 'Emma', 'Mateo', 'Sofia', 'Lucas', 'Mia', 'Ethan', 'Amara', 'Hiro', 'Priya', 'Diego', 'Chloe', 'Omar', 'Zoe', 'Felix', 'Nora', 'Kai', 'Leila', 'Jonas', 'Ines', 'Ravi', 'Grace', 'Tomas', 'Yara', 'Owen', 'Aisha', 'Milo'];
const LAST_NAMES = ['Garcia', 'Smith', 'Johnson', 'Nguyen', 'Patel', 'Kim', 'Muller', 'Okafor', 'Rossi', 'Silva', 'Cohen', 'Tanaka', 'Brown', 'Lopez', 'Novak', 'Haddad', 'Walker', 'Larsen', 'Moreau', 'Singh', "O'Brien", 'Dubois', 'Ivanova', 'Mensah', 'Reyes'];
const COMPANY_WORDS = ['Acme', 'Blue Ridge', 'Cedar', 'Summit', 'Harbor', 'Pioneer', 'Lakeside', 'Northwind', 'Redwood', 'Silver', 'Granite', 'Prairie', 'Coastal', 'Evergreen', 'Ironwood', 'Maple', 'Riverbend', 'Sunrise', 'Tidewater', 'Keystone'];
const COMPANY_KINDS = ['Supply', 'Foods', 'Schools', 'Clinic', 'Farms', 'Logistics', 'Hardware', 'Church', 'Industries', 'Wholesale'];
const COMPANY_SUFFIXES = ['Co', 'Inc', 'LLC', 'Ltd', ''];
const MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'example.org', 'yahoo.com', 'proton.me'];
const COMPANY_MAILBOXES = ['purchasing', 'ap', 'tax', 'billing', 'office'];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY_MS = 86_400_000;

/** Picks and draws from one seeded generator, so a dataset is a function of its seed. */
export class Draw {
  constructor(private readonly random: () => number) {}

  fraction(): number {
    return this.random();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('nothing to pick from');
    return items[Math.floor(this.random() * items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  chars(alphabet: string, length: number): string {
    let text = '';
    for (let index = 0; index < length; index += 1) text += alphabet[Math.floor(this.random() * alphabet.length)];
    return text;
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function makeCustomer(draw: Draw): SeededCustomer {
  const id = `cus_${draw.chars(ALPHANUMERIC, 14)}`;
  let name: string;
  let email: string;
  if (draw.chance(0.6)) {
    const first = draw.pick(FIRST_NAMES);
    const last = draw.pick(LAST_NAMES);
    name = `${first} ${last}`;
    email = `${slug(first)}.${slug(last)}${draw.chance(0.3) ? draw.int(1, 99) : ''}@${draw.pick(MAIL_DOMAINS)}`;
  } else {
    const word = draw.pick(COMPANY_WORDS);
    const kind = draw.pick(COMPANY_KINDS);
    name = `${word} ${kind} ${draw.pick(COMPANY_SUFFIXES)}`.trim();
    email = `${draw.pick(COMPANY_MAILBOXES)}@${slug(word)}${slug(kind)}.com`;
  }
  // Stripe customers may have neither: search must cope with a missing name or email.
  const missing = draw.fraction();
  return { id, name: missing < 0.05 ? null : name, email: missing >= 0.05 && missing < 0.1 ? null : email };
}

function makeJurisdictions(draw: Draw, today: CalendarDate): CertificateInput['jurisdictions'] {
  const count = draw.chance(0.7) ? 1 : draw.chance(0.67) ? 2 : 3;
  const codes = new Set<JurisdictionCode>();
  while (codes.size < count) codes.add(draw.chance(0.6) ? draw.pick(COMMON_JURISDICTIONS) : draw.pick(jurisdictionCodes));
  return [...codes].map((code) => {
    // Mostly in the past three years, a few starting in the next six weeks (not yet effective).
    const effectiveDate = addDays(today, draw.int(-1100, 45));
    let expirationDate: CalendarDate | null;
    const shape = draw.fraction();
    if (shape < 0.25) expirationDate = null; // valid until revoked
    else if (shape < 0.35) expirationDate = addDays(today, draw.int(0, 45)); // expiring soon (or just after the window)
    else expirationDate = addDays(effectiveDate, draw.int(30, 1460));
    if (expirationDate !== null && expirationDate < effectiveDate) expirationDate = effectiveDate;
    return { code, registrationId: draw.chance(0.3) ? `REG-${draw.chars('0123456789', 8)}` : null, effectiveDate, expirationDate };
  });
}

function makeCertificate(draw: Draw, tenant: Tenant, customer: SeededCustomer, today: CalendarDate, nowMs: number): Certificate {
  const reason = draw.pick(exemptionReasons);
  const createdMs = nowMs - draw.int(0, 1100) * DAY_MS - draw.int(0, DAY_MS - 1);
  const input: CertificateInput = {
    customerId: customer.id,
    reason,
    reasonOther: reason === 'other' ? 'Nonprofit hospital purchasing for patient care' : null,
    form: draw.pick(certificateForms),
    number: draw.chance(0.5) ? `EX-${draw.chars('0123456789', 6)}` : null,
    purchase: draw.chance(0.9) ? { type: 'blanket' } : { type: 'single_purchase', invoiceNumber: `INV-${draw.chars('0123456789', 5)}`, poNumber: null },
    jurisdictions: makeJurisdictions(draw, today),
    notes: draw.chance(0.2) ? 'Verified by phone with the customer.' : '',
  };
  const certificate = createCertificate(input, {
    id: `cert_${draw.chars('0123456789abcdef', 24)}`,
    accountId: tenant.accountId,
    livemode: tenant.livemode,
    source: draw.chance(0.8) ? 'merchant' : 'import',
    now: new Date(createdMs).toISOString(),
  });
  if (!draw.chance(0.05)) return certificate;
  const archivedMs = createdMs + draw.int(0, Math.max(0, Math.floor((nowMs - createdMs) / 1000))) * 1000;
  return archiveCertificate(certificate, {
    expectedVersion: certificate.version,
    reason: draw.chance(0.5) ? 'Customer closed the account' : null,
    now: new Date(archivedMs).toISOString(),
  });
}

/**
 * Inserts the dataset into `db` (indexes first, as the app creates them at start-up) and returns
 * what the queries need to pick realistic parameters: each account's customers and certificate ids.
 */
export async function seedCertificates(db: Db, options: SeedOptions, log: (line: string) => void = () => undefined): Promise<SeededData> {
  const { certificates: total, accounts: accountCount, seed, today } = options;
  const batchSize = options.batchSize ?? 1000;
  const basis = { today, windowDays: options.windowDays ?? defaultExpiryWindowDays };
  if (!Number.isInteger(total) || !Number.isInteger(accountCount) || accountCount < 1 || total < accountCount) {
    throw new RangeError(`need whole numbers with at least one certificate per account (got ${total} certificates, ${accountCount} accounts)`);
  }
  const draw = new Draw(seededRandom(seed));
  const nowMs = Date.parse(`${today}T12:00:00.000Z`);
  const collection = db.collection<CertificateDocument>(CERTIFICATES);

  const indexing = await timed(() => new CertificateRepository(db).ensureIndexes());

  const accounts: SeededAccount[] = [];
  let batch: CertificateDocument[] = [];
  let inserted = 0;
  let archived = 0;
  let withoutExpiration = 0;
  let customerCount = 0;
  let reported = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await collection.insertMany(batch, { ordered: false });
    inserted += batch.length;
    batch = [];
    // Progress every tenth of the way, so a long seeding run shows it is alive.
    if (inserted - reported >= total / 10 || inserted === total) {
      reported = inserted;
      log(`  seeded ${inserted.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
    }
  };

  const seeding = await timed(async () => {
    for (let index = 0; index < accountCount; index += 1) {
      const tenant: Tenant = { accountId: `acct_bench${String(index + 1).padStart(6, '0')}`, livemode: false };
      // An even share each; the first accounts take the remainder.
      const share = Math.floor(total / accountCount) + (index < total % accountCount ? 1 : 0);
      // About 2.5 certificates per customer: some customers have one, some several.
      const customers = Array.from({ length: Math.max(1, Math.round(share / 2.5)) }, () => makeCustomer(draw));
      customerCount += customers.length;
      const certificateIds: string[] = [];
      for (let n = 0; n < share; n += 1) {
        const customer = draw.pick(customers);
        const certificate = makeCertificate(draw, tenant, customer, today, nowMs);
        if (certificate.archivedAt !== null) archived += 1;
        if (certificate.jurisdictions.some((j) => j.expirationDate === null)) withoutExpiration += 1;
        certificateIds.push(certificate.id);
        // The stored status is computed for the day the benchmark searches on, as a write today would.
        batch.push(toDocument(certificate, { name: customer.name, email: customer.email }, basis));
        if (batch.length >= batchSize) await flush();
      }
      accounts.push({ tenant, customers, certificateIds });
    }
    await flush();
  });

  return {
    accounts,
    summary: {
      certificates: inserted,
      accounts: accountCount,
      customers: customerCount,
      livemode: false,
      archived,
      withoutExpiration,
      seed,
      today,
      windowDays: basis.windowDays,
      seedingMs: Math.round(seeding.ms),
      indexingMs: Math.round(indexing.ms),
    },
  };
}
