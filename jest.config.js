// Worker and domain tests. ESM throughout (agenda 6 and @agendajs/mongo-backend are ESM-only),
// so jest runs with --experimental-vm-modules; type checking is `npm run typecheck`'s job.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/faults runs on its own: `npm run test:faults` (jest.faults.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/app/', '<rootDir>/test/faults/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@exemptions/shared$': '<rootDir>/shared/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 30000,
  // agenda 6 keeps an un-unref'd timer of lockLifetime/2 after every job it runs (its liveness check),
  // so a test process that ran jobs would linger minutes after the last test. The worker itself exits explicitly.
  forceExit: true,
};
