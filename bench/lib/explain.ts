import type { Document } from 'mongodb';

/**
 * What `explain` says about one query, reduced to what a reader of the results needs:
 * did the server use an index, which one, and the plan in one line.
 *
 * MongoDB answers with a plan tree (`queryPlanner.winningPlan`, or `.queryPlan` under the slot-based
 * engine) whose stages name the index (IXSCAN). FerretDB v1 on SQLite answers with SQLite's
 * `EXPLAIN QUERY PLAN` rows (`queryPlanner.Plan`, "SCAN <table>" or "SEARCH <table> USING INDEX …")
 * and three flags saying which parts of the query it handed to SQLite (filter, sort, limit);
 * everything else it evaluates itself over every document SQLite returns. On PostgreSQL it answers
 * with PostgreSQL's JSON plan tree (`queryPlanner.Plan` an object: `Node Type`, `Index Name`, `Plans`).
 */
export interface PlanSummary {
  readonly indexUsed: boolean;
  readonly indexes: string[];
  readonly plan: string;
  /** FerretDB only: which parts of the query its storage (SQLite or PostgreSQL) evaluated. */
  readonly pushdown: { filter: boolean; sort: boolean; limit: boolean } | null;
}

const INDEX_STAGES = new Set(['IXSCAN', 'EXPRESS_IXSCAN', 'IDHACK', 'EXPRESS_IDHACK', 'COUNT_SCAN', 'DISTINCT_SCAN']);

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The stages of a MongoDB plan tree, root first, each with its index when it has one. */
function stagesOf(node: unknown, into: Array<{ stage: string; index: string | null }> = []): Array<{ stage: string; index: string | null }> {
  if (Array.isArray(node)) {
    for (const child of node) stagesOf(child, into);
    return into;
  }
  if (!isDocument(node)) return into;
  if (typeof node.stage === 'string') into.push({ stage: node.stage, index: typeof node.indexName === 'string' ? node.indexName : null });
  for (const key of ['queryPlan', 'inputStage', 'inputStages', 'innerStage', 'outerStage', 'thenStage', 'elseStage']) {
    if (key in node) stagesOf(node[key], into);
  }
  return into;
}

function summariseMongoDb(explain: Document): PlanSummary {
  const planner = isDocument(explain.queryPlanner) ? explain.queryPlanner : {};
  const stages = stagesOf(planner.winningPlan);
  const indexes = [...new Set(stages.flatMap((s) => (s.index === null ? [] : [s.index])))];
  return {
    indexUsed: stages.some((s) => INDEX_STAGES.has(s.stage)) && !stages.some((s) => s.stage === 'COLLSCAN'),
    indexes,
    plan: stages.map((s) => (s.index === null ? s.stage : `${s.stage}(${s.index})`)).join(' <- '),
    pushdown: null,
  };
}

const SQLITE_INDEX = /USING (?:COVERING )?INDEX (\S+)|USING (?:INTEGER )?PRIMARY KEY/;

/** PostgreSQL's plan nodes, root first, each with its index when it has one. */
function postgresNodes(node: unknown, into: Array<{ type: string; index: string | null }> = []): Array<{ type: string; index: string | null }> {
  if (!isDocument(node)) return into;
  into.push({ type: String(node['Node Type']), index: typeof node['Index Name'] === 'string' ? node['Index Name'] : null });
  if (Array.isArray(node.Plans)) for (const child of node.Plans) postgresNodes(child, into);
  return into;
}

function pushdownOf(explain: Document): PlanSummary['pushdown'] {
  return { filter: explain.filterPushdown === true, sort: explain.sortPushdown === true, limit: explain.limitPushdown === true };
}

function summariseFerretDb(explain: Document): PlanSummary {
  const planner = isDocument(explain.queryPlanner) ? explain.queryPlanner : {};
  if (isDocument(planner.Plan)) {
    const nodes = postgresNodes(planner.Plan);
    const indexes = [...new Set(nodes.flatMap((n) => (n.index === null ? [] : [n.index])))];
    return {
      indexUsed: indexes.length > 0,
      indexes,
      plan: nodes.map((n) => (n.index === null ? n.type : `${n.type}(${n.index})`)).join(' <- '),
      pushdown: pushdownOf(explain),
    };
  }
  const rows = Array.isArray(planner.Plan) ? planner.Plan.map(String) : [];
  // Each row reads "id=2 parent=0 notused=0 detail=SCAN <table>"; the detail is what SQLite does.
  const details = rows.map((row) => row.replace(/^.*?detail=/, ''));
  const indexes = details.flatMap((detail) => {
    const match = SQLITE_INDEX.exec(detail);
    return match === null ? [] : [match[1] ?? 'PRIMARY KEY'];
  });
  return {
    indexUsed: indexes.length > 0,
    indexes,
    plan: details.join('; ') || '(no plan rows)',
    pushdown: pushdownOf(explain),
  };
}

export function summariseExplain(explain: Document): PlanSummary {
  const planner = isDocument(explain.queryPlanner) ? explain.queryPlanner : {};
  return 'Plan' in planner || 'filterPushdown' in explain ? summariseFerretDb(explain) : summariseMongoDb(explain);
}

/** Explains a `find` command as the driver would send it (filter, sort, limit, projection). */
export async function explainFind(db: { command(command: Document): Promise<Document> }, find: Document): Promise<PlanSummary> {
  const command: Document = { find: find.find };
  for (const key of ['filter', 'sort', 'limit', 'skip', 'projection', 'hint']) {
    if (find[key] !== undefined) command[key] = find[key];
  }
  return summariseExplain(await db.command({ explain: command, verbosity: 'queryPlanner' }));
}

export function describePlan(summary: PlanSummary): string {
  const verdict = summary.indexUsed ? `index ${summary.indexes.join(', ')}` : 'NO INDEX';
  const pushdown =
    summary.pushdown === null
      ? ''
      : ` [pushdown: filter=${summary.pushdown.filter} sort=${summary.pushdown.sort} limit=${summary.pushdown.limit}]`;
  return `${verdict}: ${summary.plan}${pushdown}`;
}
