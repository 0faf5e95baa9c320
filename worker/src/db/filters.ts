import type { Filter } from 'mongodb';

/**
 * One filter from plain equalities and further conditions. The equalities stay at the top level:
 * FerretDB pushes only top-level equalities down to its storage (and there uses an index), and
 * matches anything under `$and` document by document. MongoDB treats both forms alike.
 * An empty `$and` is an error, so it is left out when there are no conditions.
 */
export function withConditions<T>(equalities: Filter<T>, conditions: readonly Filter<T>[]): Filter<T> {
  return conditions.length === 0 ? equalities : ({ ...equalities, $and: [...conditions] } as Filter<T>);
}
