/**
 * Every piece of server data the app caches, under one key each. A key is a path, so a
 * mutation invalidates a whole family by its prefix: saving a certificate invalidates
 * `certificates/` (lists, details, a customer's list) and `compliance/` (the counts).
 */
import type { CertificateSearch } from '../api/certificatesApi';

export const queryKeys = {
  /** Prefix of everything that shows certificates. */
  certificates: 'certificates/',
  customerCertificates: (customerId: string) => `certificates/customer/${customerId}`,
  certificate: (certificateId: string) => `certificates/one/${certificateId}`,
  certificateSearch: (search: CertificateSearch) => `certificates/search/${JSON.stringify([search.q ?? '', search.status ?? '', search.cursor ?? ''])}`,
  reviewQueue: 'requests/review-queue',
  /** Prefix of everything about certificate requests. */
  requests: 'requests/',
  complianceSummary: 'compliance/summary',
  compliance: 'compliance/',
  settings: 'settings',
  invoiceLedger: (invoiceId: string) => `ledger/invoice/${invoiceId}`,
} as const;
