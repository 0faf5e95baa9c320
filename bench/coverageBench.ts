/**
 * Coverage lookup: what the worker does, when it syncs or applies a customer's coverage, to decide
 * which certificate covers the customer's jurisdiction today (`coveringCertificateFor`: the read of
 * the customer's certificates through `CertificateRepository.coverageInputsOf`, then the domain's
 * `findCoveringCertificate`), next to the raw driver reading the same certificates with
 * `find({accountId, livemode, customerId})`, on the same database, in the same run, with the same
 * customers. The Stripe calls of a sync (reading the customer, writing `tax_exempt`) and its other
 * reads (account settings, the tax-exempt memory) are not part of it.
 *
 * Each call draws a random account of the seeded dataset, one of its customers and a jurisdiction
 * (one of the eight common states, as the customer's address would be), from a seeded generator so
 * runs repeat. Each iteration also times a `ping`, the round-trip floor on this machine; the three
 * take turns going first.
 */
import { type CalendarDate } from '@exemptions/shared';
import { MongoClient, type Collection, type Db, type Document, type Filter } from 'mongodb';
import type { CertificateDocument } from '../worker/src/certificates/certificateDocument.js';
import { CERTIFICATES, CertificateRepository } from '../worker/src/certificates/certificateRepository.js';
import { coveringCertificateFor } from '../worker/src/coverage/syncCustomerCoverage.js';
import { RequestRepository } from '../worker/src/requests/requestRepository.js';
import { tenantFilter, type Tenant } from '../worker/src/tenancy.js';
import { describePlan, explainFind, summariseExplain, type PlanSummary } from './lib/explain.js';
import { percentile, ratio, round, seededRandom, summarise, timed, type Summary } from './lib/stats.js';
import { COMMON_JURISDICTIONS, Draw, type SeededData } from './searchData.js';

/** Issue 9's target for this benchmark, reported next to the figures (never asserted). */
export const TARGETS = { p99Ms: 5 } as const;

export interface CoverageBenchOptions {
  /** Timed calls per side, at most. */
  readonly iterations: number;
  /** Timed calls per side, at least, whatever the budget. */
  readonly minIterations: number;
  /** Once `minIterations` are done, stop after this many milliseconds of timed calls. */
  readonly budgetMs: number;
  /** Untimed calls per side first. */
  readonly warmup: number;
  /** Seeds the choice of accounts, customers and jurisdictions. */
  readonly seed: number;
  readonly today: CalendarDate;
}

/** One lookup: whose coverage, in which jurisdiction. */
export interface LookupCase {
  readonly tenant: Tenant;
  readonly customerId: string;
  readonly jurisdiction: string;
}

export interface TailSummary extends Summary {
  readonly p99: number;
}

export interface CoverageMeasurements {
  readonly settings: CoverageBenchOptions & { readonly syncPolicy: 'approved_only' };
  /** `coveringCertificateFor`: the certificate read and the decision, as a sync does them. */
  readonly lookup: TailSummary;
  /** `find({accountId, livemode, customerId}).toArray()`. */
  readonly raw: TailSummary;
  /**
   * `ping`, the round trip to the database with no work in it: the floor under both sides on this
   * machine, measured alongside them (a reference, not a baseline).
   */
  readonly ping: TailSummary;
  /** lookup / raw, of the p50s, p95s and p99s. */
  readonly ratio: { readonly p50: number; readonly p95: number; readonly p99: number };
  /** Certificates per customer read (mean, and the most read in one call), and the share of calls where one covered. */
  readonly rows: { readonly mean: number; readonly max: number; readonly withoutCertificates: number; readonly covered: number };
  readonly explain: {
    /** The `find` commands the lookup sent to the certificates, in order. */
    readonly lookup: PlanSummary[];
    readonly raw: PlanSummary;
  };
  /** Commands the lookup sends per call, by name (from the driver's command monitoring). */
  readonly commandsPerLookup: Record<string, number>;
  readonly meetsTargets: { readonly p99: boolean };
}

export const BASELINE = 'find({accountId, livemode, customerId}).toArray()';

/** The nearest-rank p50/p95 of `summarise`, and the p99 this benchmark's target is about. */
export function summariseTail(samples: readonly number[]): TailSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...summarise(sorted), p99: round(percentile(sorted, 99)) };
}

/** The raw baseline's filter: the customer's certificates, tenant first. */
export function rawFilter(lookup: LookupCase): Filter<CertificateDocument> {
  return { ...tenantFilter(lookup.tenant), customerId: lookup.customerId };
}

export function drawLookup(draw: Draw, data: SeededData): LookupCase {
  const account = draw.pick(data.accounts);
  const customer = draw.pick(account.customers);
  return { tenant: account.tenant, customerId: customer.id, jurisdiction: draw.pick(COMMON_JURISDICTIONS) };
}

/** The repositories a sync's lookup reads through, as the worker's context holds them. */
export type LookupDependencies = Parameters<typeof coveringCertificateFor>[0];

export function lookupDependencies(db: Db): LookupDependencies {
  return { certificates: new CertificateRepository(db), requests: new RequestRepository(db) };
}

