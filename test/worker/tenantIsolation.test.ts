/**
 * Tenant isolation on every signed route of `apiOperations`: a tenant's own app call, aimed at
 * its real objects, replayed — correctly signed — by another account and by the same account in
 * the other mode. Neither may get an answer carrying the tenant's data (in JSON, CSV, a file or
 * inside the audit zip), nor change any of it. The owner then makes the same calls, to show they
 * were well-formed and reached real objects, so a 404 above was the tenant boundary's doing.
 *
 * Figures go to test/artifacts/hostile-input/tenant-isolation.json for SECURITY.md.
 */
import type { Document } from 'mongodb';
import yauzl from 'yauzl';
import type { Clock } from '../../worker/src/clock.js';
import { apiOperations, type ApiOperation } from '../../worker/src/http/openapi.js';
import { JOBS_COLLECTION } from '../../worker/src/jobs/scheduler.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signCall } from '../../worker/src/tools/signedFetch.js';
import { ApiClient } from '../support/api.js';
import { snapshotDatabase, snapshotDifferences, type DatabaseSnapshot } from '../support/databaseSnapshot.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { writeFigures } from '../support/figures.js';
import type { RawCall } from '../support/hostileRequests.js';
import { sampleCall } from '../support/sampleCalls.js';
import { startSeededService, type SeededTenant } from '../support/seedTenant.js';
import type { TestService } from '../support/service.js';

let clockMs = Date.parse('2026-05-12T12:00:00Z');
const clock: Clock = { now: () => new Date((clockMs += 10)) };
const owner: Tenant = { accountId: 'acct_1Owner000000001', livemode: false };
const strangers: ReadonlyArray<readonly [string, Tenant]> = [
  ['another account', { accountId: 'acct_1Stranger000001', livemode: false }],
  ['the other livemode', { accountId: owner.accountId, livemode: true }],
];

/**
 * Tenants that never hold data: what a stranger reads must be exactly what they read (so a
 * total, a count or a report that took in the owner's data would differ, even with no id in it).
 */
const pristine = (livemode: boolean): Tenant => ({ accountId: 'acct_1Pristine000001', livemode });

/** An answer with what may differ between two empty tenants made the same: the account id, and instants. */
function normalised(text: string, tenant: Tenant): string {
  return text.replaceAll(tenant.accountId, '<account>').replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, '<instant>');
}

/** Every signed operation: the document itself is public and holds no tenant's data. */
const routes = apiOperations.filter((operation) => operation.public !== true);
const routeName = (operation: ApiOperation): string => `${operation.method.toUpperCase()} ${operation.path}`;

/** Whose a stored document is: its own `accountId`/`livemode`, GridFS's `metadata`, or a job's `data`. */
function ownerOf(document: Document): Tenant | null {
  for (const holder of [document, document.metadata, document.data] as unknown[]) {
    if (typeof holder !== 'object' || holder === null) continue;
    const { accountId, livemode } = holder as { accountId?: unknown; livemode?: unknown };
    if (typeof accountId === 'string' && typeof livemode === 'boolean') return { accountId, livemode };
  }
  return null;
}

/** The text of every entry of a zip (the audit package), so markers inside compressed entries are found. */
async function zipText(bytes: Buffer): Promise<string> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const texts: string[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    texts.push(entry.fileName, Buffer.concat(chunks).toString('latin1'));
  }
  return texts.join('\n');
}

interface Answer {
  readonly status: number;
  /** The body as text, a zip's entries included. */
  readonly text: string;
  readonly zip: boolean;
}

