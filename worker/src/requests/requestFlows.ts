import { createHash } from 'node:crypto';
import {
  archiveCertificate,
  calendarDateIn,
  canTransition,
  certificateInputSchema,
  createCertificate,
  customerJurisdiction,
  linkExpiresAt,
  requestEligibility,
  RequestTransitionError,
  VersionConflictError,
  type Actor,
  type CertificateDetails,
  type CertificateInput,
  type CertificateJurisdiction,
  type CertificateRequestInput,
  type JurisdictionCode,
  type PortalSubmission,
} from '@exemptions/shared';
import { statusBasisFor, type AccountSettings } from '../accounts/accountSettings.js';
import type { StoredCertificate } from '../certificates/certificateRepository.js';
import type { ServiceContext } from '../context.js';
import type { StoredFile } from '../files/fileStore.js';
import type { PdfActiveContent } from '../files/pdfActiveContent.js';
import { validate } from '../http/validate.js';
import { SYNC_CUSTOMER_COVERAGE } from '../jobs/syncCustomerCoverage.js';
import { approvedEmail, rejectedEmail, requestEmail, submissionReceivedEmail } from '../mail/templates.js';
import type { Tenant } from '../tenancy.js';
import { RequestConflictError, RequestNotFoundError, RequestNotSendableError } from './errors.js';
import type { RequestDocument, RequestOrigin, ReviewRecord, SubmissionRecord } from './requestDocument.js';
import { newRequestId, newRequestToken } from './requestTokens.js';

/*
 * The request flows: what the merchant API, the portal and the daily job do to requests. Each
 * decisive step goes through a claim (see RequestRepository), and every effect after it is
 * idempotent (deterministic ids, email keys, certificate versions), so any step can be run
 * again after a crash or by a second caller and ends in the same place.
 */

const SYSTEM: Actor = { type: 'system', id: 'certificate-requests' };

export function businessNameOf(settings: AccountSettings): string {
  return settings.businessName ?? 'Your supplier';
}

function nowOf(context: ServiceContext): string {
  return context.clock.now().toISOString();
}

/** The certificate an approval creates: derived from the request, so a retried approval creates the same one. */
export function approvedCertificateId(request: Tenant & { _id: string }): string {
  return `cert_${createHash('sha256').update(`approval:${request.accountId}:${request.livemode}:${request._id}`).digest('hex').slice(0, 24)}`;
}

interface NewRequestFields {
  readonly id?: string;
  readonly customerId: string;
  readonly customer: { readonly name: string | null; readonly email: string | null };
  readonly email: string;
  readonly jurisdictions: readonly JurisdictionCode[];
  readonly renewsCertificateId: string | null;
  readonly message: string | null;
  readonly origin: RequestOrigin;
  readonly previousRequestId: string | null;
  readonly createdBy: Actor;
}

/** Stores a request with a fresh link. Returns the token only to the caller that created it (null if it existed). */
async function insertRequest(context: ServiceContext, tenant: Tenant, settings: AccountSettings, fields: NewRequestFields): Promise<{ request: RequestDocument; token: string | null }> {
  const now = nowOf(context);
  const { token, hash } = newRequestToken();
  const request: RequestDocument = {
    _id: fields.id ?? newRequestId(),
    accountId: tenant.accountId,
    livemode: tenant.livemode,
    customerId: fields.customerId,
    customer: { name: fields.customer.name, email: fields.customer.email },
    email: fields.email,
    jurisdictions: [...fields.jurisdictions],
    renewsCertificateId: fields.renewsCertificateId,
    message: fields.message,
    origin: fields.origin,
    previousRequestId: fields.previousRequestId,
    status: 'sent',
    tokenHash: hash,
    sendCount: 1,
    expiresAt: linkExpiresAt(now, settings.requestLinkDays),
    sentAt: now,
    openedAt: null,
    submission: null,
    review: null,
    cancelledAt: null,
    createdBy: fields.createdBy,
    createdAt: now,
    updatedAt: now,
  };
  if (await context.requests.insert(request)) return { request, token };
  const existing = await context.requests.find(tenant, request._id);
  if (existing === null) throw new Error(`request ${request._id} exists but cannot be read`);
  return { request: existing, token: null };
}

