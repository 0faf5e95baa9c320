import type { Collection, Document, IndexDescription } from 'mongodb';

type NamedIndex = IndexDescription & { name: string };

/**
 * Creates the indexes a collection lacks, one at a time, and drops the `obsolete` ones it has
 * (an index no query uses still costs every write). Re-sending a batch of indexes that all
 * exist makes FerretDB v1.24.2 panic and drop the connection (docs/ferretdb.md), and every
 * worker process runs this at start-up, so existing indexes are skipped rather than re-sent.
 */
export async function ensureIndexes<T extends Document>(collection: Collection<T>, indexes: readonly NamedIndex[], obsolete: readonly string[] = []): Promise<void> {
  const existing = new Set(
    (
      await collection
        .listIndexes()
        .toArray()
        .catch((error: unknown) => {
          // NamespaceNotFound: the collection does not exist yet, so it has no indexes.
          if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 26) return [];
          throw error;
        })
    ).map((index) => String(index.name)),
  );
  for (const { key, ...options } of indexes) {
    if (!existing.has(options.name)) await collection.createIndex(key, options);
  }
  for (const name of obsolete) {
    if (existing.has(name)) await collection.dropIndex(name);
  }
}
