/**
 * One well-formed call per operation of `apiOperations`, aimed at a seeded tenant's real
 * objects: what that tenant's own app would send. Signature and isolation tests replay these
 * as someone else. An operation without an entry here still gets a call — its path filled with
 * the seeded ids by parameter name, an empty JSON object as its body — so a new route is tried
 * from the day it is added; the isolation test then says if that generic call is not accepted
 * for the owner and an entry is needed.
 */
import type { ApiOperation } from '../../worker/src/http/openapi.js';
import { encodeMultipart, type RawCall } from './hostileRequests.js';
import { samplePdf } from './portal.js';
import type { SeededTenant } from './seedTenant.js';

/** What varies per operation: the query, and the body with its type. */
interface CallParts {
  readonly query?: string;
  readonly json?: unknown;
  readonly body?: Buffer;
  readonly contentType?: string;
}

const CSV_HEADER = 'externalId,customerId,reason,form,purchaseType,jurisdiction1Code,jurisdiction1EffectiveDate,notes';
const UPLOAD_BOUNDARY = '----sample-call-boundary';

function csv(seeded: SeededTenant): CallParts {
  const tag = seeded.markers.find((marker) => marker.startsWith('ext-')) ?? 'ext-unknown';
  return {
    body: Buffer.from(`${CSV_HEADER}\r\n${tag},${seeded.customerIds[0] ?? ''},resale,single_state,blanket,US-CA,2026-01-01,Changed by the caller\r\n`),
    contentType: 'text/csv',
  };
}

/** The parts of each operation's call, by operationId. */
function partsFor(operationId: string, seeded: SeededTenant): CallParts | undefined {
  const customer = seeded.customerIds[0] ?? '';
  const range = { startDate: '2026-03-01', endDate: '2026-04-30' };
  const table: Record<string, CallParts> = {
    listCertificates: { query: '?limit=100' },
    createCertificate: {
      json: {
        customerId: customer,
        reason: 'resale',
        form: 'single_state',
        purchase: { type: 'blanket' },
        jurisdictions: [{ code: 'US-OK', effectiveDate: '2026-01-01', expirationDate: null }],
      },
    },
    dryRunCertificateImport: csv(seeded),
    importCertificates: csv(seeded),
    updateCertificate: { json: { expectedVersion: 1, notes: 'Changed by the caller' } },
    archiveCertificate: { json: { reason: 'Archived by the caller' } },
    attachStripeFile: { json: { stripeFileId: seeded.stripeFileIds[0] ?? 'file_missing' } },
    uploadFile: {
      body: encodeMultipart([{ name: 'file', filename: 'caller.pdf', type: 'application/pdf', content: samplePdf('% uploaded by the caller\n') }], UPLOAD_BOUNDARY),
      contentType: `multipart/form-data; boundary=${UPLOAD_BOUNDARY}`,
    },
    updateSettings: { json: { businessName: 'Changed by the caller' } },
    listLedgerEntries: { query: `?invoiceId=${seeded.invoiceIds[0] ?? ''}` },
    ledgerTotals: { query: '?by=invoiceId,customerId' },
    getExposureReport: { query: '?from=2026-01-01&to=2026-12-31' },
    exportExposureReport: { query: '?from=2026-01-01&to=2026-12-31' },
    getOverCollectionReport: { query: '?from=2026-01-01&to=2026-12-31' },
    exportOverCollectionReport: { query: '?from=2026-01-01&to=2026-12-31' },
    downloadAuditPackage: { query: `?customerId=${customer}` },
    createCertificateRequest: { json: { customerId: seeded.customerIds[1] ?? '', jurisdictions: ['US-OK'] } },
    listCertificateRequests: { query: `?customerId=${seeded.customerIds[2] ?? ''}` },
    resendCertificateRequest: { json: { email: 'caller@attacker.example' } },
    approveCertificateRequest: { json: {} },
    rejectCertificateRequest: { json: { reason: 'Rejected by the caller' } },
    filePeriod: { json: { jurisdiction: 'US-TX', periodKey: '2026-04' } },
    previewReprocess: { json: range },
    startReprocess: { json: { ...range, acknowledgedWarnings: ['changes_in_filed_periods', 'refunds_due', 'past_refund_statute'] } },
  };
  return table[operationId];
}

/** The seeded object a path parameter names, by route: a request id under /certificate-requests, a certificate id elsewhere. */
function idFor(parameter: string, operation: ApiOperation, seeded: SeededTenant): string {
  if (parameter === 'fileId') return seeded.fileIds[0] ?? '';
  if (parameter === 'runId') return seeded.runIds[0] ?? '';
  if (parameter === 'customerId') return seeded.customerIds[0] ?? '';
  if (operation.path.startsWith('/certificate-requests/')) {
    // The sent request can be re-sent and cancelled; the submitted one has a file and can be decided.
    return /\/(resend|cancel)$/.test(operation.path) ? seeded.sentRequestId : seeded.submittedRequestId;
  }
  return seeded.certificateWithFile;
}

/** The call the tenant's own app would make for `operation`, on the tenant's real objects. */
export function sampleCall(operation: ApiOperation, seeded: SeededTenant): RawCall {
  const path = operation.path.replace(/:([A-Za-z]+)/g, (_match, name: string) => idFor(name, operation, seeded));
  const parts = partsFor(operation.operationId, seeded) ?? (operation.body !== undefined && 'json' in operation.body ? { json: {} } : {});
  const body = parts.json === undefined ? parts.body : Buffer.from(JSON.stringify(parts.json));
  const contentType = parts.json === undefined ? parts.contentType : 'application/json';
  return {
    method: operation.method.toUpperCase(),
    target: `/api/v1${path}${parts.query ?? ''}`,
    ...(body === undefined ? {} : { body }),
    ...(contentType === undefined ? {} : { contentType }),
  };
}