async function renewedCertificateOf(context: ServiceContext, tenant: Tenant, request: Pick<RequestDocument, 'renewsCertificateId'>): Promise<StoredCertificate | null> {
  return request.renewsCertificateId === null ? null : context.certificates.find(tenant, request.renewsCertificateId);
}

async function emailRequest(context: ServiceContext, request: RequestDocument, token: string, settings: AccountSettings): Promise<void> {
  const renewed = await renewedCertificateOf(context, request, request);
  const composed = requestEmail({
    businessName: businessNameOf(settings),
    customerName: request.customer.name,
    jurisdictions: request.jurisdictions,
    message: request.message,
    renewing:
      renewed === null
        ? null
        : {
            number: renewed.certificate.number,
            expiration: renewed.certificate.jurisdictions.reduce<string | null>((soonest, j) => (j.expirationDate !== null && (soonest === null || j.expirationDate < soonest) ? j.expirationDate : soonest), null),
          },
    link: context.links.requestLink(token),
    expiresOn: calendarDateIn(new Date(request.expiresAt), settings.timeZone),
  });
  await context.mailer.send(request, { key: `request:${request._id}:${request.sendCount}`, template: 'request', to: request.email, ...composed });
}

/**
 * The merchant asks a customer for a certificate. Refused (409) when the customer's
 * certificates for the jurisdictions asked for are all good for longer than the expiring-soon
 * window, or when a request to the customer is already open.
 */
export async function createRequest(context: ServiceContext, tenant: Tenant, input: CertificateRequestInput, actor: Actor): Promise<RequestDocument> {
  const customer = await context.stripe.retrieveCustomer(tenant, input.customerId);
  if (customer === null || customer.deleted) throw new RequestNotSendableError('customerId', `no customer ${input.customerId} in this Stripe account`);
  const settings = await context.settings.get(tenant);
  const basis = statusBasisFor(settings, context.clock);

  let renewed: StoredCertificate | null = null;
  if (input.renewsCertificateId !== undefined) {
    renewed = await context.certificates.find(tenant, input.renewsCertificateId);
    if (renewed === null) throw new RequestNotSendableError('renewsCertificateId', `no certificate ${input.renewsCertificateId} in this account`);
    if (renewed.certificate.customerId !== input.customerId) throw new RequestNotSendableError('renewsCertificateId', `certificate ${input.renewsCertificateId} belongs to another customer`);
    if (renewed.certificate.archivedAt !== null) throw new RequestConflictError(`certificate ${input.renewsCertificateId} is archived; request a new certificate instead of renewing it`);
  }
  const taxJurisdiction = customerJurisdiction(customer).jurisdiction;
  const jurisdictions = input.jurisdictions ?? renewed?.certificate.jurisdictions.map((j) => j.code) ?? (taxJurisdiction === null ? null : [taxJurisdiction]);
  if (jurisdictions === null) {
    throw new RequestNotSendableError('jurisdictions', 'the customer has no US address in Stripe to take the jurisdiction from; name the jurisdictions to ask for');
  }

  const eligibility = requestEligibility(
    (await context.certificates.ofCustomer(tenant, input.customerId)).map((s) => s.certificate),
    jurisdictions,
    basis.today,
    basis.windowDays,
  );
  if (!eligibility.allowed) throw new RequestConflictError(`No request needed: ${eligibility.reason}`);
  const [open] = await context.requests.openForCustomer(tenant, input.customerId);
  if (open !== undefined) throw new RequestConflictError(`Request ${open._id} to this customer is already ${open.status}; re-send or cancel it instead of starting another`);

  const email = input.email ?? customer.email;
  if (email === null || email === '') throw new RequestNotSendableError('email', 'the customer has no email address in Stripe; give the address to send the request to');

  const { request, token } = await insertRequest(context, tenant, settings, {
    customerId: input.customerId,
    customer: { name: customer.name, email: customer.email },
    email,
    jurisdictions,
    renewsCertificateId: input.renewsCertificateId ?? null,
    message: input.message === undefined || input.message === '' ? null : input.message,
    origin: 'merchant',
    previousRequestId: null,
    createdBy: actor,
  });
  if (token !== null) await emailRequest(context, request, token, settings);
  return request;
}

