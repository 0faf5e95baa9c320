import type { z } from 'zod';
import { HttpError } from './errors.js';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** A request that does not match its schema: 400, naming each field and why. */
export class ValidationError extends HttpError {
  override name = 'ValidationError';
  constructor(
    where: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(400, `Invalid ${where}: ${problems.map((p) => (p.field === '' ? p.message : `${p.field}: ${p.message}`)).join('; ')}`, problems);
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
}

/** Parses input against a schema, or throws a ValidationError for the given part of the request ("body", "query"). */
export function validate<Schema extends z.ZodType>(schema: Schema, input: unknown, where: string): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    where,
    result.error.issues.map((issue) => {
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      return {
        field: fieldPath(issue.path),
        message: unknownKeys.length > 0 ? `unknown field${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message,
      };
    }),
  );
}
