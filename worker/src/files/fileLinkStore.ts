import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Clock } from '../clock.js';
import type { Tenant } from '../tenancy.js';

export const CERTIFICATE_FILE_LINKS = 'certificate_file_links';

/** 32 random bytes: as unguessable as the portal's links. */
const TOKEN_BYTES = 32;
/** 32 bytes in base64url without padding. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * Expired links are kept this long before a later issue removes them, so someone opening a
 * stale link hears "expired" rather than "unknown" for a while. FerretDB has no TTL indexes,
 * so nothing removes them on its own.
 */
const EXPIRED_KEPT_MS = 24 * 60 * 60_000;

/** One download link. Only the token's SHA-256 is stored: a copy of the database opens no file. */
interface FileLinkDocument {
  /** SHA-256 (hex) of the token. */
  _id: string;
  accountId: string;
  livemode: boolean;
  certificateId: string;
  fileId: string;
  /** The Dashboard user who asked for the link. */
  issuedBy: string;
  createdAt: Date;
  expiresAt: Date;
}

/** What a valid link opens: one file of one certificate of one tenant. */
export interface FileLinkTarget {
  readonly tenant: Tenant;
  readonly certificateId: string;
  readonly fileId: string;
}

export type ResolvedFileLink = { readonly status: 'valid'; readonly target: FileLinkTarget } | { readonly status: 'expired' } | { readonly status: 'unknown' };

export interface IssuedFileLink {
  readonly token: string;
  readonly expiresAt: Date;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Short-lived links to a certificate's stored file, for a browser that cannot send the Stripe
 * App's signed headers (a tab opened from the Dashboard). The token is the whole credential and
 * names exactly one file of one tenant; it is random rather than an HMAC so that no secret has to
 * be shared between processes or survive a rotation of the app secret.
 */
export class FileLinkStore {
  private readonly links: Collection<FileLinkDocument>;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.links = db.collection<FileLinkDocument>(CERTIFICATE_FILE_LINKS);
  }

  async issue(target: FileLinkTarget, issuedBy: string, lifetimeMs: number): Promise<IssuedFileLink> {
    const now = this.clock.now();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(now.getTime() + lifetimeMs);
    await this.links.insertOne({
      _id: hashToken(token),
      accountId: target.tenant.accountId,
      livemode: target.tenant.livemode,
      certificateId: target.certificateId,
      fileId: target.fileId,
      issuedBy,
      createdAt: now,
      expiresAt,
    });
    await this.links.deleteMany({ accountId: target.tenant.accountId, livemode: target.tenant.livemode, expiresAt: { $lt: new Date(now.getTime() - EXPIRED_KEPT_MS) } });
    return { token, expiresAt };
  }

  /** What `token` opens now. A malformed, tampered or forgotten token is `unknown`. */
  async resolve(token: string): Promise<ResolvedFileLink> {
    if (!tokenPattern.test(token)) return { status: 'unknown' };
    const _id = hashToken(token);
    // Expiry is part of the query: no TTL index removes a link on time (FerretDB has none).
    const link = await this.links.findOne({ _id, expiresAt: { $gt: this.clock.now() } });
    if (link !== null) {
      return { status: 'valid', target: { tenant: { accountId: link.accountId, livemode: link.livemode }, certificateId: link.certificateId, fileId: link.fileId } };
    }
    return (await this.links.countDocuments({ _id }, { limit: 1 })) > 0 ? { status: 'expired' } : { status: 'unknown' };
  }
}
