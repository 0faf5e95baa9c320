import {
  applyCertificatePatch,
  archiveCertificate,
  certificateCsvLimits,
  importDecision,
  importedCertificate,
  readCertificateCsv,
  VersionConflictError,
  type Actor,
  type CertificateImportRow,
  type CsvProblem,
  type ImportDecision,
} from '@exemptions/shared';
import { statusBasisFor } from '../accounts/accountSettings.js';
import type { ServiceContext } from '../context.js';
import { readCsv } from '../csv/csvText.js';
import { HttpError } from '../http/errors.js';
import { SYNC_CUSTOMER_COVERAGE } from '../jobs/syncCustomerCoverage.js';
import type { Tenant } from '../tenancy.js';
import type { CustomerSummary, StatusBasis, StoredCertificate } from './certificateRepository.js';
import { newCertificateId } from './routes.js';

/*
 * The certificate CSV import. Planning reads the file and the store and decides every row
 * (create, update, unchanged, or a problem) without writing anything: that is the dry run.
 * Applying goes only ahead when no row has a problem, and writes row by row through the
 * same versioned changes as the app (history `imported` for what the file brought, then
 * `archived` when it archives). Every step is keyed (the external id claim, the history
 * version), so an import cut short is finished by running the same file again.
 */

export type ImportAction = 'create' | 'update' | 'unchanged';

export interface ImportReportRow {
  readonly line: number;
  readonly externalId: string;
  readonly action: ImportAction;
  /** The certificate the row names; null for a row a dry run would create. */
  readonly certificateId: string | null;
}

export interface ImportReport {
  readonly dryRun: boolean;
  readonly rows: readonly ImportReportRow[];
  readonly errors: readonly CsvProblem[];
  readonly counts: { readonly create: number; readonly update: number; readonly unchanged: number; readonly rejectedLines: number };
}

interface PlannedRow {
  readonly row: CertificateImportRow;
  readonly decision: Exclude<ImportDecision, { action: 'refuse' }>;
  /** What the external id resolves to today (a claim without its certificate yet, for an interrupted create). */
  readonly certificateId: string | null;
  readonly existing: StoredCertificate | null;
  /** From Stripe, for a row that creates a certificate. */
  readonly customer: CustomerSummary | null;
}

export interface ImportPlan {
  readonly rows: PlannedRow[];
  readonly problems: CsvProblem[];
}

function byLine(a: CsvProblem, b: CsvProblem): number {
  return a.line - b.line;
}

/**
 * How rows find their certificates: an external id names the certificate it was claimed for
 * by an import, else the certificate whose own id it is (what the export writes for a
 * certificate made in the app, so an export re-imports onto itself), else nothing. A claim
 * may not have its certificate yet (an import cut short): the row creates it under that id.
 * Read in two queries for the whole file, whatever its length.
 */
async function certificateFinder(context: ServiceContext, tenant: Tenant): Promise<(externalId: string) => { certificateId: string | null; existing: StoredCertificate | null }> {
  const [claims, stored] = await Promise.all([context.externalIds.claims(tenant), context.certificates.all(tenant)]);
  const claimed = new Map(claims.map((claim) => [claim.externalId, claim.certificateId]));
  const byId = new Map(stored.map((item) => [item.certificate.id, item]));
  return (externalId) => {
    const certificateId = claimed.get(externalId) ?? (byId.has(externalId) ? externalId : null);
    return { certificateId, existing: certificateId === null ? null : (byId.get(certificateId) ?? null) };
  };
}

/** Reads and decides every row; writes nothing. */
export async function planImport(context: ServiceContext, tenant: Tenant, text: string): Promise<ImportPlan> {
  const parsed = readCsv(text);
  if (parsed.problem !== null) return { rows: [], problems: [parsed.problem] };
  if (parsed.records.length - 1 > certificateCsvLimits.rows) {
    throw new HttpError(413, `An import takes at most ${certificateCsvLimits.rows} certificates; split the file (this one has ${parsed.records.length - 1} rows)`);
  }
  const { rows, problems } = readCertificateCsv(parsed.records);
  const find = await certificateFinder(context, tenant);
  const customers = new Map<string, CustomerSummary | null>();
  const planned: PlannedRow[] = [];
  for (const row of rows) {
    const { certificateId, existing } = find(row.externalId);
    const decision = importDecision(row, existing?.certificate ?? null);
    if (decision.action === 'refuse') {
      problems.push({ line: row.line, field: decision.field, message: decision.message });
      continue;
    }
    let customer: CustomerSummary | null = null;
    if (decision.action === 'create') {
      const { customerId } = row.input;
      if (!customers.has(customerId)) {
        const found = await context.stripe.retrieveCustomer(tenant, customerId);
        customers.set(customerId, found === null || found.deleted ? null : { name: found.name, email: found.email });
      }
      customer = customers.get(customerId) ?? null;
      if (customer === null) {
        problems.push({ line: row.line, field: 'customerId', message: `no customer ${customerId} in this Stripe account` });
        continue;
      }
    }
    planned.push({ row, decision, certificateId, existing, customer });
  }
  return { rows: planned, problems: problems.sort(byLine) };
}

