import * as z from 'zod';

/** Event, credit note and run ids: safe inside entry ids and MongoDB keys. */
export const causeIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, {
  error: 'must be 1 to 255 letters, digits, _ or - (an event, credit note or run id)',
});

export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`));
}
