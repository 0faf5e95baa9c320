/**
 * The one way the UI talks to the certificates service: every call is signed
 * (`signedRequestHeaders`), sent as JSON, and every failure becomes one of the errors in
 * ./errors. Views never call `fetch`; they go through `CertificatesApi` (./certificatesApi).
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { FetchStripeSignature } from '@stripe/ui-extension-sdk/signature';
import { errorFromResponse, NetworkError } from './errors';
import { signedRequestHeaders } from './signing';

/** The part of a fetch `Response` the client reads, so tests can answer without a network. */
export interface ResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<ResponseLike>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH';

export type QueryValue = string | number | boolean | undefined;

export interface ApiClientOptions {
  /** The service's API directory, as listed in the manifest's connect-src: `https://host/api/`. */
  readonly backendUrl: string;
  readonly context: Pick<ExtensionContextValue, 'userContext' | 'environment'>;
  readonly fetch: FetchLike;
  readonly sign: FetchStripeSignature;
}

/** The manifest names no backend (`constants.backendUrl`): the app cannot work, and says why. */
export class MissingBackendError extends Error {
  override readonly name = 'MissingBackendError';
  constructor() {
    super('This app has no certificates service configured: set constants.backendUrl in stripe-app.json to the service’s https://host/api/ address.');
  }
}

/** `constants.backendUrl` from the manifest, which must also be one of its connect-src entries. */
export function backendUrlOf(context: Pick<ExtensionContextValue, 'environment'>): string {
  const constants = context.environment.constants;
  const value = typeof constants === 'object' && constants !== null && !Array.isArray(constants) ? (constants as Record<string, unknown>).backendUrl : undefined;
  if (typeof value !== 'string' || value === '') throw new MissingBackendError();
  return value.endsWith('/') ? value : `${value}/`;
}

/** What `CertificatesApi` needs of a client: one signed JSON call. */
export interface RequestSender {
  request<T>(method: HttpMethod, path: string, options?: { query?: Readonly<Record<string, QueryValue>>; body?: unknown }): Promise<T>;
}

/** A client for an app without a configured backend: every call fails with the reason, so each view shows it. */
export class UnconfiguredClient implements RequestSender {
  constructor(private readonly reason: Error) {}

  request<T>(): Promise<T> {
    return Promise.reject(this.reason);
  }
}

export class ApiClient implements RequestSender {
  private readonly base: URL;

  constructor(private readonly options: ApiClientOptions) {
    this.base = new URL('v1/', options.backendUrl);
  }

  /** `path` is relative to /api/v1 (`/certificates/cert_…`); query values left undefined are not sent. */
  async request<T>(method: HttpMethod, path: string, options: { query?: Readonly<Record<string, QueryValue>>; body?: unknown } = {}): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.append(name, String(value));
    }
    // The exact string that is signed is the exact string that is sent: the worker hashes the raw body.
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = await signedRequestHeaders({ method, url: url.toString(), ...(body === undefined ? {} : { body }) }, this.options.context, this.options.sign);
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response: ResponseLike;
    try {
      response = await this.options.fetch(url.toString(), { method, headers, ...(body === undefined ? {} : { body }) });
    } catch {
      throw new NetworkError(this.base.origin);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.status < 200 || response.status > 299) throw errorFromResponse(response.status, parsed);
    return parsed as T;
  }
}
