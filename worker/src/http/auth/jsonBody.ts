import { TextDecoder } from 'node:util';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns the raw body that `appSignatureAuth` verified into `req.body` JSON, so routes see
 * exactly the bytes that were signed. No body (or an empty one) leaves `req.body`
 * undefined for the route's schema to judge. A body must be `application/json` in UTF-8
 * (415 otherwise) holding one JSON object (400 otherwise).
 */
export const parseJsonBody: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (body === undefined || (Buffer.isBuffer(body) && body.length === 0)) {
    req.body = undefined;
    next();
    return;
  }
  if (!Buffer.isBuffer(body)) {
    next(new Error('parseJsonBody needs the raw request body: mount express.raw({ type: "*/*" }) before it'));
    return;
  }
  const contentType = req.get('Content-Type') ?? '';
  if (!req.is('application/json')) {
    next(new HttpError(415, `Expected a Content-Type of application/json for the request body (got ${JSON.stringify(contentType)})`));
    return;
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    next(new HttpError(415, `Expected the JSON body in UTF-8 (got charset ${JSON.stringify(charset)})`));
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch (error) {
    next(new HttpError(400, `Malformed JSON body: ${error instanceof Error ? error.message : String(error)}`));
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    next(new HttpError(400, `The JSON body must be an object (got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed})`));
    return;
  }
  if (containsNul(parsed)) {
    next(new HttpError(400, 'Text in the JSON body must not contain NUL characters (\\u0000)'));
    return;
  }
  req.body = parsed;
  next();
};

/** PostgreSQL (under the embedded FerretDB) cannot store NUL in text, and no field of ours needs one. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item));
  return false;
}
