import { openRequestStatuses, type RequestStatus } from '@exemptions/shared';
import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '../db/connect.js';
import { withConditions } from '../db/filters.js';
import { ensureIndexes } from '../db/indexes.js';
import { tenantFilter, type Tenant } from '../tenancy.js';
import {
  reviewClaimId,
  tokenClaimId,
  type ClaimDocument,
  type RequestDocument,
  type ReviewRecord,
  type SubmissionRecord,
  type TokenDocument,
} from './requestDocument.js';

export const CERTIFICATE_REQUESTS = 'certificate_requests';
export const REQUEST_TOKENS = 'certificate_request_tokens';
export const REQUEST_CLAIMS = 'certificate_request_claims';

export interface RequestListQuery {
  readonly status?: RequestStatus;
  readonly customerId?: string;
  readonly limit: number;
  /** The `createdAt` and id of the last request of the previous page (newest first). */
  readonly after?: { readonly createdAt: string; readonly id: string };
}

/**
 * Certificate requests, their link tokens and the claims that decide them.
 *
 * The request document is a readable summary; what decides a request is insert-only: a link
 * is used (or voided) by inserting its `token:<hash>` claim, a review by inserting
 * `review:<id>`. A write interrupted between a claim and the summary is rolled forward the
 * next time the request is read (`reconcile`), so readers never see a submitted request as
 * still waiting, whatever order concurrent writers finished in.
 */
export class RequestRepository {
  private readonly requests: Collection<RequestDocument>;
  private readonly tokens: Collection<TokenDocument>;
  private readonly claims: Collection<ClaimDocument>;

  constructor(db: Db) {
    this.requests = db.collection<RequestDocument>(CERTIFICATE_REQUESTS);
    this.tokens = db.collection<TokenDocument>(REQUEST_TOKENS);
    this.claims = db.collection<ClaimDocument>(REQUEST_CLAIMS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.requests, [
      { key: { accountId: 1, livemode: 1, createdAt: -1, _id: -1 }, name: 'by_created' },
      { key: { accountId: 1, livemode: 1, status: 1, createdAt: -1, _id: -1 }, name: 'by_status' },
      { key: { accountId: 1, livemode: 1, customerId: 1, createdAt: -1 }, name: 'by_customer' },
      { key: { accountId: 1, livemode: 1, status: 1, expiresAt: 1 }, name: 'by_expiry' },
    ]);
    await ensureIndexes(this.claims, [{ key: { accountId: 1, livemode: 1, requestId: 1 }, name: 'by_request' }]);
  }

