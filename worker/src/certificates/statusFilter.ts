import type { CalendarDate, CertificateStatus } from '@exemptions/shared';
import type { Filter } from 'mongodb';
import type { CertificateDocument } from './certificateDocument.js';

/**
 * Documents whose stored status may not hold today: refresh these first. A change of the
 * account's window refreshes every document at once (AccountSettings update), so the window
 * is not part of this filter and both conditions stay index range scans.
 */
export function staleStatusFilter(today: CalendarDate): Filter<CertificateDocument> {
  return { $or: [{ 'status.until': { $lte: today } }, { 'status.asOf': { $gt: today } }] };
}

/** After a refresh, every stored status is today's. */
export function statusFilter(status: CertificateStatus): Filter<CertificateDocument> {
  return { 'status.value': status };
}
