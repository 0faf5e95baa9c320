import { signedFetch, type CallerIdentity } from '../../worker/src/tools/signedFetch.js';
import type { Tenant } from '../../worker/src/tenancy.js';

export const TEST_APP_SECRET = 'absec_test_0000000000000000000000';

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A signed client for one tenant, as the Stripe App of that account and mode would call. */
export class ApiClient {
  readonly identity: CallerIdentity;

  constructor(
    readonly baseUrl: string,
    tenant: Tenant,
    userId = 'usr_test0000001',
    secret = TEST_APP_SECRET,
  ) {
    this.identity = { secret, userId, accountId: tenant.accountId, livemode: tenant.livemode };
  }

  /** The same client for another tenant (isolation tests). */
  as(tenant: Tenant): ApiClient {
    return new ApiClient(this.baseUrl, tenant, this.identity.userId, this.identity.secret);
  }

  async request<T = unknown>(method: string, target: string, json?: unknown): Promise<ApiResponse<T>> {
    const response = await signedFetch(
      this.baseUrl,
      json === undefined ? { method, target } : { method, target, body: JSON.stringify(json), contentType: 'application/json' },
      this.identity,
    );
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
    return { status: response.status, headers: response.headers, body: (isJson && text !== '' ? JSON.parse(text) : text) as T };
  }

  get<T = unknown>(target: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', target);
  }

  post<T = unknown>(target: string, json?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', target, json);
  }

  patch<T = unknown>(target: string, json?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', target, json);
  }
}
