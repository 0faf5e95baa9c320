/**
 * Answers of the certificates service as the app receives them. Every one of them passes
 * through FakeService, which checks it against docs/openapi.json, so these cannot drift from
 * what the worker really sends.
 */
import { getMockContextProps } from '@stripe/ui-extension-sdk/testing';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type {
  AccountSettings,
  CertificateDetail,
  CertificateRequestView,
  CertificateView,
  ComplianceSummary,
  LedgerEntry,
  ReprocessPreview,
  ReprocessRun,
} from '../../../stripe-app/src/api/types';

export const BACKEND = 'https://exemptions.example.com/api/';

export function contextFor(viewportID: string, objectContext: { id: string; object: string } | null, constants: Record<string, string> = { backendUrl: BACKEND }): ExtensionContextValue {
  return getMockContextProps({
    environment: { viewportID, objectContext, mode: 'test', constants },
    userContext: { id: 'usr_merchant1', account: { id: 'acct_1Merchant0000001', name: 'Merchant' } },
  });
}

export const customerPage = (customerId = 'cus_Acme') => contextFor('stripe.dashboard.customer.detail', { id: customerId, object: 'customer' });
export const drawer = () => contextFor('stripe.dashboard.drawer.default', null);
export const invoicePage = (invoiceId = 'in_1Acme') => contextFor('stripe.dashboard.invoice.detail', { id: invoiceId, object: 'invoice' });
export const settingsPage = () => contextFor('settings', null);

let sequence = 0;
/** A certificate id as the worker issues them: `cert_` and 24 hex digits. */
export const certificateId = (n = ++sequence) => `cert_${n.toString(16).padStart(24, '0')}`;

/** Acme's Texas resale certificate, version 3, active until the end of 2027. */
export function certificate(overrides: Partial<CertificateView> = {}): CertificateView {
  return {
    id: certificateId(),
    accountId: 'acct_1Merchant0000001',
    livemode: false,
    customerId: 'cus_Acme',
    reason: 'resale',
    reasonOther: null,
    form: 'single_state',
    number: 'TX-123456',
    purchase: { type: 'blanket' },
    jurisdictions: [{ code: 'US-TX', registrationId: '1-23-4567890', effectiveDate: '2026-01-01', expirationDate: '2027-12-31' }],
    notes: 'Received by email',
    files: [],
    source: 'merchant',
    archivedAt: null,
    archivedReason: null,
    version: 3,
    createdAt: '2026-01-05T15:00:00.000Z',
    updatedAt: '2026-03-01T15:00:00.000Z',
    customer: { id: 'cus_Acme', name: 'Acme Supply', email: 'tax@acme.example' },
    status: 'active',
    jurisdictionStatuses: [{ code: 'US-TX', status: 'active' }],
    nextExpirationDate: '2027-12-31',
    ...overrides,
  };
}

/** The same certificate with its history and a signed PDF on file. */
export function detailOf(view: CertificateView, overrides: Partial<CertificateDetail> = {}): CertificateDetail {
  return {
    ...view,
    files: [
      {
        id: 'cfile_000000000000000000000001',
        filename: 'acme-texas-resale.pdf',
        contentType: 'application/pdf',
        size: 48_213,
        sha256: 'a'.repeat(64),
        uploadedAt: '2026-01-05T15:01:00.000Z',
      },
    ],
    history: [
      { version: 1, action: 'created', actor: { type: 'user', id: 'usr_merchant1' }, at: '2026-01-05T15:00:00.000Z', changes: [] },
      { version: 2, action: 'file_attached', actor: { type: 'user', id: 'usr_merchant1' }, at: '2026-01-05T15:01:00.000Z', changes: [{ field: 'files', from: [], to: ['acme-texas-resale.pdf'] }] },
      { version: 3, action: 'edited', actor: { type: 'user', id: 'usr_colleague' }, at: '2026-03-01T15:00:00.000Z', changes: [{ field: 'notes', from: '', to: 'Received by email' }] },
    ].filter((entry) => entry.version <= view.version) as CertificateDetail['history'],
    ...overrides,
  };
}

export function submittedRequest(overrides: Partial<CertificateRequestView> = {}): CertificateRequestView {
  return {
    id: 'creq_00000000000000000000000a',
    customer: { id: 'cus_Beta', name: 'Beta Builders', email: 'ap@beta.example' },
    email: 'ap@beta.example',
    jurisdictions: ['US-CA'],
    renewsCertificateId: null,
    message: null,
    origin: 'merchant',
    previousRequestId: null,
    status: 'submitted',
    sendCount: 1,
    sentAt: '2026-05-01T15:00:00.000Z',
    expiresAt: '2026-05-31T15:00:00.000Z',
    openedAt: '2026-05-02T09:00:00.000Z',
    cancelledAt: null,
    submission: {
      reason: 'resale',
      reasonOther: null,
      form: 'single_state',
      number: 'CA-998877',
      jurisdictions: [{ code: 'US-CA', registrationId: 'SR-1234', effectiveDate: '2026-05-01', expirationDate: null }],
      signerName: 'Bea Builder',
      signerTitle: 'Controller',
      file: { id: 'cfile_00000000000000000000000b', filename: 'beta-ca.pdf', contentType: 'application/pdf', size: 20_480, sha256: 'b'.repeat(64) },
      activeContent: [],
      submittedAt: '2026-05-03T10:00:00.000Z',
    },
    review: null,
    createdAt: '2026-05-01T15:00:00.000Z',
    updatedAt: '2026-05-03T10:00:00.000Z',
    ...overrides,
  };
}