/**
 * The daily job's renewal request for a certificate reaching its first reminder. Its id comes
 * from the certificate and the expiration date, so it is made once however often the job runs.
 * Null when the customer has no email or already has an open request.
 */
export async function createRenewalRequest(context: ServiceContext, tenant: Tenant, stored: StoredCertificate, expirationDate: string): Promise<RequestDocument | null> {
  const { certificate } = stored;
  const id = newRequestId(`renewal:${tenant.accountId}:${tenant.livemode}:${certificate.id}:${expirationDate}`);
  if ((await context.requests.find(tenant, id)) !== null) return null;
  if ((await context.requests.openForCustomer(tenant, certificate.customerId)).length > 0) return null;
  const customer = await context.stripe.retrieveCustomer(tenant, certificate.customerId);
  if (customer === null || customer.deleted || customer.email === null || customer.email === '') return null;
  const settings = await context.settings.get(tenant);
  const { request, token } = await insertRequest(context, tenant, settings, {
    id,
    customerId: certificate.customerId,
    customer: { name: customer.name, email: customer.email },
    email: customer.email,
    jurisdictions: certificate.jurisdictions.map((j) => j.code),
    renewsCertificateId: certificate.id,
    message: null,
    origin: 'auto_renewal',
    previousRequestId: null,
    createdBy: SYSTEM,
  });
  if (token === null) return null;
  await emailRequest(context, request, token, settings);
  return request;
}

async function load(context: ServiceContext, tenant: Tenant, id: string): Promise<RequestDocument> {
  const request = await context.requests.find(tenant, id);
  if (request === null) throw new RequestNotFoundError(id);
  return request;
}

/** A new link (the old one stops working) and a new email, optionally to another address. */
export async function resendRequest(context: ServiceContext, tenant: Tenant, id: string, email: string | undefined): Promise<RequestDocument> {
  const request = await load(context, tenant, id);
  if (!canTransition(request.status, 'resend')) throw new RequestTransitionError(request.status, 'resend');
  if (!(await context.requests.claimToken(request, { kind: 'superseded' }, nowOf(context)))) {
    throw new RequestConflictError(`The link of request ${id} was used or replaced meanwhile; reload the request`);
  }
  const settings = await context.settings.get(tenant);
  const now = nowOf(context);
  const { token, hash } = newRequestToken();
  const next = await context.requests.replaceToken(request, { tokenHash: hash, expiresAt: linkExpiresAt(now, settings.requestLinkDays), email: email ?? request.email, at: now });
  await emailRequest(context, next, token, settings);
  return next;
}

/** Voids the link. Cancelling a cancelled request answers it as it is. */
export async function cancelRequest(context: ServiceContext, tenant: Tenant, id: string): Promise<RequestDocument> {
  const request = await load(context, tenant, id);
  if (request.status === 'cancelled') return request;
  if (!canTransition(request.status, 'cancel')) throw new RequestTransitionError(request.status, 'cancel');
  const now = nowOf(context);
  if (!(await context.requests.claimToken(request, { kind: 'cancelled' }, now))) {
    const current = await load(context, tenant, id);
    if (current.status === 'cancelled') return current;
    throw new RequestConflictError(`Request ${id} was ${current.status} meanwhile and can no longer be cancelled`);
  }
  const cancelled: RequestDocument = { ...request, status: 'cancelled', cancelledAt: now, updatedAt: now };
  await context.requests.save(cancelled);
  return cancelled;
}

/** The customer opened the link: informational, so a lost race with a submission is harmless. */
export async function markRequestOpened(context: ServiceContext, request: RequestDocument): Promise<void> {
  if (request.status === 'sent') await context.requests.markOpened(request, nowOf(context));
}

