/**
 * The fields `MongoJobRepository.saveJob` (@agendajs/mongo-backend 4.0.3) stores as null when
 * a new job does not set them; every job it inserts has them, and its queries rely on
 * `lockedAt: null` and `disabled` being present.
 */
export const NULL_WHEN_UNSET = [
  'lockedAt',
  'lastFinishedAt',
  'failedAt',
  'failCount',
  'failReason',
  'repeatTimezone',
  'lastRunAt',
  'repeatInterval',
  'repeatAt',
  'disabled',
  'progress',
  'debounceStartedAt',
  'fork',
  'startDate',
  'endDate',
  'skipDays',
] as const;

/** The fields the repository copies from a stored job when it returns one, null or absent as undefined (its `computeJobObj`). */
export const OPTIONAL_JOB_FIELDS = [...NULL_WHEN_UNSET, 'unique', 'uniqueOpts', 'lastModifiedBy'] as const;
