/**
 * The search benchmark's own code on a tiny dataset: seeding, its query shapes and the report.
 * No timings are asserted (benchmarks are scripts, `npm run bench:search`); this only proves the
 * script works and that its raw baselines ask the same question as the repository.
 */
import type { Collection } from 'mongodb';
import { measureSearch, QUERY_SHAPES, type SearchMeasurements } from '../../bench/searchBench.js';
import { Draw, seedCertificates, type SeededData } from '../../bench/searchData.js';
import { buildReport, formatReport } from '../../bench/searchReport.js';
import { seededRandom } from '../../bench/lib/stats.js';
import type { CertificateDocument } from '../../worker/src/certificates/certificateDocument.js';
import { CERTIFICATES, CertificateRepository } from '../../worker/src/certificates/certificateRepository.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

const today = '2026-03-15';
const basis = { today, windowDays: 30 };
let database: TestDatabase;
let data: SeededData;

beforeAll(async () => {
  database = await openTestDatabase();
  // 50 per account, so every account has a second page.
  data = await seedCertificates(database.db, { certificates: 200, accounts: 4, seed: 7, today });
});
afterAll(() => database.close());

describe('search benchmark (smoke)', () => {
  it('seeds the requested certificates evenly over test-mode accounts, some archived', async () => {
    const certificates = database.db.collection<CertificateDocument>(CERTIFICATES);
    expect(await certificates.countDocuments()).toBe(200);
    expect(data.accounts).toHaveLength(4);
    for (const account of data.accounts) {
      expect(account.tenant.livemode).toBe(false);
      expect(await certificates.countDocuments({ accountId: account.tenant.accountId, livemode: false })).toBe(50);
    }
    expect(data.summary).toMatchObject({ certificates: 200, accounts: 4, livemode: false });
    expect(data.summary.archived).toBeGreaterThan(0);
    expect(data.summary.withoutExpiration).toBeGreaterThan(0);
  });

  it('asks the same question in the raw baseline as in the repository for status, jurisdiction and page 2', async () => {
    const repository = new CertificateRepository(database.db);
    const certificates: Collection<CertificateDocument> = database.db.collection<CertificateDocument>(CERTIFICATES);
    const draw = new Draw(seededRandom(3));
    for (const shape of QUERY_SHAPES.filter((s) => ['status_expiring_soon', 'jurisdiction', 'expiration_page2'].includes(s.id))) {
      let found = 0;
      for (const account of data.accounts) {
        const queryCase = await shape.prepare(draw, account, { repository, basis });
        const page = await repository.search(queryCase.tenant, queryCase.search, basis);
        const raw = await certificates.find(queryCase.raw.filter).sort(queryCase.raw.sort ?? {}).limit(queryCase.raw.limit).toArray();
        expect(raw.slice(0, queryCase.search.limit).map((d) => d._id)).toEqual(page.items.map((item) => item.certificate.id));
        found += page.items.length;
      }
      expect(found).toBeGreaterThan(0);
    }
  });

  it('measures every query shape on both sides and reports them', async () => {
    const measurements: SearchMeasurements = await measureSearch(database, data, {
      iterations: 2,
      minIterations: 2,
      budgetMs: 0,
      warmup: 1,
      seed: 11,
      today,
    });
    expect(measurements.queries.map((q) => q.id)).toEqual(QUERY_SHAPES.map((s) => s.id));
    for (const query of measurements.queries) {
      expect(query.repository.samples).toBe(2);
      expect(query.raw.samples).toBe(2);
      expect(typeof query.explain.raw.indexUsed).toBe('boolean');
      expect(query.explain.repository.plan).not.toBe('');
    }
    // Prefixes come from the account's own customers, so they always find someone.
    for (const id of ['name_prefix', 'email_prefix', 'expiration_page2']) {
      expect(measurements.queries.find((q) => q.id === id)?.rows.repository).toBeGreaterThan(0);
    }
    const report = buildReport({
      ranAt: new Date().toISOString(),
      machine: { cpu: 'test', cores: 1, memoryGiB: 1, os: 'test', node: process.version, mongodbDriver: 'test' },
      load: { before: [0, 0, 0], after: [0, 0, 0] },
      server: { product: 'mongodb', provisioned: 'external', version: 'test', ferretdbVersion: null, handler: null },
      dataset: data.summary,
      ...measurements,
    });
    const markdown = formatReport(report);
    for (const query of measurements.queries) expect(markdown).toContain(`| ${query.id} |`);
  });
});