  /** Stores a new request and its first token. False when a request with this id exists (a retried deterministic create). */
  async insert(request: RequestDocument): Promise<boolean> {
    await this.insertToken(request, request.tokenHash, request.createdAt);
    try {
      await this.requests.insertOne(request);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async insertToken(tenant: Tenant & { _id: string }, tokenHash: string, at: string): Promise<void> {
    await this.tokens.insertOne({ _id: tokenHash, ...tenantFilter(tenant), requestId: tenant._id, createdAt: at });
  }

  async find(tenant: Tenant, id: string): Promise<RequestDocument | null> {
    const document = await this.requests.findOne({ _id: id, ...tenantFilter(tenant) });
    if (document === null) return null;
    const [reconciled] = await this.reconcile([document]);
    return reconciled ?? null;
  }

  /**
   * The request a link's token hash belongs to, with its tenant from the stored token: the
   * public portal has no other way to know whose request it is. Null for an unknown hash, and
   * for the hash of a link a re-send replaced.
   */
  async findByTokenHash(tokenHash: string): Promise<RequestDocument | null> {
    const token = await this.tokens.findOne({ _id: tokenHash });
    if (token === null) return null;
    const request = await this.find(token, token.requestId);
    return request !== null && request.tokenHash === tokenHash ? request : null;
  }

  async list(tenant: Tenant, query: RequestListQuery): Promise<{ items: RequestDocument[]; hasMore: boolean }> {
    const equalities: Filter<RequestDocument> = {
      ...tenantFilter(tenant),
      ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
    };
    const base: Filter<RequestDocument>[] = [];
    // A stored status may be behind its claims, so the query takes every status that can
    // reconcile into the one asked for, and the exact filter runs after reconciling.
    if (query.status !== undefined) base.push({ status: { $in: [...storedStatusesFor(query.status)] } });
    const wanted = query.limit + 1;
    const batchSize = wanted * 2;
    const found: RequestDocument[] = [];
    let after = query.after;
    for (;;) {
      const batch = await this.requests
        .find(withConditions(equalities, [...base, ...(after === undefined ? [] : [afterFilter(after)])]))
        .sort({ createdAt: -1, _id: -1 })
        .limit(batchSize)
        .toArray();
      const reconciled = await this.reconcile(batch);
      found.push(...reconciled.filter((r) => query.status === undefined || r.status === query.status));
      const last = batch.at(-1);
      if (found.length >= wanted || batch.length < batchSize || last === undefined) break;
      after = { createdAt: last.createdAt, id: last._id };
    }
    return { items: found.slice(0, query.limit), hasMore: found.length > query.limit };
  }

  /** The customer's requests still waiting on someone (sent, opened or submitted). */
  async openForCustomer(tenant: Tenant, customerId: string): Promise<RequestDocument[]> {
    const documents = await this.requests.find({ ...tenantFilter(tenant), customerId, status: { $in: ['sent', 'opened', 'submitted', 'expired', 'cancelled'] } }).toArray();
    const reconciled = await this.reconcile(documents);
    return reconciled.filter((r) => (openRequestStatuses as readonly string[]).includes(r.status));
  }

  /** Requests waiting on the customer or the reviewer (sent, opened or submitted), as reconciled with their claims. */
  async waiting(tenant: Tenant): Promise<RequestDocument[]> {
    // An expired one too: a submission claimed just before the daily job expired it reconciles to submitted.
    const documents = await this.requests.find({ ...tenantFilter(tenant), status: { $in: [...openRequestStatuses, 'expired'] } }).toArray();
    return (await this.reconcile(documents)).filter((r) => (openRequestStatuses as readonly string[]).includes(r.status));
  }

  async countSubmitted(tenant: Tenant): Promise<number> {
    const documents = await this.requests.find({ ...tenantFilter(tenant), status: { $in: ['sent', 'opened', 'submitted'] } }).toArray();
    return (await this.reconcile(documents)).filter((r) => r.status === 'submitted').length;
  }

  /** Waiting requests whose link has expired by `now`. */
  async expiredLinks(tenant: Tenant, now: string): Promise<RequestDocument[]> {
    const documents = await this.requests.find({ ...tenantFilter(tenant), status: { $in: ['sent', 'opened'] }, expiresAt: { $lte: now } }).toArray();
    return (await this.reconcile(documents)).filter((r) => r.status === 'sent' || r.status === 'opened');
  }

  /** Submitted requests whose review claim exists: a decision whose effects may not all be written yet. */
  async decidedButUnfinished(tenant: Tenant): Promise<Array<{ request: RequestDocument; review: ReviewRecord }>> {
    const submitted = await this.requests.find({ ...tenantFilter(tenant), status: 'submitted' }).toArray();
    if (submitted.length === 0) return [];
    const claims = await this.claims.find({ ...tenantFilter(tenant), _id: { $in: submitted.map((r) => reviewClaimId(r._id)) } }).toArray();
    const byId = new Map(claims.map((c) => [c.requestId, c]));
    const out: Array<{ request: RequestDocument; review: ReviewRecord }> = [];
    for (const request of submitted) {
      const claim = byId.get(request._id);
      if (claim?.kind === 'review') out.push({ request, review: claim.review });
    }
    return out;
  }

  /** Every tenant with requests: the daily job visits each. */
  async tenants(): Promise<Tenant[]> {
    const rows = await this.requests.aggregate<{ _id: Tenant }>([{ $group: { _id: { accountId: '$accountId', livemode: '$livemode' } } }]).toArray();
    return rows.map((row) => row._id);
  }

  /**
   * Uses the link: inserts its `token:<hash>` claim. True for the one caller that got it; false
   * when the link was already used, cancelled or replaced.
   */
  async claimToken(request: RequestDocument, claim: { kind: 'submitted'; submission: SubmissionRecord } | { kind: 'cancelled' | 'superseded' }, at: string): Promise<boolean> {
    try {
      await this.claims.insertOne({ _id: tokenClaimId(request.tokenHash), ...tenantFilter(request), requestId: request._id, ...claim, at } as ClaimDocument);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Records the reviewer's decision; false when a decision was recorded first. */
  async claimReview(request: RequestDocument, review: ReviewRecord): Promise<boolean> {
    try {
      await this.claims.insertOne({ _id: reviewClaimId(request._id), ...tenantFilter(request), requestId: request._id, kind: 'review', review, at: review.at });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async findReview(tenant: Tenant, requestId: string): Promise<ReviewRecord | null> {
    const claim = await this.claims.findOne({ _id: reviewClaimId(requestId), ...tenantFilter(tenant) });
    return claim?.kind === 'review' ? claim.review : null;
  }

  /** A new link for a request whose old one was voided (claimed `superseded`) by the caller. */
  async replaceToken(request: RequestDocument, changes: { tokenHash: string; expiresAt: string; email: string; at: string }): Promise<RequestDocument> {
    await this.insertToken(request, changes.tokenHash, changes.at);
    const next: RequestDocument = {
      ...request,
      tokenHash: changes.tokenHash,
      expiresAt: changes.expiresAt,
      email: changes.email,
      status: 'sent',
      sendCount: request.sendCount + 1,
      sentAt: changes.at,
      openedAt: null,
      updatedAt: changes.at,
    };
    await this.save(next);
    return next;
  }

  /**
   * Writes the summary. Whole-document writes are what FerretDB does anyway; every decisive
   * change went through a claim first, and `reconcile` repairs a summary a concurrent writer
   * overwrote with an older view.
   */
  async save(request: RequestDocument): Promise<void> {
    await this.requests.replaceOne({ _id: request._id, ...tenantFilter(request) }, request);
  }

  /** Marks a sent request opened; losing to a concurrent submission is repaired by `reconcile`. */
  async markOpened(request: RequestDocument, at: string): Promise<void> {
    await this.requests.updateOne({ _id: request._id, ...tenantFilter(request), status: 'sent', tokenHash: request.tokenHash }, { $set: { status: 'opened', openedAt: at, updatedAt: at } });
  }

  /** Brings summaries in line with their claims, writing back what was behind. */
  private async reconcile(documents: RequestDocument[]): Promise<RequestDocument[]> {
    const undecided = documents.filter((d) => d.status !== 'submitted' && d.status !== 'approved' && d.status !== 'rejected');
    if (undecided.length === 0) return documents;
    const first = undecided[0] as RequestDocument;
    // One tenant per call: every caller reads within one tenant.
    const claims = await this.claims.find({ ...tenantFilter(first), _id: { $in: undecided.map((d) => tokenClaimId(d.tokenHash)) } }).toArray();
    if (claims.length === 0) return documents;
    const byId = new Map(claims.map((c) => [c._id, c]));
    const result: RequestDocument[] = [];
    for (const document of documents) {
      const claim = byId.get(tokenClaimId(document.tokenHash));
      let fixed: RequestDocument | null = null;
      if (claim !== undefined && claim.accountId === document.accountId && claim.livemode === document.livemode) {
        if (claim.kind === 'submitted' && document.status !== 'submitted' && document.status !== 'approved' && document.status !== 'rejected') {
          fixed = { ...document, status: 'submitted', submission: claim.submission, updatedAt: claim.at };
        } else if (claim.kind === 'cancelled' && document.status !== 'cancelled') {
          fixed = { ...document, status: 'cancelled', cancelledAt: claim.at, updatedAt: claim.at };
        }
      }
      if (fixed !== null) await this.save(fixed);
      result.push(fixed ?? document);
    }
    return result;
  }
}

/** The stored statuses a request can have while `reconcile` would report `status`. */
function storedStatusesFor(status: RequestStatus): readonly RequestStatus[] {
  if (status === 'submitted') return ['sent', 'opened', 'expired', 'submitted'];
  if (status === 'cancelled') return ['sent', 'opened', 'expired', 'cancelled'];
  return [status];
}

function afterFilter(after: { createdAt: string; id: string }): Filter<RequestDocument> {
  return { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] };
}
