import { createHash } from 'node:crypto';
import { appSignaturePayload } from '@exemptions/shared';
import { CertificatesApi } from '../../stripe-app/src/api/certificatesApi';
import { ApiClient, backendUrlOf, MissingBackendError } from '../../stripe-app/src/api/client';
import type { FetchLike } from '../../stripe-app/src/api/client';
import { InvalidRequestError, NetworkError, NotFoundError, readableField, ServiceUnavailableError, SignatureRejectedError, StateConflictError, VersionConflictError } from '../../stripe-app/src/api/errors';
import { BACKEND, certificate, customerPage } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';

const context = customerPage();

function apiAgainst(service: FakeService): CertificatesApi {
  return new CertificatesApi(new ApiClient({ backendUrl: BACKEND, context, fetch: service.fetch, sign: service.sign }));
}

/** The error a call fails with; fails the test if it succeeds. */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('the API client', () => {
  test('signs every call for its method, path, query and body, as the worker rebuilds it, and sends the four headers', async () => {
    const service = new FakeService().on('PATCH', '/certificates/:id', ok(certificate({ id: 'cert_000000000000000000000021' })));
    await apiAgainst(service).updateCertificate('cert_000000000000000000000021', { expectedVersion: 3, notes: 'Renewed' });
    const [request] = service.requests;
    const body = '{"expectedVersion":3,"notes":"Renewed"}';
    expect(request?.rawBody).toBe(body);
    expect(request?.headers).toEqual({
      'Stripe-Signature': expect.stringMatching(/^t=\d+,v1=/),
      'X-Stripe-User-Id': 'usr_merchant1',
      'X-Stripe-Account-Id': 'acct_1Merchant0000001',
      'X-Stripe-Livemode': 'false',
      'Content-Type': 'application/json',
    });
    const signed = service.signed[0] as Parameters<typeof appSignaturePayload>[0];
    expect(appSignaturePayload(signed, { userId: 'usr_merchant1', accountId: 'acct_1Merchant0000001' })).toBe(
      JSON.stringify({
        method: 'PATCH',
        path: '/api/v1/certificates/cert_000000000000000000000021',
        query: '',
        body_sha256: createHash('sha256').update(body).digest('hex'),
        livemode: false,
        user_id: 'usr_merchant1',
        account_id: 'acct_1Merchant0000001',
      }),
    );
    expect(service.violations).toEqual([]);
  });

  test('signs the query in its canonical form and leaves out parameters not given', async () => {
    const service = new FakeService().on('GET', '/certificates', ok({ data: [], nextCursor: null }));
    await apiAgainst(service).searchCertificates({ q: 'Acme & Co', status: 'active', limit: 10 });
    expect(service.requests[0]?.query).toEqual({ q: 'Acme & Co', status: 'active', limit: '10' });
    expect((service.signed[0] as { query: string }).query).toBe('limit=10&q=Acme%20%26%20Co&status=active');
  });

  test('turns a 401 into a sentence about the app’s signature', async () => {
    const service = new FakeService().on('GET', '/settings', { status: 401, body: { error: { message: 'Invalid Stripe App signature' } } });
    const error = await failure(apiAgainst(service).settings());
    expect(error).toBeInstanceOf(SignatureRejectedError);
    expect(error.message).toBe('The certificates service did not accept this Dashboard session. Reload the page; if it keeps happening, the service’s STRIPE_APP_SECRETS does not hold this app’s signing secret.');
  });

  test('turns a 409 carrying the current certificate into a version conflict that names the new version', async () => {
    const current = certificate({ id: 'cert_000000000000000000000022', version: 7 });
    const service = new FakeService().on('PATCH', '/certificates/:id', { status: 409, body: { error: { message: 'version conflict', details: { current } } } });
    const error = await failure(apiAgainst(service).updateCertificate(current.id, { expectedVersion: 6, notes: 'x' }));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).current).toEqual(current);
    expect(error.message).toBe('Someone else saved this certificate since you opened it (it is now at version 7). Reload it to see their changes, then make yours again.');
  });

  test('says an archived certificate can no longer be changed when that is the conflict', async () => {
    const current = certificate({ id: 'cert_000000000000000000000023', version: 4, status: 'archived', archivedAt: '2026-05-01T00:00:00.000Z', archivedReason: null });
    const service = new FakeService().on('PATCH', '/certificates/:id', { status: 409, body: { error: { message: 'archived', details: { current } } } });
    const error = await failure(apiAgainst(service).updateCertificate(current.id, { expectedVersion: 4, notes: 'x' }));
    expect(error.message).toBe('This certificate was archived since you opened it, so it can no longer be changed. Reload it to see the current version.');
  });

  test('turns any other 409 into the service’s reason', async () => {
    const service = new FakeService().on('POST', '/certificate-requests', { status: 409, body: { error: { message: 'the customer’s certificates for US-TX are active' } } });
    const error = await failure(apiAgainst(service).requestCertificate({ customerId: 'cus_Acme' }));
    expect(error).toBeInstanceOf(StateConflictError);
    expect(error.message).toBe('The customer’s certificates for US-TX are active.');
  });

  test('turns a 422 that names its field into a readable sentence', async () => {
    const service = new FakeService().on('POST', '/certificates', { status: 422, body: { error: { message: 'customerId: no customer cus_Gone in this Stripe account' } } });
    const error = await failure(
      apiAgainst(service).createCertificate({ customerId: 'cus_Gone', reason: 'resale', reasonOther: null, form: 'single_state', number: null, purchase: { type: 'blanket' }, jurisdictions: [{ code: 'US-TX', registrationId: null, effectiveDate: '2026-01-01', expirationDate: null }], notes: '' }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe('Please check: Customer: no customer cus_Gone in this Stripe account.');
    expect((error as InvalidRequestError).problems).toEqual([{ field: 'customerId', message: 'no customer cus_Gone in this Stripe account' }]);
  });

  test('turns a 400’s field list into one sentence naming each field', async () => {
    const service = new FakeService().on('PATCH', '/certificates/:id', {
      status: 400,
      body: { error: { message: 'Invalid body', details: [{ field: 'jurisdictions[0].expirationDate', message: 'expiration date 2025-01-01 is before effective date 2026-01-01' }, { field: 'details.reasonOther', message: 'explain the exemption when the reason is other' }] } },
    });
    const error = await failure(apiAgainst(service).updateCertificate('cert_000000000000000000000024', { expectedVersion: 1, notes: 'x' }));
    expect(error.message).toBe('Please check: Jurisdiction 1 expiration date: expiration date 2025-01-01 is before effective date 2026-01-01; Explanation of the reason: explain the exemption when the reason is other.');
  });

  test('reports a missing record, an unavailable service and an unreachable one apart', async () => {
    const service = new FakeService()
      .on('GET', '/certificates/:id', { status: 404, body: { error: { message: 'No certificate cert_000000000000000000000025 in this account' } } })
      .on('GET', '/settings', { status: 503, body: { error: { message: 'No app signing secret is configured' } } });
    expect(await failure(apiAgainst(service).certificate('cert_000000000000000000000025'))).toBeInstanceOf(NotFoundError);
    expect(await failure(apiAgainst(service).settings())).toBeInstanceOf(ServiceUnavailableError);

    const down: FetchLike = () => Promise.reject(new TypeError('Failed to fetch'));
    const error = await failure(new CertificatesApi(new ApiClient({ backendUrl: BACKEND, context, fetch: down, sign: service.sign })).settings());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toBe('Could not reach the certificates service at https://exemptions.example.com. Check that it is running and that the app’s connect-src allows it.');
  });

  test('takes the service’s address from the manifest’s constants, and refuses to guess one', () => {
    expect(backendUrlOf(context)).toBe('https://exemptions.example.com/api/');
    expect(() => backendUrlOf({ environment: { ...context.environment, constants: {} } })).toThrow(MissingBackendError);
  });

  test.each([
    ['jurisdictions[2].code', 'Jurisdiction 3 jurisdiction'],
    ['details.purchase.invoiceNumber', 'Purchase invoice number'],
    ['notes', 'Notes'],
    ['', ''],
  ])('names the field %s as "%s"', (field, readable) => {
    expect(readableField(field)).toBe(readable);
  });
});
