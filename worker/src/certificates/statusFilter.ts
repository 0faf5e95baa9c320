import { addDays, type CalendarDate, type CertificateStatus } from '@exemptions/shared';
import type { Filter } from 'mongodb';
import type { CertificateDocument } from './certificateDocument.js';

/**
 * The status rules of shared/src/status.ts as a MongoDB filter over the derived `windows`,
 * so filtering by status needs no sweep to be current: it is evaluated for `today`.
 */
export function statusFilter(status: CertificateStatus, today: CalendarDate, windowDays: number): Filter<CertificateDocument> {
  const soon = addDays(today, windowDays);
  const inForce = { windows: { $elemMatch: { from: { $lte: today }, until: { $gte: today } } } };
  const expiringInForce = { windows: { $elemMatch: { from: { $lte: today }, until: { $gte: today, $lte: soon } } } };
  const upcoming = { windows: { $elemMatch: { from: { $gt: today } } } };
  const notArchived = { archivedAt: null };
  switch (status) {
    case 'archived':
      return { archivedAt: { $ne: null } };
    case 'expiring_soon':
      return { $and: [notArchived, expiringInForce] };
    case 'active':
      return { $and: [notArchived, inForce, { $nor: [expiringInForce] }] };
    case 'not_yet_effective':
      return { $and: [notArchived, { $nor: [inForce] }, upcoming] };
    case 'expired':
      return { $and: [notArchived, { $nor: [inForce, upcoming] }] };
  }
}