/**
 * Records the customer's submission of a file already stored for this request (content-addressed,
 * so a retry reuses it); then the link is claimed, which only one submission can do. Null when
 * the link was used meanwhile: the caller answers as for any unusable link.
 */
export async function submitRequest(context: ServiceContext, request: RequestDocument, submission: PortalSubmission, stored: StoredFile): Promise<RequestDocument | null> {
  const now = nowOf(context);
  // The store checks every PDF it keeps for active content (a copy it already had was checked then).
  const activeContent: readonly PdfActiveContent[] = stored.activeContent ?? [];
  const record: SubmissionRecord = {
    data: submission,
    file: { id: stored.id, filename: stored.filename, contentType: stored.contentType, size: stored.size, sha256: stored.sha256 },
    activeContent,
    submittedAt: now,
  };
  if (!(await context.requests.claimToken(request, { kind: 'submitted', submission: record }, now))) return null;
  const submitted: RequestDocument = { ...request, status: 'submitted', submission: record, updatedAt: now };
  await context.requests.save(submitted);
  // Under the include_pending policy a submission awaiting review already counts.
  await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId: request.accountId, livemode: request.livemode, customerId: request.customerId });

  const settings = await context.settings.get(request);
  if (settings.merchantNotificationEmail !== null) {
    const composed = submissionReceivedEmail({
      customerName: request.customer.name,
      customerId: request.customerId,
      requestId: request._id,
      reason: submission.reason,
      jurisdictions: submission.jurisdictions.map((j) => j.code),
      signerName: submission.signerName,
      signerTitle: submission.signerTitle,
      activeContent,
    });
    await context.mailer.send(request, { key: `submission_received:${request._id}`, template: 'submission_received', to: settings.merchantNotificationEmail, ...composed });
  }
  return submitted;
}

/** What the reviewer may correct before approving: each group present replaces the submitted one. */
export interface ReviewCorrections {
  readonly details?: CertificateDetails;
  readonly jurisdictions?: CertificateJurisdiction[];
  readonly notes?: string;
}

function certificateInputFor(request: RequestDocument, corrections: ReviewCorrections): CertificateInput {
  const submission = request.submission;
  if (submission === null) throw new RequestConflictError(`Request ${request._id} has no submission to approve`);
  const { data } = submission;
  const notes = `Signed by ${data.signerName}, ${data.signerTitle}. Submitted by the customer in answer to request ${request._id}.`;
  return validate(
    certificateInputSchema,
    {
      customerId: request.customerId,
      ...(corrections.details ?? { reason: data.reason, reasonOther: data.reasonOther, form: data.form, number: data.number, purchase: { type: 'blanket' } }),
      jurisdictions: corrections.jurisdictions ?? data.jurisdictions,
      notes: corrections.notes ?? notes,
    },
    'body',
  );
}

export interface DecisionResult {
  readonly request: RequestDocument;
  /** The certificate an approval created. */
  readonly certificateId: string | null;
  /** The request a rejection sent the customer instead. */
  readonly resubmissionRequestId: string | null;
}

/** Approves a submission, with the reviewer's corrections: see `finishApproval` for what follows. */
export async function approveRequest(context: ServiceContext, tenant: Tenant, id: string, corrections: ReviewCorrections, actor: Actor): Promise<DecisionResult> {
  const request = await load(context, tenant, id);
  const decided = await context.requests.findReview(tenant, id);
  if (decided !== null) return repeatDecision(context, request, decided, 'approved');
  if (!canTransition(request.status, 'approve')) throw new RequestTransitionError(request.status, 'approve');
  const input = certificateInputFor(request, corrections);
  const review: ReviewRecord = {
    decision: 'approved',
    reason: null,
    certificateId: approvedCertificateId(request),
    certificateInput: input,
    resubmissionRequestId: null,
    actor,
    at: nowOf(context),
  };
  if (!(await context.requests.claimReview(request, review))) {
    const winner = await context.requests.findReview(tenant, id);
    if (winner === null) throw new Error(`review of ${id} was claimed but cannot be read`);
    return repeatDecision(context, request, winner, 'approved');
  }
  return finishApproval(context, request, review);
}

