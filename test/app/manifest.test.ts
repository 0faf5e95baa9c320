import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KNOWN_PERMISSIONS, KNOWN_VIEWPORTS } from './stripeAppSchema';

// Checks stripe-app/stripe-app.json and stripe-app/stripe-app.local.json against the rules of
// Stripe's manifest schema that matter to us (see ./stripeAppSchema.ts), plus our own: connect-src
// entries are directory prefixes, and production talks only to https.

/**
 * The Stripe CLI treats the manifest's folder as the app's root: it builds each view from
 * `src/views/<Component>.tsx` and reads `package.json` beside the manifest, and resolves the
 * icon from there. So every path below is resolved against this folder, as the CLI would.
 */
const appDir = path.resolve(__dirname, '../../stripe-app');
const viewsDir = path.join(appDir, 'src/views');

/** The parts of a manifest these tests read; everything is optional because the file is input. */
type Manifest = {
  id?: unknown;
  version?: unknown;
  name?: unknown;
  icon?: unknown;
  extends?: unknown;
  constants?: { backendUrl?: unknown };
  permissions?: { permission?: unknown; purpose?: unknown }[];
  ui_extension?: {
    views?: { viewport?: unknown; component?: unknown }[];
    content_security_policy?: { 'connect-src'?: unknown; purpose?: unknown };
  };
};

const readManifest = (file: string): Manifest =>
  JSON.parse(readFileSync(path.join(appDir, file), 'utf8')) as Manifest;


const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.trim().length > 0;

/**
 * True for an http(s) URL that names a directory under the origin, such as
 * `https://host/api/`: Stripe rejects a bare origin, and a trailing slash admits the
 * whole subtree, which our API routes need.
 */
const isDirectoryUrl = (value: unknown): boolean => {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.pathname.length > 1 &&
    url.pathname.endsWith('/') &&
    url.search === '' &&
    url.hash === '' &&
    value === `${url.origin}${url.pathname}`
  );
};

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
const pngSize = (bytes: Buffer): { width: number; height: number } | null => {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature)) return null;
  if (bytes.subarray(12, 16).toString('ascii') !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
};

describe('isDirectoryUrl', () => {
  test.each(['https://exemptions.example.com/api/', 'http://localhost:3000/api/'])('accepts %s', (url) => {
    expect(isDirectoryUrl(url)).toBe(true);
  });

  test.each([
    ['a bare origin', 'https://exemptions.example.com'],
    ['an origin with only a slash', 'https://exemptions.example.com/'],
    ['a path without a trailing slash', 'https://exemptions.example.com/api'],
    ['a query string', 'https://exemptions.example.com/api/?x=1'],
    ['another scheme', 'wss://exemptions.example.com/api/'],
    ['something that is not a URL', 'exemptions.example.com/api/'],
    ['a non-string', 42],
  ])('rejects %s', (_what, url) => {
    expect(isDirectoryUrl(url)).toBe(false);
  });
});

