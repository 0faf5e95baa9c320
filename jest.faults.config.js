// The fault tests (test/faults, `npm run test:faults`): real worker processes killed, databases and
// mail servers taken away mid-work. Minutes each, so they run one file at a time (--runInBand) and
// apart from `npm test`; CI runs them after it (.ci/run).
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Generous: a suite takes 1–5 minutes on a quiet 2-core machine and twice that under load.
  testTimeout: 1_200_000,
};
