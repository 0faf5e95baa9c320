/**
 * The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json` and committed as
 * docs/openapi.json (`npm run openapi`).
 *
 * Every schema in it is generated from zod (`z.toJSONSchema`, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1): request bodies and parameters from the very schemas the routes
 * validate with, converted as *input* (defaults optional, coercions and transforms as what
 * the client sends); responses as *output*. Only the table of operations below is written
 * by hand. test/worker/openapi.test.ts keeps it honest: every route registered on the API
 * router must appear here, real responses must match their documented schemas, and the
 * committed file must equal what this module builds.
 */
import {
  auditRangeMaxYears,
  calendarDateSchema,
  certificateFileContentTypes,
  certificateFileSchema,
  certificateInputSchema,
  certificateJurisdictionSchema,
  certificateCsvLimits,
  certificateLimits,
  certificatePatchSchema,
  certificateRequestInputSchema,
  certificateSchema,
  certificateStatuses,
  customerIdSchema,
  instantSchema,
  jurisdictionCodeSchema,
  purchaseSchema,
  timeZoneSchema,
  type HistoryAction,
} from '@exemptions/shared';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { accountSettingsSchema } from '../accounts/accountSettings.js';
import { archiveBodySchema, listQuerySchema } from '../certificates/routes.js';
import { complianceSummaryQuerySchema, complianceSummarySchema } from '../compliance/routes.js';
import { auditPackageQuerySchema } from '../audit/routes.js';
import { certificateExportQuerySchema, importRejectedSchema, importReportSchema } from '../certificates/csvRoutes.js';
import { flaggedReportSchema, reportQuerySchema } from '../reports/routes.js';
import { conflictListSchema, sweepQueuedSchema } from '../coverage/routes.js';
import { ledgerEntryListSchema, ledgerQuerySchema, ledgerTotalsQuerySchema, ledgerTotalsSchema } from '../ledger/routes.js';
import { filedPeriodSchema, fileRequestSchema, periodListSchema, periodsQuerySchema } from '../periods/routes.js';
import { previewRequestSchema, previewSchema, runListSchema, runSchema, startRequestSchema } from '../reprocess/routes.js';
import { attachStripeFileSchema } from '../files/fileRoutes.js';
import { DOWNLOAD_PREFIX, FILE_LINK_LIFETIME_MS, fileLinkSchema } from '../files/fileLinkRoutes.js';
import { UPLOAD_FIELD } from '../files/multipartUpload.js';
import { approveBodySchema, rejectBodySchema, requestIdParam, requestListQuerySchema, resendBodySchema, reviewQueueQuerySchema } from '../requests/routes.js';
import { certificateRequestViewSchema } from '../requests/requestView.js';

/** A JSON Schema or OpenAPI object as it goes into the document. */
type JsonObject = Record<string, unknown>;

interface SchemaMeta {
  id?: string;
  description?: string;
  examples?: unknown[];
}

const API_BASE_PATH = '/api/v1';
const OPENAPI_VERSION = '3.1.1';

// ---------------------------------------------------------------------------------------
// Request schemas: the routes' own. Refinements (cross-field rules) cannot be expressed in
// JSON Schema, so the descriptions state them; the server still enforces them (400).

// The routes check their path parameters with private schemas; these mirror them, and the
// test checks they accept the ids the API issues.
const certificateIdParam = z.string().regex(/^cert_[0-9a-f]{24}$/);
const fileIdParam = z.string().regex(/^cfile_[0-9a-f]{24}$/);

/** `PATCH /settings` validates with `accountSettingsSchema.partial()`; the same, built once. */
const settingsPatchSchema = accountSettingsSchema.partial();

/** The multipart body of `POST /certificates/:id/files/upload`: one part, the file. */
const fileUploadSchema = z.strictObject({
  [UPLOAD_FIELD]: z.file().mime([...certificateFileContentTypes]),
});

const requestComponents = {
  CertificateInput: certificateInputSchema,
  CertificatePatch: certificatePatchSchema,
  ArchiveRequest: archiveBodySchema,
  SettingsPatch: settingsPatchSchema,
  AttachFileRequest: attachStripeFileSchema,
  FileUpload: fileUploadSchema,
  CertificateRequestInput: certificateRequestInputSchema,
  ResendRequest: resendBodySchema,
  ApproveRequest: approveBodySchema,
  RejectRequest: rejectBodySchema,
  FilePeriodRequest: fileRequestSchema,
  ReprocessPreviewRequest: previewRequestSchema,
  ReprocessStartRequest: startRequestSchema,
} as const;

// ---------------------------------------------------------------------------------------
// Response schemas: what the routes build (certificateView, the history, the list pages).

const historyActions = ['created', 'edited', 'archived', 'file_attached', 'imported'] as const satisfies readonly HistoryAction[];
// Fails to compile when HistoryAction gains a value the document does not list.
const _everyHistoryAction: [Exclude<HistoryAction, (typeof historyActions)[number]>] extends [never] ? true : false = true;

const jurisdictionStatusSchema = z.object({
  code: jurisdictionCodeSchema,
  status: z.enum(certificateStatuses),
});

const customerSummarySchema = z.object({
  id: customerIdSchema,
  name: z.string().nullable(),
  email: z.string().nullable(),
});

const certificateViewSchema = z.object({
  ...certificateSchema.shape,
  customer: customerSummarySchema,
  status: z.enum(certificateStatuses),
  jurisdictionStatuses: z.array(jurisdictionStatusSchema),
  nextExpirationDate: calendarDateSchema.nullable(),
});

const historyEntrySchema = z.object({
  version: z.int().positive(),
  action: z.enum(historyActions),
  actor: z.object({ type: z.enum(['user', 'customer', 'system']), id: z.string() }),
  at: instantSchema,
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
});

const fileAttachedSchema = z.object({
  file: certificateFileSchema,
  certificate: certificateViewSchema,
});