describe('stripe-app.json', () => {
  const manifest = readManifest('stripe-app.json');

  test('has an id Stripe accepts, a version and a name', () => {
    expect(manifest.id).toEqual(expect.stringMatching(/^[a-zA-Z0-9_.-]+$/));
    expect(isNonEmptyString(manifest.version)).toBe(true);
    expect(manifest.name).toBe('Exemption certificates');
  });

  test('points at an existing 300×300 PNG icon by a ./ relative path', () => {
    expect(manifest.icon).toEqual(expect.stringMatching(/^\.\/[^.]+\.png$/));
    const iconPath = path.join(appDir, String(manifest.icon));
    expect(existsSync(iconPath)).toBe(true);
    expect(pngSize(readFileSync(iconPath))).toEqual({ width: 300, height: 300 });
  });

  test('asks only for permissions Stripe knows, each once, each with a purpose', () => {
    const permissions = manifest.permissions ?? [];
    expect(permissions.length).toBeGreaterThan(0);
    for (const entry of permissions) {
      expect(KNOWN_PERMISSIONS).toContain(entry.permission);
      expect({ permission: entry.permission, hasPurpose: isNonEmptyString(entry.purpose) }).toEqual({
        permission: entry.permission,
        hasPurpose: true,
      });
    }
    const names = permissions.map((entry) => entry.permission);
    expect(new Set(names).size).toBe(names.length);
  });

  test('asks for exactly what the certificate workflow needs, so a new permission is a deliberate change', () => {
    const names = (manifest.permissions ?? []).map((entry) => String(entry.permission));
    expect(names.sort()).toEqual(
      [
        'credit_note_read',
        'customer_read',
        'customer_write',
        'event_read',
        'file_read',
        'file_write',
        'invoice_read',
        'invoice_write',
        'tax_rate_read',
      ].sort(),
    );
  });

  test('shows the customer view on customer pages, the invoice view on invoices, the drawer everywhere else, and a settings page', () => {
    expect(manifest.ui_extension?.views).toEqual([
      { viewport: 'stripe.dashboard.customer.detail', component: 'CustomerDetailView' },
      { viewport: 'stripe.dashboard.drawer.default', component: 'CertificatesDrawerView' },
      { viewport: 'stripe.dashboard.invoice.detail', component: 'InvoiceDetailView' },
      { viewport: 'settings', component: 'AppSettingsView' },
    ]);
  });

  test('tells the views where the service is, at an address connect-src allows', () => {
    const backendUrl = manifest.constants?.backendUrl;
    expect(backendUrl).toBe('https://exemptions.example.com/api/');
    expect(manifest.ui_extension?.content_security_policy?.['connect-src']).toContain(backendUrl);
  });

  test('places every view in a known viewport, one view per viewport', () => {
    const views = manifest.ui_extension?.views ?? [];
    expect(views.length).toBeGreaterThan(0);
    for (const view of views) expect(KNOWN_VIEWPORTS).toContain(view.viewport);
    const viewports = views.map((view) => view.viewport);
    expect(new Set(viewports).size).toBe(viewports.length);
  });

  test('sits where the Stripe CLI looks for the app: beside its package.json and src/views', () => {
    expect(existsSync(path.join(appDir, 'package.json'))).toBe(true);
    expect(existsSync(viewsDir)).toBe(true);
    // A manifest left at the repository root would be the one a developer edits, and the CLI would not find the views from it.
    expect(existsSync(path.join(appDir, '..', 'stripe-app.json'))).toBe(false);
    expect(existsSync(path.join(appDir, '..', 'stripe-app.local.json'))).toBe(false);
  });

  test('names, for each view, a component that src/views/<Component>.tsx beside the manifest exports by default', async () => {
    for (const view of manifest.ui_extension?.views ?? []) {
      expect(view.component).toEqual(expect.stringMatching(/^[a-zA-Z0-9_]+$/));
      const file = path.join(viewsDir, `${String(view.component)}.tsx`);
      expect({ file, exists: existsSync(file) }).toEqual({ file, exists: true });
      const module = (await import(file)) as { default?: unknown };
      expect(typeof module.default).toBe('function');
    }
  });

  test('lets the UI reach only https directory URLs, and says why', () => {
    const csp = manifest.ui_extension?.content_security_policy;
    const connectSrc = csp?.['connect-src'];
    expect(Array.isArray(connectSrc) && connectSrc.length > 0).toBe(true);
    for (const url of connectSrc as unknown[]) {
      expect({ url, directory: isDirectoryUrl(url) }).toEqual({ url, directory: true });
      expect(url).toEqual(expect.stringMatching(/^https:\/\//));
    }
    expect(isNonEmptyString(csp?.purpose)).toBe(true);
  });

  test('allows the backend API, not just its host', () => {
    expect(manifest.ui_extension?.content_security_policy?.['connect-src']).toContain(
      'https://exemptions.example.com/api/',
    );
  });
});

describe('stripe-app.local.json', () => {
  const local = readManifest('stripe-app.local.json');

  test('extends stripe-app.json, which sits beside it', () => {
    expect(local.extends).toBe('stripe-app.json');
    expect(existsSync(path.join(appDir, String(local.extends)))).toBe(true);
  });

  test('points the views at the local service, which its connect-src allows', () => {
    expect(local.constants?.backendUrl).toBe('http://localhost:3000/api/');
    expect(local.ui_extension?.content_security_policy?.['connect-src']).toContain(local.constants?.backendUrl);
  });

  test('points connect-src at the local backend API directory, and says why', () => {
    const csp = local.ui_extension?.content_security_policy;
    expect(csp?.['connect-src']).toEqual(['http://localhost:3000/api/']);
    for (const url of csp?.['connect-src'] as unknown[]) expect(isDirectoryUrl(url)).toBe(true);
    expect(isNonEmptyString(csp?.purpose)).toBe(true);
  });
});
