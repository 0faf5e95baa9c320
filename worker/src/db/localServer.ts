/** Where the worker's data lives: a server we were given, or one we started and must stop. */
export interface LocalServer {
  readonly kind: 'external' | 'mongod' | 'ferretdb-postgresql' | 'ferretdb-sqlite';
  /** A connection string without a database name. */
  readonly uri: string;
  /** The process we started, for operators and for the no-orphans test; -1 when external. */
  readonly pid: number;
  stop(): Promise<void>;
}
