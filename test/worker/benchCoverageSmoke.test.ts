/**
 * The coverage benchmark's own code on a tiny dataset. No timings are asserted (benchmarks are
 * scripts, `npm run bench:coverage`); this proves the script works, that its raw baseline reads
 * exactly the certificates the worker's lookup decides from, and that the lookup (which reads only
 * the fields the decision needs) decides as the domain does over the whole certificates.
 */
import { findCoveringCertificate } from '@exemptions/shared';
import { drawLookup, lookupCoverage, lookupDependencies, measureCoverage, rawFilter } from '../../bench/coverageBench.js';
import { buildReport, formatReport } from '../../bench/coverageReport.js';
import { seededRandom } from '../../bench/lib/stats.js';
import { Draw, seedCertificates, type SeededData } from '../../bench/searchData.js';
import { fromDocument, type CertificateDocument } from '../../worker/src/certificates/certificateDocument.js';
import { CERTIFICATES } from '../../worker/src/certificates/certificateRepository.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

const today = '2026-03-15';
let database: TestDatabase;
let data: SeededData;

beforeAll(async () => {
  database = await openTestDatabase();
  data = await seedCertificates(database.db, { certificates: 200, accounts: 4, seed: 7, today });
});
afterAll(() => database.close());

describe('coverage benchmark (smoke)', () => {
  it('reads in the raw baseline the certificates the lookup decides from, and the lookup decides as over whole certificates', async () => {
    const deps = lookupDependencies(database.db);
    const certificates = database.db.collection<CertificateDocument>(CERTIFICATES);
    const draw = new Draw(seededRandom(3));
    const outcomes = { covered: 0, notCovered: 0 };
    for (let index = 0; index < 60; index += 1) {
      const lookup = drawLookup(draw, data);
      const raw = await certificates.find(rawFilter(lookup)).toArray();
      const inputs = await deps.certificates.coverageInputsOf(lookup.tenant, lookup.customerId);
      expect(inputs.map((input) => input.id).sort()).toEqual(raw.map((document) => document._id).sort());
      const expected = findCoveringCertificate(
        raw.map((document) => fromDocument(document).certificate),
        { jurisdiction: lookup.jurisdiction, date: today },
      );
      const covering = await lookupCoverage(deps, lookup, today);
      expect(covering?.certificate.id ?? null).toBe(expected?.certificate.id ?? null);
      expect(covering?.jurisdiction ?? null).toEqual(expected?.jurisdiction ?? null);
      if (covering === null) outcomes.notCovered += 1;
      else outcomes.covered += 1;
    }
    expect(outcomes.covered).toBeGreaterThan(0);
    expect(outcomes.notCovered).toBeGreaterThan(0);
  });

  it('measures both sides and reports them', async () => {
    const measurements = await measureCoverage(database, data, { iterations: 5, minIterations: 5, budgetMs: 0, warmup: 1, seed: 11, today });
    expect(measurements.lookup.samples).toBe(5);
    expect(measurements.raw.samples).toBe(5);
    expect(measurements.ping.samples).toBe(5);
    expect(measurements.commandsPerLookup).toEqual({ find: 1 });
    expect(measurements.explain.lookup).toHaveLength(1);
    const report = buildReport({
      ranAt: new Date().toISOString(),
      machine: { cpu: 'test', cores: 1, memoryGiB: 1, os: 'test', node: process.version, mongodbDriver: 'test' },
      load: { before: [0, 0, 0], after: [0, 0, 0] },
      server: { product: 'mongodb', provisioned: 'external', version: 'test', ferretdbVersion: null, handler: null },
      dataset: data.summary,
      ...measurements,
    });
    expect(formatReport(report)).toContain('| Lookup (`coveringCertificateFor`) | 5 |');
  });
});