/** Asking again for the decision already made finishes it (idempotent); asking for the other one is a conflict. */
async function repeatDecision(context: ServiceContext, request: RequestDocument, review: ReviewRecord, wanted: 'approved' | 'rejected'): Promise<DecisionResult> {
  if (review.decision !== wanted) throw new RequestConflictError(`Request ${request._id} was already ${review.decision}`);
  return review.decision === 'approved' ? finishApproval(context, request, review) : finishRejection(context, request, review);
}

/**
 * Creates the certificate (source `customer_submission`, with its own copy of the file),
 * archives the certificate it renews, records the decision, re-syncs Stripe's tax_exempt and
 * emails the customer. Each step is idempotent, so a retry finishes an interrupted approval.
 */
export async function finishApproval(context: ServiceContext, request: RequestDocument, review: ReviewRecord): Promise<DecisionResult> {
  const tenant: Tenant = request;
  const certificateId = review.certificateId ?? approvedCertificateId(request);
  const input = review.certificateInput;
  const submission = request.submission;
  if (input === null || submission === null) throw new Error(`approval of ${request._id} lacks its certificate input or submission`);
  const settings = await context.settings.get(tenant);
  const basis = statusBasisFor(settings, context.clock);
  const now = nowOf(context);

  if ((await context.certificates.find(tenant, certificateId)) === null) {
    const download = await context.files.open(tenant, request._id, submission.file.id);
    if (download === null) throw new Error(`the file of request ${request._id} is missing`);
    const chunks: Buffer[] = [];
    for await (const chunk of download.stream) chunks.push(chunk as Buffer);
    const { file } = await context.files.put(tenant, certificateId, submission.file.filename, chunks, submission.file.contentType);
    const certificate = createCertificate(input, { id: certificateId, accountId: tenant.accountId, livemode: tenant.livemode, source: 'customer_submission', now, files: [file] });
    try {
      await context.certificates.insert(certificate, request.customer, basis, review.actor);
    } catch (error) {
      // A concurrent finisher wrote version 1 first: the certificate is there, which is all we need.
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }

  if (request.renewsCertificateId !== null) await archiveRenewed(context, request, request.renewsCertificateId, certificateId, review.actor);

  const approved: RequestDocument = { ...request, status: 'approved', review, updatedAt: request.status === 'approved' ? request.updatedAt : now };
  if (request.status !== 'approved') await context.requests.save(approved);
  await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId: tenant.accountId, livemode: tenant.livemode, customerId: request.customerId });

  const stored = await context.certificates.find(tenant, certificateId);
  const composed = approvedEmail({
    businessName: businessNameOf(settings),
    customerName: request.customer.name,
    jurisdictions: (stored?.certificate.jurisdictions ?? input.jurisdictions).map((j) => ({ code: j.code, expirationDate: j.expirationDate })),
  });
  await context.mailer.send(tenant, { key: `approved:${request._id}`, template: 'approved', to: request.email, ...composed });
  return { request: approved, certificateId, resubmissionRequestId: null };
}

async function archiveRenewed(context: ServiceContext, request: RequestDocument, renewedId: string, byId: string, actor: Actor): Promise<void> {
  const tenant: Tenant = request;
  const basis = statusBasisFor(await context.settings.get(tenant), context.clock);
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const before = await context.certificates.find(tenant, renewedId);
    if (before === null || before.certificate.archivedAt !== null) return;
    const after = archiveCertificate(before.certificate, {
      expectedVersion: before.certificate.version,
      reason: `Renewed by certificate ${byId} (customer submission ${request._id})`,
      now: nowOf(context),
    });
    try {
      await context.certificates.saveNextVersion(before, after, basis, actor, 'archived');
      await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId: tenant.accountId, livemode: tenant.livemode, customerId: before.certificate.customerId });
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt === 3) throw error;
    }
  }
}

