/**
 * The views as the Stripe CLI ships them: bundled by esbuild into one browser ES module per
 * view. This catches what jest cannot: an import that only Node resolves (a `node:` built-in,
 * a path mapping jest adds), and a bundle that grows past what a Dashboard iframe should load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

const repoRoot = path.resolve(__dirname, '../..');
/** The app's folder, as the Stripe CLI sees it: the manifest, with the views under src/views beside it. */
const appDir = path.join(repoRoot, 'stripe-app');
const manifest = JSON.parse(readFileSync(path.join(appDir, 'stripe-app.json'), 'utf8')) as { ui_extension: { views: { component: string }[] } };

/**
 * Minified bytes per view. Today a view is about 240 KB, of which zod and luxon (brought in by
 * the domain package's schemas and dates) are 165 KB; the budget leaves room to grow, not to double.
 */
const BUDGET_BYTES = 320 * 1024;

describe.each(manifest.ui_extension.views.map((view) => view.component))('the %s bundle', (component) => {
  const result = buildSync({
    entryPoints: [path.join(appDir, 'src/views', `${component}.tsx`)],
    absWorkingDir: repoRoot,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {});

  test('builds for the browser without warnings', () => {
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  test('holds no Node built-in and no second React', () => {
    expect(inputs.filter((input) => input.startsWith('node:') || /^(crypto|fs|path|buffer|stream)$/.test(input))).toEqual([]);
    const reacts = new Set(inputs.filter((input) => /node_modules\/react\/package\.json$|node_modules\/react\/index\.js$/.test(input)));
    expect(reacts.size).toBeLessThanOrEqual(1);
  });

  test(`stays within ${BUDGET_BYTES / 1024} KB minified`, () => {
    expect(result.outputFiles?.[0]?.contents.length).toBeLessThan(BUDGET_BYTES);
  });
});