async function send(baseUrl: string, call: RawCall, tenant: Tenant): Promise<Answer> {
  const identity = new ApiClient(baseUrl, tenant).identity;
  const url = new URL(call.target, baseUrl);
  const headers = signCall({ method: call.method, target: url.pathname + url.search, ...(call.body === undefined ? {} : { body: call.body }), ...(call.contentType === undefined ? {} : { contentType: call.contentType }) }, identity);
  const response = await fetch(url, { method: call.method, headers, ...(call.body === undefined || call.method === 'GET' ? {} : { body: new Uint8Array(call.body) }) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const isZip = (response.headers.get('content-type') ?? '').startsWith('application/zip');
  return { status: response.status, text: isZip && response.status === 200 ? await zipText(bytes) : bytes.toString('latin1'), zip: isZip };
}

describe('tenant isolation on every signed route', () => {
  let service: TestService;
  let seeded: SeededTenant;
  const stripe = new FakeStripe();
  const tallies: Array<{ route: string; caller: string; status: number }> = [];
  const ownAnswers: Array<{ route: string; status: number; carriesOwnData: boolean }> = [];
  let comparedWithPristine = 0;

  beforeAll(async () => {
    const started = await startSeededService({ stripe, clock }, [{ tenant: owner, tag: 'Owner' }]);
    service = started.service;
    seeded = started.seeded[0] as SeededTenant;
  }, 120_000);

  afterAll(async () => {
    await writeFigures('tenant-isolation', {
      routes: routes.length,
      callers: strangers.map(([name]) => name),
      strangerCalls: tallies.length,
      strangerStatuses: tallies.reduce<Record<string, number>>((counts, t) => ({ ...counts, [t.status]: (counts[t.status] ?? 0) + 1 }), {}),
      strangerReadsIdenticalToAnEmptyTenant: comparedWithPristine,
      ownerAnswersCarryingOwnData: ownAnswers.filter((a) => a.carriesOwnData).length,
      tallies,
      ownAnswers,
    });
    await service.dispose();
  });

  /** The owner's strings in `text` that were not in the request: what an answer would leak. */
  function leakedMarkers(text: string, call: RawCall): string[] {
    const request = `${call.target}\n${call.body?.toString('latin1') ?? ''}`;
    return seeded.markers.filter((marker) => text.includes(marker) && !request.includes(marker));
  }

  function snapshotIgnoring(caller: Tenant): Promise<DatabaseSnapshot> {
    // What the caller writes for itself (its own settings, its own filed period, its own queued
    // sweep) is its business; everything else must stay exactly as it was.
    return snapshotDatabase(service.db, {
      skipCollections: [JOBS_COLLECTION],
      ignore: (_collection, document) => {
        const tenant = ownerOf(document);
        return tenant !== null && tenant.accountId === caller.accountId && tenant.livemode === caller.livemode;
      },
    });
  }

  it('covers every signed route', () => {
    // The list comes from apiOperations; this guards against the filter silently emptying.
    expect(routes.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(strangers)('as %s', (callerName, caller) => {
    it.each(routes.map((operation) => [routeName(operation), operation] as const))('%s: no answer with the owner’s data, and nothing changed', async (name, operation) => {
      const call = sampleCall(operation, seeded);
      const before = await snapshotIgnoring(caller);
      const answer = await send(service.url ?? '', call, caller);
      tallies.push({ route: name, caller: callerName, status: answer.status });
      expect({ route: name, status: answer.status, serverError: answer.status >= 500 }).toEqual({ route: name, status: answer.status, serverError: false });
      expect({ route: name, status: answer.status, leaked: leakedMarkers(answer.text, call) }).toEqual({ route: name, status: answer.status, leaked: [] });
      expect({ route: name, changed: snapshotDifferences(before, await snapshotIgnoring(caller)) }).toEqual({ route: name, changed: [] });
      // A read answers the stranger exactly as it answers a tenant that never held anything. (The
      // zip is left to the marker check: it names its own generation time and scope.)
      if (call.method === 'GET' && answer.status < 300 && !answer.zip) {
        const empty = pristine(caller.livemode);
        const baseline = await send(service.url ?? '', call, empty);
        expect({ route: name, status: answer.status, body: normalised(answer.text, caller) }).toEqual({ route: name, status: baseline.status, body: normalised(baseline.text, empty) });
        comparedWithPristine += 1;
      }
    });
  });

  it('answers the owner’s own calls: well-formed, on real objects (so the strangers’ answers above were the boundary’s doing)', async () => {
    for (const operation of routes) {
      const call = sampleCall(operation, seeded);
      const answer = await send(service.url ?? '', call, owner);
      ownAnswers.push({ route: routeName(operation), status: answer.status, carriesOwnData: leakedMarkers(answer.text, call).length > 0 });
      // 2xx, or a refusal about the object's state (409) or the call's content (422), which needs the object found first.
      expect({ route: routeName(operation), status: answer.status, reached: [200, 201, 409, 422].includes(answer.status) }).toEqual({ route: routeName(operation), status: answer.status, reached: true });
    }
    // Most routes hand the owner its data; the leak check above would have caught them handing it to anyone else.
    expect(ownAnswers.filter((a) => a.carriesOwnData).length).toBeGreaterThanOrEqual(20);
  });
});