/** Rejects a submission with a reason; the customer is emailed a new link to send it again. */
export async function rejectRequest(context: ServiceContext, tenant: Tenant, id: string, reason: string, actor: Actor): Promise<DecisionResult> {
  const request = await load(context, tenant, id);
  const decided = await context.requests.findReview(tenant, id);
  if (decided !== null) return repeatDecision(context, request, decided, 'rejected');
  if (!canTransition(request.status, 'reject')) throw new RequestTransitionError(request.status, 'reject');
  const review: ReviewRecord = {
    decision: 'rejected',
    reason,
    certificateId: null,
    certificateInput: null,
    resubmissionRequestId: newRequestId(`resubmission:${tenant.accountId}:${tenant.livemode}:${id}`),
    actor,
    at: nowOf(context),
  };
  if (!(await context.requests.claimReview(request, review))) {
    const winner = await context.requests.findReview(tenant, id);
    if (winner === null) throw new Error(`review of ${id} was claimed but cannot be read`);
    return repeatDecision(context, request, winner, 'rejected');
  }
  return finishRejection(context, request, review);
}

/**
 * Sends the rejection with a link to a new request (same customer, jurisdictions and renewal).
 * The email is keyed by the rejected request, and the new request's id by it too; a retry
 * after a crash between the two gives the new request a fresh link, since the first was
 * never sent and its token is not kept.
 */
export async function finishRejection(context: ServiceContext, request: RequestDocument, review: ReviewRecord): Promise<DecisionResult> {
  const tenant: Tenant = request;
  const key = `rejected:${request._id}`;
  const resubmissionId = review.resubmissionRequestId ?? newRequestId(`resubmission:${tenant.accountId}:${tenant.livemode}:${request._id}`);
  if (!(await context.mailer.outbox.has(tenant, key))) {
    const settings = await context.settings.get(tenant);
    let link: { request: RequestDocument; token: string } | null = null;
    const existing = await context.requests.find(tenant, resubmissionId);
    if (existing === null) {
      const created = await insertRequest(context, tenant, settings, {
        id: resubmissionId,
        customerId: request.customerId,
        customer: request.customer,
        email: request.email,
        jurisdictions: request.jurisdictions,
        renewsCertificateId: request.renewsCertificateId,
        message: request.message,
        origin: 'resubmission',
        previousRequestId: request._id,
        createdBy: review.actor,
      });
      if (created.token !== null) link = { request: created.request, token: created.token };
    }
    if (link === null) {
      const current = existing ?? (await context.requests.find(tenant, resubmissionId));
      if (current !== null && canTransition(current.status, 'resend') && (await context.requests.claimToken(current, { kind: 'superseded' }, nowOf(context)))) {
        const now = nowOf(context);
        const { token, hash } = newRequestToken();
        const next = await context.requests.replaceToken(current, { tokenHash: hash, expiresAt: linkExpiresAt(now, settings.requestLinkDays), email: current.email, at: now });
        link = { request: next, token };
      }
    }
    if (link !== null) {
      const composed = rejectedEmail({
        businessName: businessNameOf(settings),
        customerName: request.customer.name,
        jurisdictions: request.jurisdictions,
        message: null,
        renewing: null,
        link: context.links.requestLink(link.token),
        expiresOn: calendarDateIn(new Date(link.request.expiresAt), settings.timeZone),
        rejectionReason: review.reason ?? 'no reason given',
      });
      await context.mailer.send(tenant, { key, template: 'rejected', to: request.email, ...composed });
    }
  }
  const rejected: RequestDocument = { ...request, status: 'rejected', review };
  if (request.status !== 'rejected') await context.requests.save({ ...rejected, updatedAt: nowOf(context) });
  // Once it is recorded as rejected, the submission no longer counts under include_pending.
  await context.queue.enqueue(SYNC_CUSTOMER_COVERAGE, { accountId: tenant.accountId, livemode: tenant.livemode, customerId: request.customerId });
  return { request: rejected, certificateId: null, resubmissionRequestId: resubmissionId };
}