const certificateDetailSchema = z.object({
  ...certificateViewSchema.shape,
  history: z.array(historyEntrySchema),
});

const certificateListSchema = z.object({
  data: z.array(certificateViewSchema),
  nextCursor: z.string().nullable(),
});

const customerCertificatesSchema = z.object({
  customerId: customerIdSchema,
  status: z.enum([...certificateStatuses, 'none']),
  data: z.array(certificateViewSchema),
});

const fieldProblemSchema = z.object({ field: z.string(), message: z.string() });

const errorResponseSchema = z.object({
  error: z.object({ message: z.string(), details: z.array(fieldProblemSchema).optional() }),
});

const conflictErrorResponseSchema = z.object({
  error: z.object({ message: z.string(), details: z.object({ current: certificateViewSchema.nullable() }) }),
});

const certificateRequestListSchema = z.object({ data: z.array(certificateRequestViewSchema), nextCursor: z.string().nullable() });
const requestApprovedSchema = z.object({ request: certificateRequestViewSchema, certificate: certificateViewSchema });
const requestRejectedSchema = z.object({ request: certificateRequestViewSchema, resubmission: certificateRequestViewSchema.nullable() });

const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

const responseComponents = {
  Certificate: certificateViewSchema,
  CertificateDetail: certificateDetailSchema,
  CertificateList: certificateListSchema,
  CustomerCertificates: customerCertificatesSchema,
  FileAttached: fileAttachedSchema,
  HistoryEntry: historyEntrySchema,
  CertificateFile: certificateFileSchema,
  CertificateJurisdiction: certificateJurisdictionSchema,
  JurisdictionStatus: jurisdictionStatusSchema,
  JurisdictionCode: jurisdictionCodeSchema,
  Purchase: purchaseSchema,
  AccountSettings: accountSettingsSchema,
  FieldProblem: fieldProblemSchema,
  Error: errorResponseSchema,
  ConflictError: conflictErrorResponseSchema,
  OpenApiDocument: openApiDocumentSchema,
  SweepQueued: sweepQueuedSchema,
  ConflictList: conflictListSchema,
  LedgerEntryList: ledgerEntryListSchema,
  LedgerTotals: ledgerTotalsSchema,
  CertificateRequest: certificateRequestViewSchema,
  CertificateRequestList: certificateRequestListSchema,
  RequestApproved: requestApprovedSchema,
  RequestRejected: requestRejectedSchema,
  PeriodList: periodListSchema,
  FiledPeriod: filedPeriodSchema,
  ReprocessPreview: previewSchema,
  ReprocessRun: runSchema,
  ReprocessRunList: runListSchema,
  ComplianceSummary: complianceSummarySchema,
  FlaggedReport: flaggedReportSchema,
  ImportReport: importReportSchema,
  ImportRejected: importRejectedSchema,
  FileLink: fileLinkSchema,
} as const;

type RequestComponent = keyof typeof requestComponents;
type ResponseComponent = keyof typeof responseComponents;

const descriptions = new Map<z.ZodType, Omit<SchemaMeta, 'id'>>([
  [
    certificateInputSchema,
    {
      description:
        'A certificate entered by the merchant. Also enforced: `reasonOther` is required when `reason` is `other` and forbidden otherwise; ' +
        'a single-purchase certificate names an invoice number or a purchase-order number; each jurisdiction appears once; ' +
        'no expiration date precedes its effective date. Unknown fields are refused.',
    },
  ],
  [
    certificatePatchSchema,
    {
      description:
        'An edit of the version the editor saw (`expectedVersion`; a stale version gets 409 with the current record). ' +
        'Each group present (`details`, `jurisdictions`, `notes`) replaces that group whole and at least one must be present; ' +
        'the rules of CertificateInput apply to what will be stored.',
    },
  ],
  [archiveBodySchema, { description: 'Optional. Without `expectedVersion`, archiving an archived certificate reports it as it is.' }],
  [settingsPatchSchema, { description: 'The settings to change; the others keep their values.' }],
  [attachStripeFileSchema, { description: 'A Stripe File the merchant uploaded (purpose `tax_document_user_upload`); the worker keeps its own copy.' }],
  [
    fileUploadSchema,
    {
      description: `A PDF, PNG or JPEG of at most ${certificateLimits.fileBytes} bytes; the type is checked from the bytes, not from the name or the declared type.`,
    },
  ],
  [certificateViewSchema, { description: 'A certificate with what today makes of it, in the account’s time zone.' }],
  [certificateDetailSchema, { description: 'A certificate with its full history, oldest version first.' }],
  [certificateListSchema, { description: 'One page of certificates; pass `nextCursor` as `cursor` for the next page (null on the last).' }],
  [customerCertificatesSchema, { description: 'A customer’s certificates and their overall status (`none` without certificates).' }],
  [historyEntrySchema, { description: 'One version of a certificate: who changed what, and when.' }],
  [
    jurisdictionCodeSchema,
    {
      description: 'ISO 3166-2 code of a US state, DC or territory, such as US-TX. Requests may use any case and surrounding spaces.',
      examples: ['US-TX'],
    },
  ],
  [timeZoneSchema, { description: 'An IANA time zone such as America/Chicago.', examples: ['America/Chicago'] }],
  [accountSettingsSchema, { description: 'Per account and mode. Certificate dates are calendar dates in `timeZone`.' }],
  [
    errorResponseSchema,
    { description: 'Every error but a version conflict. When the fault is in the request’s content, `details` names each field and why.' },
  ],
  [fileAttachedSchema, { description: 'The attached file and the certificate holding it.' }],
  [
    fileLinkSchema,
    {
      description:
        `A link that downloads one file without a signature: \`GET <PUBLIC_URL>${DOWNLOAD_PREFIX}/<token>\`, outside this API. ` +
        'It answers the file as an attachment (`Content-Disposition: attachment`, the stored type, `X-Content-Type-Options: nosniff`, ' +
        "`Content-Security-Policy: default-src 'none'; sandbox; frame-ancestors 'none'`, `Referrer-Policy: no-referrer`) until `expiresAt`, " +
        'then `410`; an unknown or altered token answers `404`.',
    },
  ],
  [conflictErrorResponseSchema, { description: 'The certificate changed since the version the client edited: `details.current` is the record now.' }],
  [
    complianceSummarySchema,
    {
      description:
        'What an audit asks first, as of today in the account’s time zone: certificates per status, overall and per jurisdiction, ' +
        'those with a jurisdiction in force expiring within 30, 60 and 90 days (cumulative), submissions waiting for review and requests waiting on a customer, ' +
        'and the invoices whose current ledger treatment is flagged for exposure or over-collection.',
    },
  ],
  [
    flaggedReportSchema,
    {
      description:
        'One row per invoice × jurisdiction whose current treatment carries the flag (voided or since-covered invoices are not listed), with what it still stands for net of credit notes, ' +
        'in minor units of `currency`. `totals` are the ledger totals of exactly those rows’ entries, one per currency.',
    },
  ],
  [
    importReportSchema,
    {
      description:
        'What the import does (dry run) or did to each row without a problem — matched by `externalId` within the account — and every problem by line (1 is the header) and column. ' +
        'A dry run writes nothing.',
    },
  ],
  [importRejectedSchema, { description: 'The CSV has problems, so nothing was imported: `details` lists each by line (1 is the header), column and why.' }],
  [reportQuerySchema.shape.from, { description: 'First transaction date (the invoice’s finalization day in the account’s time zone), included.' }],
  [reportQuerySchema.shape.to, { description: 'Last transaction date, included; not before `from`.' }],
  [reportQuerySchema.shape.jurisdiction, { description: 'Only this jurisdiction (ISO 3166-2, such as US-TX).' }],
  [listQuerySchema.shape.q, { description: 'Prefix of the customer’s name, email or id; case-insensitive.' }],
  [listQuerySchema.shape.status, { description: 'Only certificates with this status today.' }],
  [listQuerySchema.shape.jurisdiction, { description: 'Only certificates covering this jurisdiction (ISO 3166-2, such as US-TX).' }],
  [listQuerySchema.shape.reason, { description: 'Only certificates with this exemption reason.' }],
  [listQuerySchema.shape.sort, { description: 'Soonest expiration first, or most recently updated first.' }],
  [listQuerySchema.shape.limit, { description: 'Page size.' }],
  [listQuerySchema.shape.cursor, { description: 'The `nextCursor` of the previous page.' }],
]);

