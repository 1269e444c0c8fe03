// `npm run test:unit`: core and lib tests that need no root, no service, no build and no other
// process (Prometheus, PostgreSQL, a browser, the CLIs), in seconds. `npm test` still runs everything.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  // Transpiled file by file, no type check (npm run typecheck does it): most of the time of a cold run.
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.unit.json', diagnostics: false }],
  },
  testMatch: [
    '<rootDir>/tests/actions/**/*.test.ts',
    '<rootDir>/tests/budget/**/*.test.ts',
    '<rootDir>/tests/stats/**/*.test.ts',
    '<rootDir>/tests/gate/{evaluate,history,report}.test.ts',
    '<rootDir>/tests/k6/{readers,quantile-ci,sample-store}.test.ts',
    '<rootDir>/tests/release-tag/notes.test.ts',
    '<rootDir>/tests/kit/**/*.test.ts',
  ],
};
