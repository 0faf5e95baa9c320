/**
 * The OpenAPI document (worker/src/http/openapi.ts, committed as docs/openapi.json): it is
 * valid, it is what the code generates, it is served, it lists every route and no other,
 * and what the API really answers matches what it documents.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ObjectId } from 'mongodb';
import { customerIdSchema } from '@exemptions/shared';
import { newCertificateId } from '../../worker/src/certificates/routes.js';
import { isStoredFileId } from '../../worker/src/files/fileStore.js';
import { createApiRouter } from '../../worker/src/http/api.js';
import { apiOperations, buildOpenApiDocument, openApiJson, openApiPath } from '../../worker/src/http/openapi.js';
import { repoRoot } from '../../worker/src/paths.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { signedFetch } from '../../worker/src/tools/signedFetch.js';
import { ApiClient, type ApiResponse } from '../support/api.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { startTestService, type TestService } from '../support/service.js';

// ajv-formats is CommonJS: imported from ESM, its plugin is the module's `default` property.
const addFormats = addFormatsModule.default;

type Json = Record<string, unknown>;

const merchant: Tenant = { accountId: 'acct_1OpenApi00000001', livemode: false };
/** The smallest PNG: a 1×1 pixel. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const document = buildOpenApiDocument();
const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
const paths = document.paths as Record<string, Record<string, { parameters?: Json[]; responses: Record<string, Json> }>>;

// --- Express's router, walked -------------------------------------------------------------

/** The parts of an Express 5 (router 2) layer the walk reads; @types/express does not declare them all. */
interface RouterLayer {
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean | undefined> };
  readonly handle: unknown;
  /** True for `use()` without a path. */
  readonly slash?: boolean;
  readonly rawPath?: unknown;
}

function isRouter(handle: unknown): handle is { stack: RouterLayer[] } {
  return typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);
}

/** `METHOD /path` of every route registered on the router and the routers it mounts. */
function registeredRoutes(stack: readonly RouterLayer[], prefix = ''): string[] {
  const routes: string[] = [];
  for (const layer of stack) {
    if (layer.route !== undefined) {
      const { path: routePath, methods } = layer.route;
      if (typeof routePath !== 'string') throw new Error(`A route with a non-string path (${String(routePath)}) cannot be documented: give it a string path`);
      for (const [method, on] of Object.entries(methods)) {
        if (!on) continue;
        if (method === '_all') throw new Error(`${prefix}${routePath} answers every method: register the methods one by one so the document can list them`);
        routes.push(`${method.toUpperCase()} ${prefix}${routePath}`);
      }
    } else if (isRouter(layer.handle)) {
      if (layer.slash === true) routes.push(...registeredRoutes(layer.handle.stack, prefix));
      else if (typeof layer.rawPath === 'string') routes.push(...registeredRoutes(layer.handle.stack, `${prefix}${layer.rawPath}`));
      else throw new Error(`A router mounted at ${String(layer.rawPath)} cannot be walked: mount it at a string path`);
    }
  }
  return routes;
}