function registryOf(components: Readonly<Record<string, z.ZodType>>): z.core.$ZodRegistry<SchemaMeta> {
  const registry = z.registry<SchemaMeta>();
  const ids = new Map<z.ZodType, string>(Object.entries(components).map(([id, schema]) => [schema, id]));
  for (const [schema, meta] of descriptions) {
    if (!ids.has(schema)) registry.add(schema, meta);
  }
  for (const [schema, id] of ids) registry.add(schema, { ...descriptions.get(schema), id });
  return registry;
}

const componentRef = (id: string): string => `#/components/schemas/${id}`;

/** `$schema` and zod's fragment-only `$id` are noise inside an OpenAPI document (and such an `$id` is not valid 2020-12). */
function asComponent(schema: JsonObject): JsonObject {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

function convert(schema: z.ZodType, io: 'input' | 'output', registry: z.core.$ZodRegistry<SchemaMeta>): JsonObject {
  return asComponent(z.toJSONSchema(schema, { io, metadata: registry, unrepresentable: 'throw' }) as JsonObject);
}

function componentSchemas(): Record<string, JsonObject> {
  const generated: Record<string, JsonObject> = {};
  for (const [components, io] of [
    [requestComponents, 'input'],
    [responseComponents, 'output'],
  ] as const) {
    const registry = registryOf(components);
    const { schemas } = z.toJSONSchema(registry, { io, metadata: registry, uri: componentRef, unrepresentable: 'throw' });
    for (const [id, schema] of Object.entries(schemas)) {
      if (id in generated) throw new Error(`OpenAPI component ${id} is generated twice`);
      generated[id] = asComponent(schema as JsonObject);
    }
  }
  return Object.fromEntries(Object.keys(generated).sort().map((id) => [id, generated[id]]));
}

// ---------------------------------------------------------------------------------------
// The operations: the one hand-written part.

type Method = 'get' | 'post' | 'patch' | 'delete';
type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 503;

type RequestBody =
  | { readonly json: RequestComponent; readonly required: boolean }
  | { readonly multipart: RequestComponent }
  | { readonly csv: string };

type SuccessBody = { readonly json: ResponseComponent } | { readonly binary: readonly string[] };

export interface ApiOperation {
  readonly method: Method;
  /** In Express syntax (`/certificates/:id`) and relative to /api/v1, exactly as the router registers it. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Served without a signature (only the document itself). */
  readonly public?: true;
  readonly pathParams?: Readonly<Record<string, { readonly schema: z.ZodType; readonly description: string }>>;
  readonly query?: z.ZodObject;
  readonly body?: RequestBody;
  readonly success: {
    readonly status: 200 | 201;
    readonly description: string;
    readonly body: SuccessBody;
    readonly headers?: Readonly<Record<string, string>>;
    /** A second success status with the same body, and when it is given. */
    readonly also?: { readonly status: 200; readonly description: string };
  };
  /** A 409's body: the current certificate (`ConflictError`, the default) or a plain `Error` (requests: the reason is the message). */
  readonly conflictSchema?: 'ConflictError' | 'Error';
  /** A 422's body when it is not a plain `Error` (the CSV import lists its problems by line). */
  readonly unprocessableSchema?: 'ImportRejected';
  /** Errors particular to this operation, with why; every signed operation may also answer 400, 401 and 503. */
  readonly errors?: Readonly<Partial<Record<ErrorStatus, string>>>;
}

const certificateIdParams = { id: { schema: certificateIdParam, description: 'A certificate id, as the API issued it.' } };
const requestIdParams = { id: { schema: requestIdParam, description: 'A certificate request id, as the API issued it.' } };
const noRequest = 'No certificate request with this id in this account and mode.';
const noCertificate = 'No certificate with this id in this account and mode.';
const jsonBodyProblems = 'The body is not `application/json` in UTF-8, or a body came without a Content-Type.';
const tooLarge = 'The body is larger than the worker accepts.';
const notAttachable = 'The certificate is archived, or already holds the most files it may; the answer holds the current record.';
const fileAttached = {
  status: 201,
  description: 'The file was stored and attached: the certificate is at its next version.',
  body: { json: 'FileAttached' },
  also: { status: 200, description: 'The certificate already holds these bytes: that file, and no new version.' },
} as const;

/** A report as JSON and as CSV: the same filters, the same rows. */
function reportOperations(name: 'exposure' | 'over-collection', summary: string): ApiOperation[] {
  const operationId = name === 'exposure' ? 'ExposureReport' : 'OverCollectionReport';
  return [
    {
      method: 'get',
      path: `/reports/${name}`,
      operationId: `get${operationId}`,
      summary,
      description: 'Filtered by transaction date (both ends included) and jurisdiction; amounts as the invoices currently stand, net of credit notes.',
      query: reportQuerySchema,
      success: { status: 200, description: 'The rows, oldest transaction first, and their totals per currency.', body: { json: 'FlaggedReport' } },
    },
    {
      method: 'get',
      path: `/reports/${name}.csv`,
      operationId: `export${operationId}`,
      summary: `${summary}, as CSV`,
      description: 'The same rows as the JSON report, one per line; the certificate is flattened into `certificateId`, `certificateVersion` and `certificateNumber`, taxability reasons are space-separated.',
      query: reportQuerySchema,
      success: {
        status: 200,
        description: 'RFC 4180 CSV in UTF-8 with a byte-order mark; amounts in minor units of `currency`.',
        body: { binary: ['text/csv'] },
        headers: { 'Content-Disposition': '`attachment` with a file name naming the report and its filters.', 'Cache-Control': '`private, no-store`.' },
      },
    },
  ];
}

/** Every operation of /api/v1, in the order the README lists them. */
export const apiOperations: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    public: true,
    success: { status: 200, description: 'The OpenAPI 3.1 document of this API.', body: { json: 'OpenApiDocument' } },
  },
  {
    method: 'get',
    path: '/certificates',
    operationId: 'listCertificates',
    summary: 'List and search certificates',
    description: 'Searches by customer name, email or id prefix, filters by status, jurisdiction and reason, and pages with a cursor.',
    query: listQuerySchema,
    success: { status: 200, description: 'One page of certificates.', body: { json: 'CertificateList' } },
  },
  {
    method: 'post',
    path: '/certificates',
    operationId: 'createCertificate',
    summary: 'Create a certificate (manual entry)',
    body: { json: 'CertificateInput', required: true },
    success: { status: 201, description: 'The certificate, at version 1.', body: { json: 'Certificate' } },
    errors: { 413: tooLarge, 415: jsonBodyProblems, 422: 'The customer does not exist (or was deleted) in this Stripe account.' },
  },
  {
    method: 'get',
    path: '/certificates/export.csv',
    operationId: 'exportCertificates',
    summary: 'Every certificate of the account as CSV, one line per certificate',
    description:
      'Every field, jurisdictions flattened into numbered column groups (`jurisdiction1Code`, `jurisdiction1RegistrationId`, `jurisdiction1EffectiveDate`, `jurisdiction1ExpirationDate`, `jurisdiction2…`). ' +
      '`externalId` is the id the certificate was imported under, else its own id, so the file imports back onto the same certificates. See the README’s “Reports and CSV”.',
    query: certificateExportQuerySchema,
    success: {
      status: 200,
      description: 'RFC 4180 CSV in UTF-8 with a byte-order mark; text a spreadsheet would run as a formula starts with an apostrophe.',
      body: { binary: ['text/csv'] },
      headers: { 'Content-Disposition': '`attachment; filename=certificates-<today>.csv`.', 'Cache-Control': '`private, no-store`.' },
    },
  },
  {
    method: 'post',
    path: '/certificates/import/dry-run',
    operationId: 'dryRunCertificateImport',
    summary: 'Check a certificate CSV: what importing it would do, and every problem by line and column',
    description: 'Writes nothing. The columns are the export’s; rows match certificates by `externalId` within the account.',
    query: certificateExportQuerySchema,
    body: { csv: 'The CSV, as `text/csv` in UTF-8 (the export’s columns; see the README’s “Reports and CSV”).' },
    success: { status: 200, description: 'What each row would do, and the problems (none when the file can be imported).', body: { json: 'ImportReport' } },
    errors: { 413: `The body is larger than the worker accepts, or has more than ${certificateCsvLimits.rows} rows.`, 415: 'The body is not `text/csv` in UTF-8.' },
  },
  {
    method: 'post',
    path: '/certificates/import',
    operationId: 'importCertificates',
    summary: 'Import a certificate CSV (idempotent: matched by external id)',
    description:
      'Only a file without problems is imported; otherwise nothing is written (422). A new external id creates a certificate (source `import`); a changed row edits its certificate ' +
      'through the versioned path (history `imported`, then `archived` if the row archives it); an unchanged row changes nothing, so importing the same file again changes nothing.',
    query: certificateExportQuerySchema,
    body: { csv: 'The CSV, as `text/csv` in UTF-8 (the export’s columns; see the README’s “Reports and CSV”).' },
    success: { status: 200, description: 'What was done to each row.', body: { json: 'ImportReport' } },
    unprocessableSchema: 'ImportRejected',
    errors: {
      409: 'A certificate changed while the import ran: the lines before it are imported, and running the same file again finishes the rest.',
      413: `The body is larger than the worker accepts, or has more than ${certificateCsvLimits.rows} rows.`,
      415: 'The body is not `text/csv` in UTF-8.',
      422: 'Some lines have problems (listed by line and column); nothing was imported.',
    },
    conflictSchema: 'Error',
  },
  {
    method: 'get',
    path: '/customers/:customerId/certificates',
    operationId: 'listCustomerCertificates',
    summary: 'A customer’s certificates and overall status',
    pathParams: { customerId: { schema: customerIdSchema, description: 'A Stripe customer id.' } },
    success: { status: 200, description: 'The customer’s certificates, oldest first.', body: { json: 'CustomerCertificates' } },
  },
  {
    method: 'get',
    path: '/certificates/:id',
    operationId: 'getCertificate',
    summary: 'One certificate with statuses, files, notes and history',
    pathParams: certificateIdParams,
    success: { status: 200, description: 'The certificate.', body: { json: 'CertificateDetail' } },
    errors: { 404: noCertificate },
  },
  {
    method: 'patch',
    path: '/certificates/:id',
    operationId: 'updateCertificate',
    summary: 'Edit details, jurisdictions or notes',
    pathParams: certificateIdParams,
    body: { json: 'CertificatePatch', required: true },
    success: { status: 200, description: 'The certificate at its next version.', body: { json: 'Certificate' } },
    errors: {
      404: noCertificate,
      409: '`expectedVersion` is not the current version, or the certificate is archived; the answer holds the current record.',
      413: tooLarge,
      415: jsonBodyProblems,
    },
  },
  {
    method: 'post',
    path: '/certificates/:id/archive',
    operationId: 'archiveCertificate',
    summary: 'Archive a certificate (idempotent)',
    description: 'An archived certificate is no longer applied. Archiving it again answers 200 with the certificate as it is.',
    pathParams: certificateIdParams,
    body: { json: 'ArchiveRequest', required: false },
    success: { status: 200, description: 'The archived certificate.', body: { json: 'Certificate' } },
    errors: { 404: noCertificate, 409: '`expectedVersion` is not the current version; the answer holds the current record.', 413: tooLarge, 415: jsonBodyProblems },
  },
  {
    method: 'post',
    path: '/certificates/:id/files',
    operationId: 'attachStripeFile',
    summary: 'Attach a file uploaded to Stripe',
    description: 'The worker fetches the Stripe File and keeps its own copy, with size, type (from the bytes) and SHA-256.',
    pathParams: certificateIdParams,
    body: { json: 'AttachFileRequest', required: true },
    success: fileAttached,
    errors: {
      404: noCertificate,
      409: notAttachable,
      413: `The Stripe File is larger than ${certificateLimits.fileBytes} bytes.`,
      415: 'The Stripe File is not a PDF, PNG or JPEG (judged from its bytes), or the body is not `application/json`.',
      422: 'No such Stripe File in this account, it is empty, or it was not uploaded with purpose `tax_document_user_upload`.',
    },
  },
  {
    method: 'post',
    path: '/certificates/:id/files/upload',
    operationId: 'uploadFile',
    summary: 'Upload a file directly (operators)',
    pathParams: certificateIdParams,
    body: { multipart: 'FileUpload' },
    success: fileAttached,
    errors: {
      404: noCertificate,
      409: notAttachable,
      413: `The file is larger than ${certificateLimits.fileBytes} bytes.`,
      415: 'The body is not `multipart/form-data`, or the file is not a PDF, PNG or JPEG (judged from its bytes).',
      422: 'The file is empty.',
    },
  },
  {
    method: 'get',
    path: '/certificates/:id/files/:fileId',
    operationId: 'downloadFile',
    summary: 'Download a certificate file',
    pathParams: {
      ...certificateIdParams,
      fileId: { schema: fileIdParam, description: 'The id of a file of this certificate (`files[].id`).' },
    },
    success: {
      status: 200,
      description: 'The stored bytes, served as the type sniffed when they were stored.',
      body: { binary: certificateFileContentTypes },
      headers: {
        'Content-Disposition': '`attachment` with the stored file name.',
        'X-Content-Type-Options': '`nosniff`.',
        'Content-Security-Policy': '`default-src \'none\'; sandbox`.',
      },
    },
    errors: { 404: 'No such certificate, or no such file on it, in this account and mode.' },
  },
  {
    method: 'post',
    path: '/certificates/:id/files/:fileId/link',
    operationId: 'createFileLink',
    summary: 'A short-lived download link for a certificate file',
    description:
      `For a browser tab, which cannot send the signed headers: the link opens this one file for ${FILE_LINK_LIFETIME_MS / 60_000} minutes, ` +
      'as often as needed. Each call issues a new link.',
    pathParams: {
      ...certificateIdParams,
      fileId: { schema: fileIdParam, description: 'The id of a file of this certificate (`files[].id`).' },
    },
    success: { status: 201, description: 'A new link and when it stops working.', body: { json: 'FileLink' } },
    errors: { 404: 'No such certificate in this account and mode, the certificate has no file, or this file is not on it.' },
  },
  {
    method: 'get',
    path: '/settings',
    operationId: 'getSettings',
    summary: 'The account’s settings',
    success: { status: 200, description: 'The settings (defaults until changed).', body: { json: 'AccountSettings' } },
  },
  {
    method: 'patch',
    path: '/settings',
    operationId: 'updateSettings',
    summary: 'Change the account’s settings',
    body: { json: 'SettingsPatch', required: true },
    success: { status: 200, description: 'The settings after the change.', body: { json: 'AccountSettings' } },
    errors: { 413: tooLarge, 415: jsonBodyProblems },
  },
  {
    method: 'post',
    path: '/coverage/sweep',
    operationId: 'sweepCoverage',
    summary: 'Run the daily status sweep now for this account',
    description: 'Moves certificates into expiring soon / expired as of today and re-syncs Stripe’s tax_exempt for the customers affected.',
    success: { status: 200, description: 'The sweep is queued.', body: { json: 'SweepQueued' } },
  },
  {
    method: 'get',
    path: '/coverage/conflicts',
    operationId: 'listCoverageConflicts',
    summary: 'Customers whose tax_exempt was set by hand against their certificates',
    description: 'Values the merchant set in Stripe by hand are never overwritten; they are listed here instead.',
    success: { status: 200, description: 'The conflicts, one per customer.', body: { json: 'ConflictList' } },
  },
  {
    method: 'get',
    path: '/ledger/entries',
    operationId: 'listLedgerEntries',
    summary: 'Ledger entries, filtered by invoice, customer, period or jurisdiction',
    description: 'Entries are only ever added: negations, credits and revisions sit beside what they adjust.',
    query: ledgerQuerySchema,
    success: { status: 200, description: 'The entries, by transaction date.', body: { json: 'LedgerEntryList' } },
  },
  {
    method: 'get',
    path: '/ledger/totals',
    operationId: 'ledgerTotals',
    summary: 'Taxable, exempt and tax totals, grouped by period, jurisdiction, customer or invoice',
    description: 'Sums per currency; `exposedExempt` and `overCollectedTax` are the flagged parts.',
    query: ledgerTotalsQuerySchema,
    success: { status: 200, description: 'One row per group and currency.', body: { json: 'LedgerTotals' } },
  },
  {
    method: 'get',
    path: '/compliance/summary',
    operationId: 'complianceSummary',
    summary: 'Certificates per status, expiring within 30/60/90 days, and flagged invoices',
    query: complianceSummaryQuerySchema,
    success: { status: 200, description: 'The counts as of today.', body: { json: 'ComplianceSummary' } },
  },
  ...reportOperations('exposure', 'Exposure report: finalized invoices exempted without a valid certificate'),
  ...reportOperations('over-collection', 'Over-collection report: invoices charged tax while a certificate covered them (refund candidates)'),
  {
    method: 'get',
    path: '/audit-package',
    operationId: 'downloadAuditPackage',
    summary: 'An audit package for one customer or a date range (a zip, streamed)',
    description:
      'Give `customerId` (every certificate of the customer, archived ones too, with every ledger entry booked against each) or `from` and `to` ' +
      `(at most ${auditRangeMaxYears} years: the certificates in force on some day of the range or booked against a transaction dated in it, with the entries dated in it). ` +
      'The zip holds one folder: `certificates/<id>/files/…` (each stored file byte for byte), `certificates/<id>/ledger-entries.csv` and `.json` ' +
      '(the entries whose certificate snapshot names the certificate), `manifest.csv` (a line per file), `manifest.json` and `README.txt`. ' +
      'The manifest lists each certificate’s fields, jurisdictions and status, and each file’s path in the zip and SHA-256. ' +
      'A scope with no certificates is a valid zip with an empty manifest. The package is the data as of its `generatedAt`.',
    query: auditPackageQuerySchema,
    success: {
      status: 200,
      description: 'The zip, streamed as it is written; a failure after the first byte cuts the download short.',
      body: { binary: ['application/zip'] },
      headers: { 'Content-Disposition': '`attachment`, `audit-<customer or range>-<today>.zip`.' },
    },
  },
  {
    method: 'post',
    path: '/certificate-requests',
    operationId: 'createCertificateRequest',
    summary: 'Ask a customer for a certificate (emails a single-use link)',
    description:
      'For a customer whose certificate is expiring soon or expired, or who has none, for the jurisdictions given (default: the renewed certificate’s, else the customer’s tax address). ' +
      'The email goes to `email` (default: the Stripe customer’s). The link works once, for the account’s `requestLinkDays`.',
    body: { json: 'CertificateRequestInput', required: true },
    success: { status: 201, description: 'The request, sent.', body: { json: 'CertificateRequest' } },
    conflictSchema: 'Error',
    errors: {
      409: 'The customer’s certificates for these jurisdictions are active and not expiring soon, the renewed certificate is archived, or a request to the customer is already open.',
      413: tooLarge,
      415: jsonBodyProblems,
      422: 'No such customer in Stripe, no email address to send to, no jurisdiction to ask for, or the renewed certificate is not this customer’s.',
    },
  },
  {
    method: 'get',
    path: '/certificate-requests',
    operationId: 'listCertificateRequests',
    summary: 'List requests, newest first, by status and customer',
    query: requestListQuerySchema,
    success: { status: 200, description: 'One page of requests.', body: { json: 'CertificateRequestList' } },
  },
  {
    method: 'get',
    path: '/review-queue',
    operationId: 'listReviewQueue',
    summary: 'Customer submissions waiting for review',
    query: reviewQueueQuerySchema,
    success: { status: 200, description: 'One page of submitted requests, newest first.', body: { json: 'CertificateRequestList' } },
  },
  {
    method: 'get',
    path: '/certificate-requests/:id',
    operationId: 'getCertificateRequest',
    summary: 'One request, with the submission and the review',
    pathParams: requestIdParams,
    success: { status: 200, description: 'The request.', body: { json: 'CertificateRequest' } },
    errors: { 404: noRequest },
  },
  {
    method: 'post',
    path: '/certificate-requests/:id/resend',
    operationId: 'resendCertificateRequest',
    summary: 'Send a new link (the old one stops working), optionally to another address',
    pathParams: requestIdParams,
    body: { json: 'ResendRequest', required: false },
    success: { status: 200, description: 'The request, sent again.', body: { json: 'CertificateRequest' } },
    conflictSchema: 'Error',
    errors: { 404: noRequest, 409: 'The request was submitted, decided or cancelled, or its link was used meanwhile.', 413: tooLarge, 415: jsonBodyProblems },
  },
  {
    method: 'post',
    path: '/certificate-requests/:id/cancel',
    operationId: 'cancelCertificateRequest',
    summary: 'Cancel a request (idempotent); its link stops working',
    pathParams: requestIdParams,
    success: { status: 200, description: 'The cancelled request.', body: { json: 'CertificateRequest' } },
    conflictSchema: 'Error',
    errors: { 404: noRequest, 409: 'The request was submitted or decided.' },
  },
  {
    method: 'post',
    path: '/certificate-requests/:id/approve',
    operationId: 'approveCertificateRequest',
    summary: 'Approve a submission, with corrections',
    description:
      'Creates the certificate (source `customer_submission`, with a copy of the submitted file), archives the certificate the request renews, re-syncs Stripe’s tax_exempt and emails the customer. ' +
      'Each group given (`details`, `jurisdictions`, `notes`) replaces what the customer submitted. Approving an approved request answers the same certificate.',
    pathParams: requestIdParams,
    body: { json: 'ApproveRequest', required: false },
    success: { status: 200, description: 'The approved request and the new certificate.', body: { json: 'RequestApproved' } },
    conflictSchema: 'Error',
    errors: { 404: noRequest, 409: 'The request is not submitted, or was rejected.', 413: tooLarge, 415: jsonBodyProblems },
  },
  {
    method: 'post',
    path: '/certificate-requests/:id/reject',
    operationId: 'rejectCertificateRequest',
    summary: 'Reject a submission with a reason; the customer gets a new link',
    pathParams: requestIdParams,
    body: { json: 'RejectRequest', required: true },
    success: { status: 200, description: 'The rejected request and the new request the customer was sent.', body: { json: 'RequestRejected' } },
    conflictSchema: 'Error',
    errors: { 404: noRequest, 409: 'The request is not submitted, or was approved.', 413: tooLarge, 415: jsonBodyProblems },
  },
  {
    method: 'get',
    path: '/certificate-requests/:id/file',
    operationId: 'downloadSubmittedFile',
    summary: 'Download the file the customer submitted',
    pathParams: requestIdParams,
    success: {
      status: 200,
      description: 'The stored bytes, served as the type sniffed when they were stored.',
      body: { binary: certificateFileContentTypes },
      headers: {
        'Content-Disposition': '`attachment` with the stored file name.',
        'X-Content-Type-Options': '`nosniff`.',
        'Content-Security-Policy': '`default-src \'none\'; sandbox`.',
      },
    },
    errors: { 404: 'No such request in this account and mode, or nothing submitted yet.' },
  },
  {
    method: 'get',
    path: '/periods',
    operationId: 'listPeriods',
    summary: 'Filing periods per jurisdiction, with totals, filed status and the current open period',
    query: periodsQuerySchema,
    success: { status: 200, description: 'Periods per jurisdiction.', body: { json: 'PeriodList' } },
  },
  {
    method: 'post',
    path: '/periods/file',
    operationId: 'filePeriod',
    summary: 'Mark a period filed (audited; not undone by the normal flow)',
    body: { json: 'FilePeriodRequest', required: true },
    success: { status: 200, description: 'The filing (the first one, if the period was filed before).', body: { json: 'FiledPeriod' } },
    errors: { 413: tooLarge, 415: jsonBodyProblems, 422: 'The period is of another frequency than the jurisdiction is filed at, or has not started yet.' },
  },
  {
    method: 'post',
    path: '/certificates/:id/reprocess/preview',
    operationId: 'previewReprocess',
    summary: 'Preview applying the certificate to the customer’s transactions in a date range',
    pathParams: certificateIdParams,
    body: { json: 'ReprocessPreviewRequest', required: true },
    success: { status: 200, description: 'What would change and what would be skipped, with the warnings to acknowledge.', body: { json: 'ReprocessPreview' } },
    errors: { 404: noCertificate, 409: 'The certificate is archived.', 413: tooLarge, 415: jsonBodyProblems, 422: 'The customer is not in Stripe, so their current address cannot be used.' },
  },
  {
    method: 'post',
    path: '/certificates/:id/reprocess',
    operationId: 'startReprocess',
    summary: 'Start a reprocess run, after acknowledging the preview’s warnings',
    pathParams: certificateIdParams,
    body: { json: 'ReprocessStartRequest', required: true },
    success: { status: 201, description: 'The run, queued.', body: { json: 'ReprocessRun' } },
    errors: { 404: noCertificate, 409: 'The certificate is archived.', 413: tooLarge, 415: jsonBodyProblems, 422: 'A warning of the preview was not acknowledged (the answer lists them), or the customer’s address cannot be had.' },
  },
  {
    method: 'get',
    path: '/certificates/:id/reprocess',
    operationId: 'listReprocessRuns',
    summary: 'The certificate’s reprocess runs, newest first',
    pathParams: certificateIdParams,
    success: { status: 200, description: 'The runs.', body: { json: 'ReprocessRunList' } },
    errors: { 404: noCertificate },
  },
  {
    method: 'get',
    path: '/reprocess/:runId',
    operationId: 'getReprocessRun',
    summary: 'One reprocess run: status and progress (processed / total)',
    pathParams: { runId: { schema: z.string().regex(/^rp_[0-9a-f]{24}$/), description: 'A reprocess run id.' } },
    success: { status: 200, description: 'The run.', body: { json: 'ReprocessRun' } },
    errors: { 404: 'No such run in this account and mode.' },
  },
  {
    method: 'post',
    path: '/reprocess/:runId/cancel',
    operationId: 'cancelReprocessRun',
    summary: 'Cancel a run: it stops after the current batch, and what it did stays consistent',
    pathParams: { runId: { schema: z.string().regex(/^rp_[0-9a-f]{24}$/), description: 'A reprocess run id.' } },
    success: { status: 200, description: 'The run, with the time the cancellation was asked for.', body: { json: 'ReprocessRun' } },
    errors: { 404: 'No such run in this account and mode.' },
  },
];