export function importReport(plan: ImportPlan, dryRun: boolean, applied: readonly ImportReportRow[] | null = null): ImportReport {
  const rows =
    applied ??
    plan.rows.map(({ row, decision, certificateId }) => ({
      line: row.line,
      externalId: row.externalId,
      action: decision.action,
      certificateId: decision.action === 'create' ? null : certificateId,
    }));
  const count = (action: ImportAction) => rows.filter((row) => row.action === action).length;
  return {
    dryRun,
    rows,
    errors: plan.problems,
    counts: { create: count('create'), update: count('update'), unchanged: count('unchanged'), rejectedLines: new Set(plan.problems.map((p) => p.line)).size },
  };
}

interface Writer {
  readonly context: ServiceContext;
  readonly tenant: Tenant;
  readonly actor: Actor;
  readonly basis: StatusBasis;
}

function changedMeanwhile(line: number, certificateId: string): HttpError {
  return new HttpError(
    409,
    `line ${line}: certificate ${certificateId} changed while the import ran; the lines before it are imported, and running the same file again finishes the rest`,
  );
}

/** Applies an update decision through the versioned path: the file's changes first, then the archive. */
async function update(writer: Writer, line: number, before: StoredCertificate, decision: Extract<ImportDecision, { action: 'update' }>): Promise<void> {
  const { context, actor, basis } = writer;
  const now = context.clock.now().toISOString();
  let current = before;
  try {
    if (decision.patch !== null) {
      const after = applyCertificatePatch(current.certificate, { expectedVersion: current.certificate.version, ...decision.patch }, now);
      await context.certificates.saveNextVersion(current, after, basis, actor, 'imported');
      current = { certificate: after, customer: current.customer };
    }
    if (decision.archive !== null) {
      const after = archiveCertificate(current.certificate, { expectedVersion: current.certificate.version, reason: decision.archive.reason, now });
      await context.certificates.saveNextVersion(current, after, basis, actor, 'archived');
    }
  } catch (error) {
    if (error instanceof VersionConflictError) throw changedMeanwhile(line, before.certificate.id);
    throw error;
  }
}

/**
 * Creates the row's certificate under the id its external id is claimed for. When the claim
 * or the first version is someone else's (a concurrent or earlier import of the same row),
 * the row is decided again against what they stored.
 */
async function create(writer: Writer, planned: PlannedRow, customer: CustomerSummary): Promise<{ action: ImportAction; certificateId: string }> {
  const { context, tenant, actor, basis } = writer;
  const { row } = planned;
  const now = context.clock.now().toISOString();
  const certificateId = await context.externalIds.claim(tenant, row.externalId, planned.certificateId ?? newCertificateId(), now);
  const existing = await context.certificates.find(tenant, certificateId);
  if (existing === null) {
    const certificate = importedCertificate(row, { id: certificateId, accountId: tenant.accountId, livemode: tenant.livemode, now });
    try {
      await context.certificates.insert(certificate, customer, basis, actor, 'imported');
      return { action: 'create', certificateId };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return redecide(writer, row, certificateId);
}

/**
 * Decides a row again against the certificate as stored now — `find` also finishes a write
 * cut short — and applies what that says. The plan was made from one read of the whole
 * account; what is written is judged on the record it is written over.
 */
async function redecide(writer: Writer, row: CertificateImportRow, certificateId: string): Promise<{ action: ImportAction; certificateId: string }> {
  const existing = await writer.context.certificates.find(writer.tenant, certificateId);
  if (existing === null) throw changedMeanwhile(row.line, certificateId);
  const decision = importDecision(row, existing.certificate);
  switch (decision.action) {
    case 'refuse':
      throw new HttpError(409, `line ${row.line}: ${decision.message}`);
    case 'update':
      await update(writer, row.line, existing, decision);
      return { action: 'update', certificateId };
    case 'unchanged':
      return { action: 'unchanged', certificateId };
    default:
      // A stored certificate is never decided "create"; seeing it means the store lost one.
      throw changedMeanwhile(row.line, certificateId);
  }
}

/** Update and unchanged rows were decided against a stored certificate. */
function storedOf(planned: PlannedRow): StoredCertificate {
  if (planned.existing === null) throw new Error(`line ${planned.row.line}: a ${planned.decision.action} row without its certificate`);
  return planned.existing;
}

/** Writes a plan that has no problems, row by row, then re-syncs Stripe's tax_exempt for the customers whose certificates changed. */
export async function applyImport(context: ServiceContext, tenant: Tenant, actor: Actor, plan: ImportPlan): Promise<ImportReportRow[]> {
  if (plan.problems.length > 0) throw new Error('applyImport: the plan has problems; answer them instead of importing');
  const writer: Writer = { context, tenant, actor, basis: statusBasisFor(await context.settings.get(tenant), context.clock) };
  const done: ImportReportRow[] = [];
  const touched = new Set<string>();
  for (const planned of plan.rows) {
    const { row, decision, customer } = planned;
    let result: { action: ImportAction; certificateId: string };
    if (decision.action === 'create') {
      if (customer === null) throw new Error(`line ${row.line}: a create row without its Stripe customer`);
      result = await create(writer, planned, customer);
    } else if (decision.action === 'update') {
      result = await redecide(writer, row, storedOf(planned).certificate.id);
    } else {
      result = { action: 'unchanged', certificateId: storedOf(planned).certificate.id };
    }
    if (result.action !== 'unchanged') touched.add(row.input.customerId);
    done.push({ line: row.line, externalId: row.externalId, ...result });
  }
  for (const customerId of touched) {
    await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId: tenant.accountId, livemode: tenant.livemode, customerId });
  }
  return done;
}