// --- Validating answers against the document ---------------------------------------------

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// OpenAPI's name for file contents; an annotation, not a constraint.
ajv.addFormat('binary', true);
ajv.addSchema({ $id: 'https://openapi.invalid/components', $defs: JSON.parse(JSON.stringify(schemas).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json });

function componentValidator(ref: string): ValidateFunction {
  const validate = ajv.getSchema(`https://openapi.invalid/components${ref.replace('#/components/schemas/', '#/$defs/')}`);
  if (validate === undefined) throw new Error(`no schema for ${ref}`);
  return validate;
}

/** Fails unless the document lists this status for the operation and the body matches its schema. */
function expectDocumented(method: string, expressPath: string, response: ApiResponse): void {
  const operation = paths[openApiPath(expressPath)]?.[method.toLowerCase()];
  expect({ operation: `${method} ${expressPath}`, documented: operation !== undefined }).toEqual({ operation: `${method} ${expressPath}`, documented: true });
  const documented = operation?.responses[String(response.status)] as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined;
  expect({ operation: `${method} ${expressPath}`, status: response.status, documented: documented !== undefined }).toEqual({
    operation: `${method} ${expressPath}`,
    status: response.status,
    documented: true,
  });
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  const content = documented?.content?.[contentType];
  expect({ status: response.status, contentType, documented: content !== undefined }).toEqual({ status: response.status, contentType, documented: true });
  const ref = content?.schema?.$ref;
  if (ref === undefined) return;
  const validate = componentValidator(ref);
  const valid = validate(response.body);
  expect({ operation: `${method} ${expressPath} → ${response.status}`, errors: valid ? [] : validate.errors }).toEqual({
    operation: `${method} ${expressPath} → ${response.status}`,
    errors: [],
  });
}

describe('the OpenAPI document', () => {
  it('is committed as docs/openapi.json exactly as the code generates it (run `npm run openapi` after changing a route or schema)', async () => {
    const committed = await readFile(path.join(repoRoot, 'docs', 'openapi.json'), 'utf8');
    expect(committed).toBe(openApiJson());
  });

  it('is the same on every build, key order included', () => {
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(document));
  });

  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(openApiJson()) as Json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has component schemas that compile as JSON Schema 2020-12 in strict mode', () => {
    for (const name of Object.keys(schemas)) expect(() => componentValidator(`#/components/schemas/${name}`)).not.toThrow();
  });

  it('documents the request schemas the routes validate with, as a client sends them', () => {
    const input = schemas.CertificateInput as { required: string[]; additionalProperties: unknown };
    // Fields with a default may be left out; unknown fields are refused.
    expect(input.required).toEqual(['customerId', 'reason', 'form', 'purchase', 'jurisdictions']);
    expect(input.additionalProperties).toBe(false);
    const list = paths['/certificates']?.get?.parameters ?? [];
    expect(list.map((p) => p.name)).toEqual(['q', 'status', 'jurisdiction', 'reason', 'sort', 'limit', 'cursor']);
    expect(list.every((p) => p.in === 'query' && p.required === false)).toBe(true);
  });

  it('describes the path parameters as the ids the API issues', () => {
    const pattern = (apiPath: string, method: string, name: string): RegExp => {
      const parameter = paths[apiPath]?.[method]?.parameters?.find((p) => p.name === name) as { schema: { pattern: string } } | undefined;
      if (parameter === undefined) throw new Error(`no parameter ${name} on ${method} ${apiPath}`);
      return new RegExp(parameter.schema.pattern);
    };
    const certificateId = pattern('/certificates/{id}', 'get', 'id');
    for (let i = 0; i < 20; i += 1) expect(newCertificateId()).toMatch(certificateId);
    expect('cert_123').not.toMatch(certificateId);

    const fileId = pattern('/certificates/{id}/files/{fileId}', 'get', 'fileId');
    for (const candidate of [`cfile_${new ObjectId().toHexString()}`, 'cfile_123', 'file_abc', `cfile_${'G'.repeat(24)}`]) {
      expect({ candidate, documented: fileId.test(candidate) }).toEqual({ candidate, documented: isStoredFileId(candidate) });
    }

    const customerId = pattern('/customers/{customerId}/certificates', 'get', 'customerId');
    for (const candidate of ['cus_Acme123', 'cus_', 'acct_1', 'cus_a-b']) {
      expect({ candidate, documented: customerId.test(candidate) }).toEqual({ candidate, documented: customerIdSchema.safeParse(candidate).success });
    }
  });

  it('signs every operation with the four Stripe App headers, except the document itself', () => {
    expect(document.security).toEqual([{ StripeSignature: [], StripeUserId: [], StripeAccountId: [], StripeLivemode: [] }]);
    const schemes = (document.components as { securitySchemes: Record<string, { in: string; name: string }> }).securitySchemes;
    expect(Object.values(schemes).map((s) => `${s.in}:${s.name}`)).toEqual([
      'header:Stripe-Signature',
      'header:X-Stripe-User-Id',
      'header:X-Stripe-Account-Id',
      'header:X-Stripe-Livemode',
    ]);
    for (const [apiPath, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const isPublic = apiPath === '/openapi.json';
        expect({ operation: `${method} ${apiPath}`, security: (operation as Json).security }).toEqual({ operation: `${method} ${apiPath}`, security: isPublic ? [] : undefined });
        expect({ operation: `${method} ${apiPath}`, has401: '401' in operation.responses }).toEqual({ operation: `${method} ${apiPath}`, has401: !isPublic });
      }
    }
  });
});