/** `/certificates/:id` → `/certificates/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const signedErrors: Readonly<Partial<Record<ErrorStatus, string>>> = {
  400: 'The request does not match its schema (the answer names each field and why), or its query string cannot be read.',
  401: 'The Stripe App signature is missing, malformed, older than 300 s, or not made for this request with the app’s secret.',
  503: 'No app signing secret is configured on the worker.',
};

function errorSchemaFor(status: ErrorStatus, operation: ApiOperation): ResponseComponent {
  if (status === 409) return operation.conflictSchema ?? 'ConflictError';
  if (status === 422) return operation.unprocessableSchema ?? 'Error';
  return 'Error';
}

function jsonContent(component: string): JsonObject {
  return { 'application/json': { schema: { $ref: componentRef(component) } } };
}

function parametersOf(operation: ApiOperation, requestRegistry: z.core.$ZodRegistry<SchemaMeta>): JsonObject[] {
  const parameters: JsonObject[] = Object.entries(operation.pathParams ?? {}).map(([name, { schema, description }]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: convert(schema, 'input', requestRegistry),
  }));
  if (operation.query !== undefined) {
    const query = convert(operation.query, 'input', requestRegistry);
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(query.properties as Record<string, JsonObject>)) {
      const { description, ...schema } = property;
      parameters.push({ name, in: 'query', required: required.has(name), ...(description === undefined ? {} : { description }), schema });
    }
  }
  return parameters;
}

function requestBodyOf(body: RequestBody): JsonObject {
  if ('csv' in body) return { required: true, description: body.csv, content: { 'text/csv': { schema: { type: 'string' } } } };
  if ('multipart' in body) {
    return {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { $ref: componentRef(body.multipart) },
          encoding: { file: { contentType: certificateFileContentTypes.join(', ') } },
        },
      },
    };
  }
  return { required: body.required, content: jsonContent(body.json) };
}

function responsesOf(operation: ApiOperation): JsonObject {
  const { success } = operation;
  const content = 'json' in success.body ? jsonContent(success.body.json) : Object.fromEntries(success.body.binary.map((type) => [type, {}]));
  const headers =
    success.headers === undefined
      ? {}
      : { headers: Object.fromEntries(Object.entries(success.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) };
  const responses: Record<string, JsonObject> = {};
  if (success.also !== undefined) responses[success.also.status] = { description: success.also.description, ...headers, content };
  responses[success.status] = { description: success.description, ...headers, content };
  const errors = { ...(operation.public === true ? {} : signedErrors), ...operation.errors };
  for (const status of (Object.keys(errors).map(Number) as ErrorStatus[]).sort((a, b) => a - b)) {
    responses[status] = { description: errors[status], content: jsonContent(errorSchemaFor(status, operation)) };
  }
  return responses;
}

const securitySchemes = {
  StripeSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Stripe-Signature',
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256>` from the Stripe App’s `fetchStripeSignature`, over the method, path, canonical query, body SHA-256, ' +
      'mode, user and account, with the app’s signing secret (`absec_…`); at most 300 s old. See docs/api-authentication.md; ' +
      'operators sign with `npm run api`.',
  },
  StripeUserId: { type: 'apiKey', in: 'header', name: 'X-Stripe-User-Id', description: 'The Dashboard user (`usr_…`) the signature was made for.' },
  StripeAccountId: { type: 'apiKey', in: 'header', name: 'X-Stripe-Account-Id', description: 'The account (`acct_…`) the signature was made for: the tenant.' },
  StripeLivemode: { type: 'apiKey', in: 'header', name: 'X-Stripe-Livemode', description: '`true` or `false`: the mode the signature was made for.' },
} as const;

/** All four headers together: one security requirement naming every scheme. */
const signedSecurity = [Object.fromEntries(Object.keys(securitySchemes).map((name) => [name, []]))];

