import { isDuplicateKeyError } from '../../worker/src/db/connect.js';
import { ensureIndexes } from '../../worker/src/db/indexes.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

interface Doc {
  _id: string;
  accountId: string;
  livemode: boolean;
  number: string;
  jurisdictions: Array<{ code: string; expirationDate: string | null }>;
}

describe('the embedded database', () => {
  it('round-trips a document through create, read, update and delete', async () => {
    const docs = database.db.collection<Doc>('roundtrip');
    const doc: Doc = { _id: 'cert_1', accountId: 'acct_1', livemode: false, number: 'TX-1', jurisdictions: [{ code: 'US-TX', expirationDate: null }] };
    await docs.insertOne(doc);
    expect(await docs.findOne({ _id: 'cert_1', accountId: 'acct_1', livemode: false })).toEqual(doc);

    await docs.updateOne({ _id: 'cert_1' }, { $set: { number: 'TX-2' }, $push: { jurisdictions: { code: 'US-CA', expirationDate: '2027-01-31' } } });
    const updated = await docs.findOne({ _id: 'cert_1' });
    expect(updated?.number).toBe('TX-2');
    expect(updated?.jurisdictions.map((j) => j.code)).toEqual(['US-TX', 'US-CA']);
    // Filters on array members are what coverage queries rely on.
    expect(await docs.countDocuments({ 'jurisdictions.code': 'US-CA' })).toBe(1);

    await docs.deleteOne({ _id: 'cert_1' });
    expect(await docs.findOne({ _id: 'cert_1' })).toBeNull();
  });

  it('reports a second insert under a unique key as a duplicate, and keeps the first', async () => {
    const events = database.db.collection<{ _id: string; key: string; payload: number }>('events');
    await events.createIndex({ key: 1 }, { unique: true });
    await events.insertOne({ _id: 'a', key: 'evt_1', payload: 1 });
    const second = await events.insertOne({ _id: 'b', key: 'evt_1', payload: 2 }).catch((error: unknown) => error);
    expect(isDuplicateKeyError(second)).toBe(true);
    expect(await events.find({ key: 'evt_1' }).toArray()).toEqual([{ _id: 'a', key: 'evt_1', payload: 1 }]);
    expect(isDuplicateKeyError(new Error('something else'))).toBe(false);
  });

  it('creates the indexes a collection lacks and drops the obsolete ones it has, and running it again changes nothing', async () => {
    const events = database.db.collection('indexed');
    await events.createIndex({ accountId: 1, type: 1 }, { name: 'by_type' });
    const wanted = [{ key: { processedAt: 1, receivedAt: 1 }, name: 'unprocessed' }];
    await ensureIndexes(events, wanted, ['by_type', 'never_there']);
    await ensureIndexes(events, wanted, ['by_type', 'never_there']);
    expect((await events.listIndexes().toArray()).map((index) => String(index.name)).sort()).toEqual(['_id_', 'unprocessed']);
  });
});
