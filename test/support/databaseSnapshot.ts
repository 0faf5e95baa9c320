import type { Db, Document } from 'mongodb';

/** Every collection's documents, serialised and sorted, so two snapshots compare with `===`. */
export type DatabaseSnapshot = ReadonlyMap<string, readonly string[]>;

export interface SnapshotOptions {
  /** Collections left out entirely (Agenda's `jobs`, whose bookkeeping fields change on their own). */
  readonly skipCollections?: readonly string[];
  /** Documents left out: those a caller may legitimately create or change (its own tenant's). */
  readonly ignore?: (collection: string, document: Document) => boolean;
}

export async function snapshotDatabase(db: Db, options: SnapshotOptions = {}): Promise<DatabaseSnapshot> {
  const snapshot = new Map<string, string[]>();
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  for (const name of collections) {
    if (options.skipCollections?.includes(name) === true) continue;
    const documents = await db.collection(name).find({}).toArray();
    snapshot.set(
      name,
      documents
        .filter((document) => options.ignore?.(name, document) !== true)
        .map((document) => JSON.stringify(document))
        .sort(),
    );
  }
  return snapshot;
}

/** What differs between two snapshots, one line per added, removed or changed document (empty when equal). */
export function snapshotDifferences(before: DatabaseSnapshot, after: DatabaseSnapshot): string[] {
  const differences: string[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const was = new Set(before.get(name) ?? []);
    const is = new Set(after.get(name) ?? []);
    for (const document of is) if (!was.has(document)) differences.push(`${name}: now ${document.slice(0, 400)}`);
    for (const document of was) if (!is.has(document)) differences.push(`${name}: was ${document.slice(0, 400)}`);
  }
  return differences;
}
