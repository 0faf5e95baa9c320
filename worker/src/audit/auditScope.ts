import { calendarDateIn, inForceDuring, type AuditScope, type TimeZone } from '@exemptions/shared';
import type { StoredCertificate } from '../certificates/certificateRepository.js';
import type { ServiceContext } from '../context.js';
import type { Tenant } from '../tenancy.js';

/**
 * The certificates a package covers. For a customer: every one of theirs, archived ones too
 * (an audit asks what was on file, not only what is valid today). For a range: those in
 * force on some day of it, plus any certificate a ledger entry dated in it was booked
 * against (its dates may have been corrected since), ordered by customer, then age.
 */
export async function certificatesInScope(
  { certificates, ledger }: Pick<ServiceContext, 'certificates' | 'ledger'>,
  tenant: Tenant,
  scope: AuditScope,
  timeZone: TimeZone,
  recordedBy: Date,
): Promise<StoredCertificate[]> {
  if (scope.kind === 'customer') return certificates.ofCustomer(tenant, scope.customerId);

  const { from, to } = scope;
  const archivedOn = (stored: StoredCertificate) => (stored.certificate.archivedAt === null ? null : calendarDateIn(new Date(stored.certificate.archivedAt), timeZone));
  const inForce = (await certificates.inForceSuperset(tenant, from, to)).filter((stored) => inForceDuring(stored.certificate, archivedOn(stored), from, to));
  const found = new Map(inForce.map((stored) => [stored.certificate.id, stored]));
  for (const id of await ledger.certificateIdsBetween(tenant, from, to, recordedBy)) {
    if (found.has(id)) continue;
    const stored = await certificates.find(tenant, id);
    if (stored !== null) found.set(id, stored);
  }
  return [...found.values()].sort(
    (a, b) =>
      a.certificate.customerId.localeCompare(b.certificate.customerId) ||
      a.certificate.createdAt.localeCompare(b.certificate.createdAt) ||
      a.certificate.id.localeCompare(b.certificate.id),
  );
}
