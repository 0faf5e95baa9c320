// UI extension tests (test/app). Run from this directory: `npm run test:app`.
// @stripe/ui-extension-sdk ships untranspiled ESM in .js files, so ts-jest must compile it too
// (js-with-ts preset, and node_modules/@stripe/ui-extension-sdk exempted from transformIgnorePatterns).
// Type checking is `npm run typecheck`'s job: with isolatedModules in the tsconfig, ts-jest only transpiles.
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');

module.exports = {
  rootDir: repoRoot,
  roots: ['<rootDir>/test/app'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  testEnvironment: 'node',
  preset: 'ts-jest/presets/js-with-ts',
  transform: {
    '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.json') }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@stripe/ui-extension-sdk/)'],
  moduleNameMapper: {
    // The domain package is TypeScript source (exports ./src/index.ts) with .js-suffixed relative imports.
    '^@exemptions/shared$': '<rootDir>/shared/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