export function settings(overrides: Partial<AccountSettings> = {}): AccountSettings {
  return {
    timeZone: 'America/Chicago',
    expiringWindowDays: 30,
    syncPolicy: 'approved_only',
    filingFrequencies: {},
    businessName: 'Merchant Co',
    merchantNotificationEmail: 'tax@merchant.example',
    requestLinkDays: 30,
    reminderDays: [30, 7],
    autoRenewalRequests: false,
    ...overrides,
  };
}

export function summary(overrides: Partial<ComplianceSummary> = {}): ComplianceSummary {
  return {
    today: '2026-05-12',
    windowDays: 30,
    byStatus: { active: 8, expiring_soon: 2, not_yet_effective: 1, expired: 3, archived: 4 },
    total: 18,
    byJurisdiction: [
      { jurisdiction: 'US-CA', byStatus: { active: 2, expiring_soon: 0, not_yet_effective: 0, expired: 1, archived: 0 }, total: 3 },
      { jurisdiction: 'US-TX', byStatus: { active: 7, expiring_soon: 2, not_yet_effective: 1, expired: 2, archived: 4 }, total: 16 },
    ],
    expiring: [
      { withinDays: 30, count: 2 },
      { withinDays: 60, count: 5 },
      { withinDays: 90, count: 7 },
    ],
    pendingSubmissions: 2,
    outstandingRequests: 1,
    exposedInvoices: 3,
    overCollectedInvoices: 1,
    ...overrides,
  };
}

/** A Texas ledger entry for invoice in_1Acme: $100.00 exempt under Acme's certificate. */
export function ledgerEntry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: 'in_1Acme:US-TX',
    invoiceId: 'in_1Acme',
    invoiceNumber: 'INV-0001',
    purchaseOrder: null,
    customerId: 'cus_Acme',
    jurisdiction: 'US-TX',
    currency: 'usd',
    taxable: 0,
    exempt: 10_000,
    tax: 0,
    transactionDate: '2026-05-02',
    periodKey: '2026-05',
    kind: 'original',
    revision: 1,
    negates: null,
    supersedes: null,
    treatment: 'exempt',
    taxabilityReasons: ['customer_exempt'],
    certificate: {
      id: certificateId(7),
      version: 3,
      number: 'TX-123456',
      reason: 'resale',
      reasonOther: null,
      form: 'single_state',
      purchase: { type: 'blanket' },
      jurisdiction: { code: 'US-TX', registrationId: '1-23-4567890', effectiveDate: '2026-01-01', expirationDate: '2027-12-31' },
    },
    address: { country: 'US', state: 'TX', postalCode: '75201', line1: '1 Main St', city: 'Dallas' },
    addressSource: 'shipping',
    flags: { exposure: false, overCollection: false },
    invoiceAmounts: { totalExcludingTax: 10_000, tax: 0 },
    creditNote: null,
    cause: 'invoice.finalized',
    causeId: 'evt_1Finalized',
    ...overrides,
  };
}

/** The brief's worked example: three Texas invoices, March filed, $30.00 refund due. */
export function preview(): ReprocessPreview {
  return {
    summary: {
      transactions: 3,
      changes: 3,
      inOpenPeriods: 2,
      inFiledPeriods: 1,
      skipped: { jurisdiction_not_covered: 0, outside_validity: 0, other_purchase: 0, already_exempt: 0 },
      refundByCurrency: { usd: 3000 },
      pastRefundStatute: 0,
      pastRefundStatuteAssumed: 0,
      warnings: ['changes_in_filed_periods', 'refunds_due'],
    },
    items: [],
  };
}

export function run(overrides: Partial<ReprocessRun> = {}): ReprocessRun {
  const summaryOfPreview = preview().summary;
  return {
    id: 'rp_00000000000000000000000c',
    certificateId: certificateId(1),
    customerId: 'cus_Acme',
    startDate: '2026-03-01',
    endDate: '2026-05-31',
    prioritizeCustomerAddress: true,
    status: 'queued',
    total: 3,
    processed: 0,
    changed: 0,
    skipped: {},
    preview: summaryOfPreview,
    acknowledged: ['changes_in_filed_periods', 'refunds_due'],
    createdAt: '2026-05-12T15:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    cancelRequestedAt: null,
    error: null,
    ...overrides,
  };
}
