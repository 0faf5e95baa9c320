/**
 * The certificates service as the app sees it over the network, in memory: routes answer what
 * a test says, every request is recorded, and both sides are held to docs/openapi.json — a
 * request body the worker would refuse, or an answer the worker could not give, is recorded as
 * a contract violation and fails the test (`expectNoViolations`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { NestableJSONValue } from '@stripe/ui-extension-sdk/types/util';
import type { FetchLike, ResponseLike } from '../../../stripe-app/src/api/client';
import type { Platform, ToastKind } from '../../../stripe-app/src/platform';

type Json = Record<string, unknown>;

const document = JSON.parse(readFileSync(path.resolve(__dirname, '../../../docs/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> }; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
  components: { schemas: Json };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('binary', true);
ajv.addSchema({ $id: 'https://openapi.invalid/components', $defs: JSON.parse(JSON.stringify(document.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json });

function validatorFor(ref: string): ValidateFunction {
  const validate = ajv.getSchema(`https://openapi.invalid/components${ref.replace('#/components/schemas/', '#/$defs/')}`);
  if (validate === undefined) throw new Error(`no schema for ${ref}`);
  return validate;
}

/** `/certificates/{id}` → a pattern for `/certificates/cert_…`. */
const operations = Object.entries(document.paths).map(([template, methods]) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  methods,
}));

export interface RecordedRequest {
  readonly method: string;
  /** Relative to /api/v1. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly rawBody: string | undefined;
  readonly headers: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

export type Handler = (request: RecordedRequest, params: Record<string, string>) => Answer | Promise<Answer>;

export interface Deferred {
  readonly promise: Promise<Answer>;
  resolve(answer: Answer): void;
}

export function deferred(): Deferred {
  let resolve: (answer: Answer) => void = () => undefined;
  const promise = new Promise<Answer>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

export const ok = (body: unknown): Answer => ({ status: 200, body });

export class FakeService {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly toasts: { message: string; kind: ToastKind | undefined }[] = [];
  readonly signed: (NestableJSONValue | null)[] = [];
  private readonly routes: { method: string; pattern: RegExp; names: string[]; handler: Handler }[] = [];

  constructor(private readonly base = 'https://exemptions.example.com/api/v1') {}

  /** Answers `METHOD /path/:param` (relative to /api/v1); a later route for the same request wins. */
  on(method: string, route: string, handler: Handler | Answer): this {
    const names: string[] = [];
    const pattern = new RegExp(`^${route.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`);
    this.routes.unshift({ method, pattern, names, handler: typeof handler === 'function' ? handler : () => handler });
    return this;
  }

  /** Requests with this method and path, in order. */
  calls(method: string, pathname: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === pathname);
  }

  readonly fetch: FetchLike = async (url, init) => {
    const parsed = new URL(url);
    if (!url.startsWith(this.base)) throw new TypeError(`fetch to ${url}: outside the service`);
    const pathname = parsed.pathname.slice(new URL(this.base).pathname.length);
    const body = init.body === undefined ? undefined : (JSON.parse(init.body) as unknown);
    const request: RecordedRequest = { method: init.method, path: pathname, query: Object.fromEntries(parsed.searchParams), body, rawBody: init.body, headers: init.headers };
    this.requests.push(request);
    this.checkSignature(request);
    const operation = this.operationOf(request);
    const bodyProblem = operation !== undefined && body !== undefined ? this.checkRequestBody(request, operation) : null;

    const route = this.routes.find((candidate) => candidate.method === init.method && candidate.pattern.test(pathname));
    let answer: Answer;
    if (route === undefined) {
      this.violations.push(`no answer prepared for ${init.method} ${pathname}`);
      answer = { status: 404, body: { error: { message: `No route for ${init.method} ${pathname}` } } };
    } else {
      const match = route.pattern.exec(pathname) ?? [];
      answer = await route.handler(request, Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')])));
    }
    if (operation !== undefined) this.checkAnswer(request, operation, answer);
    // A body the worker would refuse is fine only where the test answers as the worker would: with a 4xx.
    if (bodyProblem !== null && answer.status < 400) this.violations.push(bodyProblem);
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const response: ResponseLike = { status: answer.status, text: () => Promise.resolve(text) };
    return response;
  };

  /** What the app would ask Stripe to sign; the worker recomputes these from the request it gets. */
  private readonly unmatched: (NestableJSONValue | null)[] = [];

  readonly sign = (payload?: NestableJSONValue): Promise<string> => {
    this.signed.push(payload ?? null);
    this.unmatched.push(payload ?? null);
    return Promise.resolve(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`);
  };

  platform(overrides: Partial<Platform> = {}): Platform {
    return {
      fetch: this.fetch,
      sign: this.sign,
      toast: (message, kind) => this.toasts.push({ message, kind }),
      pollIntervalMs: 1,
      ...overrides,
    };
  }

  private operationOf(request: RecordedRequest) {
    const operation = operations.find((candidate) => candidate.pattern.test(request.path));
    const described = operation?.methods[request.method.toLowerCase()];
    if (described === undefined) {
      this.violations.push(`${request.method} ${request.path} is not an operation of docs/openapi.json`);
      return undefined;
    }
    return described;
  }

  /** Each request must come with a signature made for its method, path and exact body (calls run concurrently, so any unused one). */
  private checkSignature(request: RecordedRequest): void {
    const sha = createHash('sha256').update(request.rawBody ?? '').digest('hex');
    const index = this.unmatched.findIndex((payload) => {
      const fields = payload as { method?: string; path?: string; body_sha256?: string } | null;
      return fields?.method === request.method && fields.path === `/api/v1${request.path}` && fields.body_sha256 === sha;
    });
    if (request.headers['Stripe-Signature'] === undefined || index === -1) this.violations.push(`${request.method} ${request.path} was not signed for what it sends`);
    else this.unmatched.splice(index, 1);
  }

  /** What is wrong with the request body by the document, or null. */
  private checkRequestBody(request: RecordedRequest, operation: { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }): string | null {
    const ref = operation.requestBody?.content['application/json']?.schema.$ref;
    if (ref === undefined) return `${request.method} ${request.path} sends a body the operation does not take`;
    const validate = validatorFor(ref);
    return validate(request.body) ? null : `${request.method} ${request.path} body: ${ajv.errorsText(validate.errors)}`;
  }

  private checkAnswer(request: RecordedRequest, operation: { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }, answer: Answer): void {
    const documented = operation.responses[String(answer.status)];
    if (documented === undefined) {
      this.violations.push(`${request.method} ${request.path} cannot answer ${answer.status}`);
      return;
    }
    const ref = documented.content?.['application/json']?.schema?.$ref;
    if (ref === undefined) return;
    const validate = validatorFor(ref);
    if (!validate(answer.body)) this.violations.push(`${request.method} ${request.path} → ${answer.status}: ${ajv.errorsText(validate.errors)}`);
  }
}
