/**
 * Builds the links emails carry, from the configured public URL only. A request's Host header
 * is chosen by whoever sends it, so a link built from it could point a customer anywhere.
 * Without PUBLIC_URL the worker's own listening address is used, set once it is known.
 */
export class PortalLinks {
  private base: string | null;

  constructor(publicUrl: string | undefined) {
    this.base = publicUrl ?? null;
  }

  /** The listening address, used only when no PUBLIC_URL was configured. */
  useListeningAddress(url: string): void {
    this.base ??= url.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    if (this.base === null) throw new Error('No public URL for links: set PUBLIC_URL');
    return this.base;
  }

  requestLink(token: string): string {
    return `${this.baseUrl}${PORTAL_PREFIX}/r/${token}`;
  }
}

export const PORTAL_PREFIX = '/portal';
