import { createHash, randomBytes } from 'node:crypto';
import { requestTokenBytes } from '@exemptions/shared';

/** A fresh link token (32 random bytes, base64url) and the SHA-256 that is all we store of it. */
export function newRequestToken(): { token: string; hash: string } {
  const token = randomBytes(requestTokenBytes).toString('base64url');
  return { token, hash: hashRequestToken(token) };
}

export function hashRequestToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `creq_` and 24 hex digits: random, or derived from `seed` where a retry must land on the same request. */
export function newRequestId(seed?: string): string {
  return `creq_${seed === undefined ? randomBytes(12).toString('hex') : createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;
}
