// ESM TypeScript under jest: ts-jest's ESM preset plus node --experimental-vm-modules (set by scripts/test.mjs).
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    // package.json "imports" point at build/ for Node; tests run the TypeScript sources.
    '^#core/(.*)\\.js$': '<rootDir>/core/src/$1',
    '^#lib/(.*)\\.js$': '<rootDir>/lib/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  testTimeout: 60000,
  watchman: false,
};
