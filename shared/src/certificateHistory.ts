import type { Certificate } from './certificate.js';

/** Who made a change: a merchant's dashboard user, the customer (through the portal), or the service itself. */
export type Actor =
  | { readonly type: 'user'; readonly id: string }
  | { readonly type: 'customer'; readonly id: string }
  | { readonly type: 'system'; readonly id: string };

export type HistoryAction = 'created' | 'edited' | 'archived' | 'file_attached' | 'imported';

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** The fields a person can change; bookkeeping (version, updatedAt) is not a change anyone made. */
const trackedFields = [
  'customerId',
  'reason',
  'reasonOther',
  'form',
  'number',
  'purchase',
  'jurisdictions',
  'notes',
  'files',
  'archivedAt',
  'archivedReason',
] as const satisfies ReadonlyArray<keyof Certificate>;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What changed between two versions, field by field; for a new certificate pass null as `before`. */
export function certificateChanges(before: Certificate | null, after: Certificate): FieldChange[] {
  return trackedFields
    .filter((field) => before === null || !same(before[field], after[field]))
    .map((field) => ({ field, from: before === null ? null : before[field], to: after[field] }));
}
