/**
 * Certificate search: `CertificateRepository.search()` against the raw driver doing the nearest
 * equivalent query by hand, on the same database, in the same run, with the same parameters.
 *
 * Each query shape draws its parameters from a random account of the seeded dataset (a seeded
 * generator, so runs repeat). The two sides alternate which goes first on every iteration so drift
 * (caches, GC, the server's own work) falls on both. The repository's time includes what it adds on
 * top of the driver: its `$or` over name, email and customer id for `q`, and parsing every document
 * back into a Certificate with zod.
 */
import { defaultExpiryWindowDays, type CalendarDate } from '@exemptions/shared';
import { MongoClient, type Collection, type Db, type Document, type Filter, type Sort } from 'mongodb';
import type { CertificateDocument } from '../worker/src/certificates/certificateDocument.js';
import { CERTIFICATES, CertificateRepository, type CertificateSearch, type StatusBasis } from '../worker/src/certificates/certificateRepository.js';
import { tenantFilter, type Tenant } from '../worker/src/tenancy.js';
import { describePlan, explainFind, summariseExplain, type PlanSummary } from './lib/explain.js';
import { ratio, seededRandom, summarise, timed, type Summary } from './lib/stats.js';
import { COMMON_JURISDICTIONS, Draw, type SeededAccount, type SeededData } from './searchData.js';

/** The API's default page size. */
export const PAGE_SIZE = 25;

/** Issue 9's target for this benchmark, reported next to the figures (never asserted). */
export const TARGETS = { p95Ms: 50, ratio: 3 } as const;

export interface RawQuery {
  readonly filter: Filter<CertificateDocument>;
  readonly sort?: Sort;
  readonly limit: number;
}

export interface QueryCase {
  readonly tenant: Tenant;
  readonly search: CertificateSearch;
  readonly raw: RawQuery;
}

export interface QueryShape {
  readonly id: string;
  /** What a merchant does to send this query. */
  readonly description: string;
  /** The hand-written baseline, in driver syntax. */
  readonly baseline: string;
  prepare(draw: Draw, account: SeededAccount, context: ShapeContext): Promise<QueryCase>;
}