/** Builds the document; the same input always gives the same JSON, key order included. */
export function buildOpenApiDocument(): JsonObject {
  const requestRegistry = registryOf(requestComponents);
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const operation of apiOperations) {
    const path = openApiPath(operation.path);
    const item = (paths[path] ??= {});
    if (item[operation.method] !== undefined) throw new Error(`Operation ${operation.method.toUpperCase()} ${operation.path} is listed twice`);
    const parameters = parametersOf(operation, requestRegistry);
    item[operation.method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description === undefined ? {} : { description: operation.description }),
      ...(operation.public === true ? { security: [] } : {}),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(operation.body === undefined ? {} : { requestBody: requestBodyOf(operation.body) }),
      responses: responsesOf(operation),
    };
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Exemption certificates API',
      version: '1',
      description:
        'The API behind the Stripe App: exemption certificates, their files and history, and account settings. ' +
        'Every call except this document is signed by the Stripe App (see docs/api-authentication.md). ' +
        'Errors answer `{ "error": { "message", "details"? } }`.',
    },
    servers: [{ url: API_BASE_PATH, description: 'Relative to the worker’s base URL' }],
    security: signedSecurity,
    paths,
    components: { schemas: componentSchemas(), securitySchemes },
  };
}

/** The document as committed in docs/openapi.json: two-space indentation and a final newline. */
export function openApiJson(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

/** `GET /api/v1/openapi.json`: public, so mount it before the signature check. Built once, on first use. */
export function serveOpenApiDocument(): RequestHandler {
  let body: string | undefined;
  return (_req, res) => {
    body ??= openApiJson();
    res.type('application/json').send(body);
  };
}
