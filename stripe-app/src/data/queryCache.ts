/**
 * A small query cache in the spirit of react-query, without the dependency: a view's hook
 * loads data under a key (./queryKeys) and gets loading, error and ready states; a mutation
 * invalidates keys by prefix and every mounted query under them loads again. Only React 17
 * APIs (useState, useEffect, useRef), as the app must run on what the SDK provides.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

type Reload = () => void;

export class QueryCache {
  private readonly subscribers = new Map<string, Set<Reload>>();

  subscribe(key: string, reload: Reload): () => void {
    const set = this.subscribers.get(key) ?? new Set<Reload>();
    set.add(reload);
    this.subscribers.set(key, set);
    return () => {
      set.delete(reload);
      if (set.size === 0) this.subscribers.delete(key);
    };
  }

  /** Reloads every mounted query whose key starts with one of the prefixes. */
  invalidate(...prefixes: readonly string[]): void {
    for (const [key, reloads] of [...this.subscribers]) {
      if (prefixes.some((prefix) => key.startsWith(prefix))) for (const reload of [...reloads]) reload();
    }
  }
}

export type QueryState<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly error: Error }
  | { readonly status: 'ready'; readonly data: T; readonly refreshing: boolean };

export type Query<T> = QueryState<T> & { readonly reload: () => void };

/**
 * Loads `load()` under `key` (null: load nothing, stay loading) and again whenever the key
 * changes or is invalidated. While reloading, the previous data stays on screen with
 * `refreshing: true`, so a list does not flash empty after each save.
 */
export function useQuery<T>(cache: QueryCache, key: string | null, load: () => Promise<T>): Query<T> {
  // The key the state belongs to: data loaded for another key is never shown as this key's.
  const [entry, setEntry] = useState<{ key: string | null; state: QueryState<T> }>({ key, state: { status: 'loading' } });
  const [generation, setGeneration] = useState(0);
  // The latest loader, read when a load starts; the key, not the loader's identity, says when to load.
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    if (key === null) return undefined;
    return cache.subscribe(key, reload);
  }, [cache, key, reload]);

  useEffect(() => {
    if (key === null) return undefined;
    let current = true;
    setEntry((previous) => ({
      key,
      state: previous.key === key && previous.state.status === 'ready' ? { ...previous.state, refreshing: true } : { status: 'loading' },
    }));
    loadRef.current().then(
      (data) => {
        if (current) setEntry({ key, state: { status: 'ready', data, refreshing: false } });
      },
      (error: unknown) => {
        if (current) setEntry({ key, state: { status: 'error', error: error instanceof Error ? error : new Error(String(error)) } });
      },
    );
    // An answer for a key no longer shown is dropped, so a slow old search cannot overwrite a new one.
    return () => {
      current = false;
    };
  }, [key, generation]);

  const state: QueryState<T> = entry.key === key ? entry.state : { status: 'loading' };
  return { ...state, reload };
}