export interface ShapeContext {
  readonly repository: CertificateRepository;
  readonly basis: StatusBasis;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const BY_EXPIRATION: Sort = { sortExpiry: 1, _id: 1 };

function prefixShape(id: string, field: 'name' | 'email', length: number): QueryShape {
  return {
    id,
    description: `q = the first ${length} characters of a customer's ${field} (as typed, mixed case), sorted by expiration, page 1`,
    baseline: `find({accountId, livemode, 'search.${field}': /^prefix/}).sort({sortExpiry: 1, _id: 1}).limit(${PAGE_SIZE + 1})`,
    async prepare(draw, account) {
      const values = account.customers.flatMap((customer) => (customer[field] === null ? [] : [customer[field] as string]));
      // An account whose customers all lack this field (rare, in tiny datasets) still gets a query.
      const q = values.length === 0 ? 'a' : draw.pick(values).slice(0, length);
      return {
        tenant: account.tenant,
        search: { q, sort: 'expiration', limit: PAGE_SIZE },
        raw: {
          filter: { ...tenantFilter(account.tenant), [`search.${field}`]: new RegExp(`^${escapeRegex(q.toLowerCase())}`) },
          sort: BY_EXPIRATION,
          limit: PAGE_SIZE + 1,
        },
      };
    },
  };
}

/** The representative searches of the certificate list, as the UI sends them. */
export const QUERY_SHAPES: readonly QueryShape[] = [
  prefixShape('name_prefix', 'name', 3),
  prefixShape('email_prefix', 'email', 4),
  {
    id: 'status_expiring_soon',
    description: 'status = expiring_soon (in force, expiring within the 30-day window, not archived), sorted by expiration',
    baseline: `find({accountId, livemode, 'status.value': 'expiring_soon'}).sort({sortExpiry: 1, _id: 1}).limit(${PAGE_SIZE + 1})`,
    async prepare(_draw, account) {
      return {
        tenant: account.tenant,
        search: { status: 'expiring_soon', sort: 'expiration', limit: PAGE_SIZE },
        // The stored status is current (seeded for today), so this is the repository's final query without its refresh.
        raw: { filter: { ...tenantFilter(account.tenant), 'status.value': 'expiring_soon' }, sort: BY_EXPIRATION, limit: PAGE_SIZE + 1 },
      };
    },
  },
  {
    id: 'jurisdiction',
    description: 'jurisdiction = one of the eight most common states, sorted by expiration',
    baseline: `find({accountId, livemode, 'jurisdictions.code': code}).sort({sortExpiry: 1, _id: 1}).limit(${PAGE_SIZE + 1})`,
    async prepare(draw, account) {
      const code = draw.pick(COMMON_JURISDICTIONS);
      return {
        tenant: account.tenant,
        search: { jurisdiction: code, sort: 'expiration', limit: PAGE_SIZE },
        raw: { filter: { ...tenantFilter(account.tenant), 'jurisdictions.code': code }, sort: BY_EXPIRATION, limit: PAGE_SIZE + 1 },
      };
    },
  },
  {
    id: 'expiration_page2',
    description: 'no filter, sorted by expiration, page 2 (the cursor the first page returned)',
    baseline: `find({accountId, livemode, $or: [{sortExpiry: {$gt: key}}, {sortExpiry: key, _id: {$gt: id}}]}).sort({sortExpiry: 1, _id: 1}).limit(${PAGE_SIZE + 1})`,
    async prepare(_draw, account, { repository, basis }) {
      const first = await repository.search(account.tenant, { sort: 'expiration', limit: PAGE_SIZE }, basis);
      if (first.next === null) throw new Error(`${account.tenant.accountId} has a single page: seed more than ${PAGE_SIZE} certificates per account`);
      const { key, id } = first.next;
      return {
        tenant: account.tenant,
        search: { sort: 'expiration', limit: PAGE_SIZE, cursor: first.next },
        raw: {
          filter: { ...tenantFilter(account.tenant), $or: [{ sortExpiry: { $gt: key } }, { sortExpiry: key, _id: { $gt: id } }] },
          sort: BY_EXPIRATION,
          limit: PAGE_SIZE + 1,
        },
      };
    },
  },
];

/**
 * Point lookups by certificate id, raw driver only: not a search, but they show what the database
 * does with a query it can answer from an index, next to the search shapes.
 */
export const REFERENCE_SHAPES: readonly { id: string; description: string; filter(account: SeededAccount, id: string): Filter<CertificateDocument> }[] = [
  { id: 'id_only', description: 'find({_id})', filter: (_account, id) => ({ _id: id }) },
  { id: 'id_with_tenant', description: 'find({_id, accountId, livemode}) (how the repository reads one certificate)', filter: (account, id) => ({ _id: id, ...tenantFilter(account.tenant) }) },
];

export interface SearchBenchOptions {
  /** Timed calls per query and side, at most. */
  readonly iterations: number;
  /** Timed calls per query and side, at least, whatever the budget. */
  readonly minIterations: number;
  /** Once `minIterations` are done, stop a query after this many milliseconds of timed calls. */
  readonly budgetMs: number;
  /** Untimed calls per query and side first. */
  readonly warmup: number;
  /** Seeds the choice of accounts and parameters. */
  readonly seed: number;
  readonly today: CalendarDate;
  readonly windowDays?: number;
}

export interface ShapeResult {
  readonly id: string;
  readonly description: string;
  readonly baseline: string;
  readonly repository: Summary;
  readonly raw: Summary;
  /** repository / raw, of the p50s and of the p95s. */
  readonly ratio: { readonly p50: number; readonly p95: number };
  /** Mean documents returned per call: the repository's page (at most 25) and the raw query's (at most 26). */
  readonly rows: { readonly repository: number; readonly raw: number };
  readonly explain: {
    /** The repository's page query. */
    readonly repository: PlanSummary;
    /** Queries the repository sends before it (the status refresh for a status filter). */
    readonly repositoryBefore: PlanSummary[];
    readonly raw: PlanSummary;
  };
  readonly meetsTargets: { readonly p95: boolean; readonly ratio: boolean };
}

export interface ReferenceResult {
  readonly id: string;
  readonly description: string;
  readonly raw: Summary;
  readonly explain: PlanSummary;
}

export interface SearchMeasurements {
  readonly settings: {
    iterations: number;
    minIterations: number;
    budgetMs: number;
    warmup: number;
    seed: number;
    today: CalendarDate;
    windowDays: number;
    pageSize: number;
  };
  readonly queries: ShapeResult[];
  readonly reference: ReferenceResult[];
}

async function runRaw(collection: Collection<CertificateDocument>, raw: RawQuery): Promise<number> {
  let cursor = collection.find(raw.filter);
  if (raw.sort !== undefined) cursor = cursor.sort(raw.sort);
  const documents = await cursor.limit(raw.limit).toArray();
  return documents.length;
}

async function explainRaw(collection: Collection<CertificateDocument>, raw: RawQuery): Promise<PlanSummary> {
  let cursor = collection.find(raw.filter);
  if (raw.sort !== undefined) cursor = cursor.sort(raw.sort);
  return summariseExplain(await cursor.limit(raw.limit).explain('queryPlanner'));
}

/**
 * Calls `body` for the warm-up, then for timed iterations until `iterations` are done or, once
 * `minIterations` are, the budget is spent: a slow database gets fewer samples rather than hours of run.
 */
async function repeat(options: SearchBenchOptions, body: (measuring: boolean, index: number) => Promise<void>): Promise<void> {
  for (let index = 0; index < options.warmup; index += 1) await body(false, index);
  const start = Date.now();
  for (let index = 0; index < options.iterations; index += 1) {
    if (index >= options.minIterations && Date.now() - start > options.budgetMs) break;
    await body(true, options.warmup + index);
  }
}

/**
 * Runs the repository's search once on a client that records commands, and explains each `find` it
 * sent to the certificates: the page query last, any preparatory query (the status refresh) before it.
 */
async function explainRepository(monitored: MongoClient, databaseName: string, queryCase: QueryCase, basis: StatusBasis): Promise<PlanSummary[]> {
  const finds: Document[] = [];
  const listener = (event: { commandName: string; command: Document }): void => {
    if (event.commandName === 'find' && event.command.find === CERTIFICATES) finds.push(event.command);
  };
  monitored.on('commandStarted', listener);
  try {
    await new CertificateRepository(monitored.db(databaseName)).search(queryCase.tenant, queryCase.search, basis);
  } finally {
    monitored.off('commandStarted', listener);
  }
  if (finds.length === 0) throw new Error('the repository sent no find command to explain');
  const plans: PlanSummary[] = [];
  for (const find of finds) plans.push(await explainFind(monitored.db(databaseName), find));
  return plans;
}

/**
 * Measures every shape: explain first (the evidence), then warm-up calls, then timed calls of each
 * side with the same parameters, a new random account each time.
 */
export async function measureSearch(
  target: { readonly uri: string; readonly db: Db },
  data: SeededData,
  options: SearchBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<SearchMeasurements> {
  const windowDays = options.windowDays ?? defaultExpiryWindowDays;
  const basis: StatusBasis = { today: options.today, windowDays };
  const repository = new CertificateRepository(target.db);
  const collection = target.db.collection<CertificateDocument>(CERTIFICATES);
  const context: ShapeContext = { repository, basis };
  const draw = new Draw(seededRandom(options.seed));
  const monitored = await MongoClient.connect(target.uri, { monitorCommands: true, appName: 'exemptions-bench-explain' });
  const queries: ShapeResult[] = [];
  const reference: ReferenceResult[] = [];
  try {
    for (const shape of QUERY_SHAPES) {
      const sample = await shape.prepare(draw, draw.pick(data.accounts), context);
      const repositoryPlans = await explainRepository(monitored, target.db.databaseName, sample, basis);
      const explain = {
        repository: repositoryPlans[repositoryPlans.length - 1] as PlanSummary,
        repositoryBefore: repositoryPlans.slice(0, -1),
        raw: await explainRaw(collection, sample.raw),
      };
      log(`${shape.id}: ${shape.description}`);
      log(`  raw plan:        ${describePlan(explain.raw)}`);
      for (const before of explain.repositoryBefore) log(`  repository, first: ${describePlan(before)}`);
      log(`  repository plan: ${describePlan(explain.repository)}`);

      const times = { repository: [] as number[], raw: [] as number[] };
      const rows = { repository: 0, raw: 0 };
      await repeat(options, async (measuring, index) => {
        // Parameters (and page 2's cursor) are prepared outside the timed calls.
        const queryCase = await shape.prepare(draw, draw.pick(data.accounts), context);
        const sides = [
          async () => {
            const { ms, value } = await timed(() => repository.search(queryCase.tenant, queryCase.search, basis));
            if (measuring) {
              times.repository.push(ms);
              rows.repository += value.items.length;
            }
          },
          async () => {
            const { ms, value } = await timed(() => runRaw(collection, queryCase.raw));
            if (measuring) {
              times.raw.push(ms);
              rows.raw += value;
            }
          },
        ];
        // Alternate which side goes first, so neither always runs on the other's warm cache.
        if (index % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      });
      const repositorySummary = summarise(times.repository);
      const rawSummary = summarise(times.raw);
      const samples = times.raw.length;
      const result: ShapeResult = {
        id: shape.id,
        description: shape.description,
        baseline: shape.baseline,
        repository: repositorySummary,
        raw: rawSummary,
        ratio: { p50: ratio(repositorySummary.p50, rawSummary.p50), p95: ratio(repositorySummary.p95, rawSummary.p95) },
        rows: { repository: Math.round((rows.repository / samples) * 10) / 10, raw: Math.round((rows.raw / samples) * 10) / 10 },
        explain,
        meetsTargets: { p95: repositorySummary.p95 <= TARGETS.p95Ms, ratio: repositorySummary.p95 <= TARGETS.ratio * rawSummary.p95 },
      };
      queries.push(result);
      log(
        `  ${samples} calls each: repository p50 ${result.repository.p50} ms, p95 ${result.repository.p95} ms; ` +
          `raw p50 ${result.raw.p50} ms, p95 ${result.raw.p95} ms; ratio ${result.ratio.p50}× / ${result.ratio.p95}×`,
      );
    }

    for (const shape of REFERENCE_SHAPES) {
      const pickFilter = (): Filter<CertificateDocument> => {
        const account = draw.pick(data.accounts);
        return shape.filter(account, draw.pick(account.certificateIds));
      };
      const explain = await explainRaw(collection, { filter: pickFilter(), limit: 1 });
      log(`${shape.id}: ${shape.description}`);
      log(`  raw plan: ${describePlan(explain)}`);
      const times: number[] = [];
      await repeat(options, async (measuring) => {
        const filter = pickFilter();
        const { ms } = await timed(() => runRaw(collection, { filter, limit: 1 }));
        if (measuring) times.push(ms);
      });
      const result: ReferenceResult = { id: shape.id, description: shape.description, raw: summarise(times), explain };
      reference.push(result);
      log(`  ${times.length} calls: raw p50 ${result.raw.p50} ms, p95 ${result.raw.p95} ms`);
    }
  } finally {
    await monitored.close();
  }
  return {
    settings: {
      iterations: options.iterations,
      minIterations: options.minIterations,
      budgetMs: options.budgetMs,
      warmup: options.warmup,
      seed: options.seed,
      today: options.today,
      windowDays,
      pageSize: PAGE_SIZE,
    },
    queries,
    reference,
  };
}
