import { HttpError } from '../http/errors.js';

export class RequestNotFoundError extends HttpError {
  override name = 'RequestNotFoundError';
  constructor(id: string) {
    super(404, `No certificate request ${id} in this account`);
  }
}

/** The request is not in a state that allows this (already decided, cancelled, used…): 409 with the reason. */
export class RequestConflictError extends HttpError {
  override name = 'RequestConflictError';
  constructor(message: string) {
    super(409, message);
  }
}

/** Stripe has no such customer, or no email to send to: 422, since the request itself is well-formed. */
export class RequestNotSendableError extends HttpError {
  override name = 'RequestNotSendableError';
  constructor(field: string, message: string) {
    super(422, `${field}: ${message}`, [{ field, message }]);
  }
}