/** The worker's lookup with the default sync policy (approved certificates only). */
export function lookupCoverage(deps: LookupDependencies, lookup: LookupCase, today: CalendarDate): ReturnType<typeof coveringCertificateFor> {
  return coveringCertificateFor(deps, lookup.tenant, lookup.customerId, { jurisdiction: lookup.jurisdiction, today, syncPolicy: 'approved_only' });
}

/** Runs one lookup on a client that records commands: what it sends, and the plan of each `find`. */
async function recordLookup(uri: string, databaseName: string, lookup: LookupCase, today: CalendarDate): Promise<{ commands: Record<string, number>; plans: PlanSummary[] }> {
  const monitored = await MongoClient.connect(uri, { monitorCommands: true, appName: 'exemptions-bench-explain' });
  try {
    const db = monitored.db(databaseName);
    const sent: Document[] = [];
    const listener = (event: { commandName: string; command: Document; databaseName: string }): void => {
      if (event.databaseName === databaseName) sent.push({ name: event.commandName, command: event.command });
    };
    monitored.on('commandStarted', listener);
    try {
      await lookupCoverage(lookupDependencies(db), lookup, today);
    } finally {
      monitored.off('commandStarted', listener);
    }
    const commands: Record<string, number> = {};
    for (const { name } of sent) commands[String(name)] = (commands[String(name)] ?? 0) + 1;
    const plans: PlanSummary[] = [];
    for (const { name, command } of sent) {
      if (name === 'find' && (command as Document).find === CERTIFICATES) plans.push(await explainFind(db, command as Document));
    }
    return { commands, plans };
  } finally {
    await monitored.close();
  }
}

/**
 * Explains both sides on a customer with certificates, then runs the warm-up and the timed calls:
 * each iteration one new customer, both sides on it.
 */
export async function measureCoverage(
  target: { readonly uri: string; readonly db: Db },
  data: SeededData,
  options: CoverageBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<CoverageMeasurements> {
  const collection: Collection<CertificateDocument> = target.db.collection<CertificateDocument>(CERTIFICATES);
  const deps = lookupDependencies(target.db);
  const draw = new Draw(seededRandom(options.seed));

  // A customer with certificates, so the plans shown are of a query that finds something.
  let sample = drawLookup(draw, data);
  for (let tries = 0; tries < 50 && (await collection.countDocuments(rawFilter(sample))) === 0; tries += 1) sample = drawLookup(draw, data);
  const recorded = await recordLookup(target.uri, target.db.databaseName, sample, options.today);
  const explain = { lookup: recorded.plans, raw: summariseExplain(await collection.find(rawFilter(sample)).explain('queryPlanner')) };
  log(`coverage lookup for ${sample.customerId} in ${sample.jurisdiction}: commands sent ${JSON.stringify(recorded.commands)}`);
  log(`  raw plan:    ${describePlan(explain.raw)}`);
  for (const plan of explain.lookup) log(`  lookup plan: ${describePlan(plan)}`);

  const times = { lookup: [] as number[], raw: [] as number[], ping: [] as number[] };
  const rows = { total: 0, max: 0, none: 0, covered: 0 };
  const iterate = async (measuring: boolean, index: number): Promise<void> => {
    const lookup = drawLookup(draw, data);
    const sides = [
      async () => {
        const { ms, value } = await timed(() => lookupCoverage(deps, lookup, options.today));
        if (measuring) {
          times.lookup.push(ms);
          if (value !== null) rows.covered += 1;
        }
      },
      async () => {
        const { ms, value } = await timed(() => collection.find(rawFilter(lookup)).toArray());
        if (measuring) {
          times.raw.push(ms);
          rows.total += value.length;
          rows.max = Math.max(rows.max, value.length);
          if (value.length === 0) rows.none += 1;
        }
      },
      async () => {
        const { ms } = await timed(() => target.db.command({ ping: 1 }));
        if (measuring) times.ping.push(ms);
      },
    ];
    // Rotate which side goes first, so none always runs on another's warm cache.
    for (let turn = 0; turn < index % sides.length; turn += 1) sides.push(sides.shift() as () => Promise<void>);
    for (const side of sides) await side();
  };
  for (let index = 0; index < options.warmup; index += 1) await iterate(false, index);
  const start = Date.now();
  for (let index = 0; index < options.iterations; index += 1) {
    if (index >= options.minIterations && Date.now() - start > options.budgetMs) break;
    await iterate(true, options.warmup + index);
    if ((index + 1) % 1000 === 0) log(`  ${(index + 1).toLocaleString('en-US')} calls per side`);
  }

  const lookup = summariseTail(times.lookup);
  const raw = summariseTail(times.raw);
  const ping = summariseTail(times.ping);
  const samples = times.raw.length;
  return {
    settings: { ...options, syncPolicy: 'approved_only' },
    lookup,
    raw,
    ping,
    ratio: { p50: ratio(lookup.p50, raw.p50), p95: ratio(lookup.p95, raw.p95), p99: ratio(lookup.p99, raw.p99) },
    rows: {
      mean: Math.round((rows.total / samples) * 100) / 100,
      max: rows.max,
      withoutCertificates: Math.round((rows.none / samples) * 1000) / 1000,
      covered: Math.round((rows.covered / samples) * 1000) / 1000,
    },
    explain,
    commandsPerLookup: recorded.commands,
    meetsTargets: { p99: lookup.p99 <= TARGETS.p99Ms },
  };
}