describe('the OpenAPI document against the running API', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Docs', name: 'Docs Depot', email: 'tax@docs.example' })
    .addFile(merchant, { id: 'file_DocsPng', filename: 'certificate.png', bytes: PNG });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  it('lists every route registered on the API router, and no route the router lacks', () => {
    const router = createApiRouter(service.context);
    const registered = registeredRoutes(router.stack as unknown as RouterLayer[]).sort();
    const documented = apiOperations.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`).sort();
    expect(registered.length).toBeGreaterThan(0);
    expect(documented).toEqual(registered);
  });

  it('is served at /api/v1/openapi.json without a signature, with the API’s CORS answer for the app’s null origin', async () => {
    const response = await fetch(new URL('/api/v1/openapi.json', service.url ?? ''), { headers: { Origin: 'null' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.text()).toBe(openApiJson());

    const preflight = await fetch(new URL('/api/v1/openapi.json', service.url ?? ''), {
      method: 'OPTIONS',
      headers: { Origin: 'null', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('still requires a signature for everything else under /api/v1', async () => {
    const response = await fetch(new URL('/api/v1/certificates', service.url ?? ''));
    expect(response.status).toBe(401);
  });

  it('matches what every operation really answers, successes and failures alike', async () => {
    const certificate = {
      customerId: 'cus_Docs',
      reason: 'resale',
      form: 'single_state',
      purchase: { type: 'blanket' },
      jurisdictions: [{ code: 'us-tx', effectiveDate: '2026-01-01', expirationDate: '2027-12-31' }],
    };
    const created = await api.post<{ id: string; version: number }>('/api/v1/certificates', certificate);
    expectDocumented('POST', '/certificates', created);
    expect(created.status).toBe(201);
    const id = created.body.id;

    expectDocumented('POST', '/certificates', await api.post('/api/v1/certificates', { ...certificate, customerId: 'cus_Nobody' }));
    expectDocumented('POST', '/certificates', await api.post('/api/v1/certificates', { ...certificate, color: 'blue' }));
    expectDocumented('GET', '/certificates', await api.get('/api/v1/certificates?status=active&jurisdiction=US-TX&limit=1'));
    expectDocumented('GET', '/certificates', await api.get('/api/v1/certificates?limit=0'));
    expectDocumented('GET', '/customers/:customerId/certificates', await api.get('/api/v1/customers/cus_Docs/certificates'));
    expectDocumented('GET', '/customers/:customerId/certificates', await api.get('/api/v1/customers/cus_Empty/certificates'));
    expectDocumented('GET', '/certificates/:id', await api.get(`/api/v1/certificates/${id}`));
    expectDocumented('GET', '/certificates/:id', await api.get(`/api/v1/certificates/${newCertificateId()}`));

    const edited = await api.patch(`/api/v1/certificates/${id}`, { expectedVersion: 1, notes: 'Checked' });
    expectDocumented('PATCH', '/certificates/:id', edited);
    expect(edited.status).toBe(200);
    const stale = await api.patch(`/api/v1/certificates/${id}`, { expectedVersion: 1, notes: 'Stale' });
    expectDocumented('PATCH', '/certificates/:id', stale);
    expect(stale.status).toBe(409);

    const uploadForm = new FormData();
    uploadForm.append('file', new Blob([new Uint8Array(PNG)]), 'scan.png');
    const encoded = new Request('http://localhost/', { method: 'POST', body: uploadForm });
    const uploadResponse = await signedFetch(
      service.url ?? '',
      {
        method: 'POST',
        target: `/api/v1/certificates/${id}/files/upload`,
        body: Buffer.from(await encoded.arrayBuffer()),
        contentType: encoded.headers.get('content-type') ?? '',
      },
      api.identity,
    );
    const uploaded = { status: uploadResponse.status, headers: uploadResponse.headers, body: (await uploadResponse.json()) as unknown };
    expectDocumented('POST', '/certificates/:id/files/upload', uploaded);
    expect(uploaded.status).toBe(201);
    const attachedAgain = await api.post(`/api/v1/certificates/${id}/files`, { stripeFileId: 'file_DocsPng' });
    expectDocumented('POST', '/certificates/:id/files', attachedAgain);
    expect(attachedAgain.status).toBe(200);
    expectDocumented('POST', '/certificates/:id/files', await api.post(`/api/v1/certificates/${id}/files`, { stripeFileId: 'file_Missing' }));

    const fileId = (uploaded.body as { file: { id: string } }).file.id;
    const download = await api.get(`/api/v1/certificates/${id}/files/${fileId}`);
    expectDocumented('GET', '/certificates/:id/files/:fileId', download);
    expect(download.status).toBe(200);
    expectDocumented('GET', '/certificates/:id/files/:fileId', await api.get(`/api/v1/certificates/${id}/files/cfile_${new ObjectId().toHexString()}`));
    const link = await api.post(`/api/v1/certificates/${id}/files/${fileId}/link`);
    expectDocumented('POST', '/certificates/:id/files/:fileId/link', link);
    expect(link.status).toBe(201);
    expectDocumented('POST', '/certificates/:id/files/:fileId/link', await api.post(`/api/v1/certificates/${id}/files/cfile_${new ObjectId().toHexString()}/link`));

    const archived = await api.post(`/api/v1/certificates/${id}/archive`, { reason: 'Replaced' });
    expectDocumented('POST', '/certificates/:id/archive', archived);
    expect(archived.status).toBe(200);
    expectDocumented('POST', '/certificates/:id/archive', await api.post(`/api/v1/certificates/${id}/archive`));
    expectDocumented('POST', '/certificates/:id/files', await api.post(`/api/v1/certificates/${id}/files`, { stripeFileId: 'file_DocsPng' }));

    expectDocumented('GET', '/settings', await api.get('/api/v1/settings'));
    expectDocumented('PATCH', '/settings', await api.patch('/api/v1/settings', { timeZone: 'America/Chicago' }));
    expectDocumented('PATCH', '/settings', await api.patch('/api/v1/settings', { timeZone: 'Mars/Olympus' }));
    expectDocumented('GET', '/compliance/summary', await api.get('/api/v1/compliance/summary'));
    expectDocumented('GET', '/compliance/summary', await api.get('/api/v1/compliance/summary?status=active'));

    const unsigned = await fetch(new URL('/api/v1/settings', service.url ?? ''));
    expectDocumented('GET', '/settings', { status: unsigned.status, headers: unsigned.headers, body: await unsigned.json() });

    const served = await fetch(new URL('/api/v1/openapi.json', service.url ?? ''));
    expectDocumented('GET', '/openapi.json', { status: served.status, headers: served.headers, body: await served.json() });
  });
});

describe('the OpenAPI document against the certificate request routes', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Asks', name: 'Asks Co', email: 'tax@asks.example' }).addCustomer(merchant, { id: 'cus_Mute', name: 'Mute Co' });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  it('matches what the request and review routes really answer', async () => {
    const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId: 'cus_Asks', jurisdictions: ['US-TX'], message: 'Please' });
    expectDocumented('POST', '/certificate-requests', created);
    expect(created.status).toBe(201);
    const id = created.body.id;
    expectDocumented('POST', '/certificate-requests', await api.post('/api/v1/certificate-requests', { customerId: 'cus_Asks', jurisdictions: ['US-CA'] }));
    expectDocumented('POST', '/certificate-requests', await api.post('/api/v1/certificate-requests', { customerId: 'cus_Mute', jurisdictions: ['US-TX'] }));
    expectDocumented('POST', '/certificate-requests', await api.post('/api/v1/certificate-requests', { customerId: 'nobody' }));
    expectDocumented('GET', '/certificate-requests', await api.get('/api/v1/certificate-requests?status=sent&limit=5'));
    expectDocumented('GET', '/review-queue', await api.get('/api/v1/review-queue'));
    expectDocumented('GET', '/certificate-requests/:id', await api.get(`/api/v1/certificate-requests/${id}`));
    expectDocumented('GET', '/certificate-requests/:id', await api.get('/api/v1/certificate-requests/creq_000000000000000000000000'));
    expectDocumented('POST', '/certificate-requests/:id/resend', await api.post(`/api/v1/certificate-requests/${id}/resend`, { email: 'other@asks.example' }));
    expectDocumented('GET', '/certificate-requests/:id/file', await api.get(`/api/v1/certificate-requests/${id}/file`));
    expectDocumented('POST', '/certificate-requests/:id/approve', await api.post(`/api/v1/certificate-requests/${id}/approve`, {}));
    expectDocumented('POST', '/certificate-requests/:id/reject', await api.post(`/api/v1/certificate-requests/${id}/reject`, { reason: 'Unsigned' }));
    expectDocumented('POST', '/certificate-requests/:id/reject', await api.post(`/api/v1/certificate-requests/${id}/reject`, {}));
    expectDocumented('POST', '/certificate-requests/:id/cancel', await api.post(`/api/v1/certificate-requests/${id}/cancel`));
    expectDocumented('POST', '/certificate-requests/:id/resend', await api.post(`/api/v1/certificate-requests/${id}/resend`, {}));
  });
});

describe('the OpenAPI document against the report and certificate CSV routes', () => {
  let service: TestService;
  let api: ApiClient;
  const stripe = new FakeStripe().addCustomer(merchant, { id: 'cus_Csv', name: 'Csv Co', email: 'tax@csv.example' });

  beforeAll(async () => {
    service = await startTestService({ role: 'web', stripe });
    api = new ApiClient(service.url ?? '', merchant);
  });
  afterAll(() => service.dispose());

  async function postCsv(path: string, csv: string, contentType = 'text/csv'): Promise<ApiResponse> {
    const response = await signedFetch(service.url ?? '', { method: 'POST', target: `/api/v1${path}`, body: csv, contentType }, api.identity);
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  }

  it('matches what the reports and the CSV export and import really answer', async () => {
    for (const name of ['exposure', 'over-collection']) {
      expectDocumented('GET', `/reports/${name}`, await api.get(`/api/v1/reports/${name}?from=2026-05-01&to=2026-05-31&jurisdiction=US-TX`));
      expectDocumented('GET', `/reports/${name}`, await api.get(`/api/v1/reports/${name}?from=2026-05-31&to=2026-05-01`));
      expectDocumented('GET', `/reports/${name}.csv`, await api.get(`/api/v1/reports/${name}.csv`));
      expectDocumented('GET', `/reports/${name}.csv`, await api.get(`/api/v1/reports/${name}.csv?jurisdiction=Mars`));
    }
    const header = 'externalId,customerId,reason,form,purchaseType,jurisdiction1Code,jurisdiction1EffectiveDate';
    const good = `${header}\nrow-1,cus_Csv,resale,single_state,blanket,US-TX,2026-01-01\n`;
    const bad = `${header}\nrow-2,cus_Csv,because,single_state,blanket,US-TX,2026-01-01\n`;
    expectDocumented('POST', '/certificates/import/dry-run', await postCsv('/certificates/import/dry-run', bad));
    expectDocumented('POST', '/certificates/import/dry-run', await postCsv('/certificates/import/dry-run', good, 'application/json'));
    const refused = await postCsv('/certificates/import', bad);
    expect(refused.status).toBe(422);
    expectDocumented('POST', '/certificates/import', refused);
    const imported = await postCsv('/certificates/import', good);
    expect(imported.status).toBe(200);
    expectDocumented('POST', '/certificates/import', imported);
    expectDocumented('GET', '/certificates/export.csv', await api.get('/api/v1/certificates/export.csv'));
    expectDocumented('GET', '/certificates/export.csv', await api.get('/api/v1/certificates/export.csv?all=1'));
  });
});
