import {
  certificateFileContentTypes,
  certificateFormSchema,
  certificateJurisdictionSchema,
  customerIdSchema,
  exemptionReasonSchema,
  instantSchema,
  jurisdictionCodeSchema,
  pdfActiveContentKinds,
  requestStatuses,
} from '@exemptions/shared';
import { z } from 'zod';
import type { RequestDocument } from './requestDocument.js';

const actorSchema = z.object({ type: z.enum(['user', 'customer', 'system']), id: z.string() });

export const submissionViewSchema = z.object({
  reason: exemptionReasonSchema,
  reasonOther: z.string().nullable(),
  form: certificateFormSchema,
  number: z.string().nullable(),
  jurisdictions: z.array(certificateJurisdictionSchema),
  signerName: z.string(),
  signerTitle: z.string(),
  file: z.object({
    id: z.string(),
    filename: z.string(),
    contentType: z.enum(certificateFileContentTypes),
    size: z.int().positive(),
    sha256: z.string(),
  }),
  activeContent: z.array(z.enum(pdfActiveContentKinds)),
  submittedAt: instantSchema,
});

/** A certificate request as the API returns it. The link's token is never part of it. */
export const certificateRequestViewSchema = z.object({
  id: z.string().regex(/^creq_[0-9a-f]{24}$/),
  customer: z.object({ id: customerIdSchema, name: z.string().nullable(), email: z.string().nullable() }),
  email: z.string(),
  jurisdictions: z.array(jurisdictionCodeSchema),
  renewsCertificateId: z.string().nullable(),
  message: z.string().nullable(),
  origin: z.enum(['merchant', 'auto_renewal', 'resubmission']),
  previousRequestId: z.string().nullable(),
  status: z.enum(requestStatuses),
  sendCount: z.int().positive(),
  sentAt: instantSchema,
  expiresAt: instantSchema,
  openedAt: instantSchema.nullable(),
  cancelledAt: instantSchema.nullable(),
  submission: submissionViewSchema.nullable(),
  review: z
    .object({
      decision: z.enum(['approved', 'rejected']),
      reason: z.string().nullable(),
      certificateId: z.string().nullable(),
      resubmissionRequestId: z.string().nullable(),
      actor: actorSchema,
      at: instantSchema,
    })
    .nullable(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
});

export type CertificateRequestView = z.infer<typeof certificateRequestViewSchema>;

export function requestView(request: RequestDocument): CertificateRequestView {
  const { submission, review } = request;
  return {
    id: request._id,
    customer: { id: request.customerId, name: request.customer.name, email: request.customer.email },
    email: request.email,
    jurisdictions: request.jurisdictions,
    renewsCertificateId: request.renewsCertificateId,
    message: request.message,
    origin: request.origin,
    previousRequestId: request.previousRequestId,
    status: request.status,
    sendCount: request.sendCount,
    sentAt: request.sentAt,
    expiresAt: request.expiresAt,
    openedAt: request.openedAt,
    cancelledAt: request.cancelledAt,
    submission:
      submission === null
        ? null
        : {
            ...submission.data,
            file: submission.file,
            activeContent: [...submission.activeContent],
            submittedAt: submission.submittedAt,
          },
    review:
      review === null
        ? null
        : { decision: review.decision, reason: review.reason, certificateId: review.certificateId, resubmissionRequestId: review.resubmissionRequestId, actor: review.actor, at: review.at },
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
  };
}
