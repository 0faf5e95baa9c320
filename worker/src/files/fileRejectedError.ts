import { HttpError } from '../http/errors.js';

/**
 * A certificate file refused for what it is (missing, empty, too large, wrong type, unknown),
 * naming the request field it came in, in the same `{ field, message }` shape as a
 * validation error's details so a client shows both the same way.
 */
export class FileRejectedError extends HttpError {
  override name = 'FileRejectedError';
  constructor(
    status: number,
    readonly field: string,
    reason: string,
  ) {
    super(status, `${field}: ${reason}`, [{ field, message: reason }]);
  }
}
