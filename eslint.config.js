import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'build/',
      'coverage/',
      'reports/',
      'actions/*/dist/',
      '.tmp/',
      '.data/',
      'tests/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Layer boundaries (docs/ARCHITECTURE.md): core ← lib ← actions/*/src, cli; the service stands alone.
  // Each layer lists what it must never import, by import string, so a relative path cannot sneak past.
  {
    // The pure core is reused by every shell and tested without a network: no side-effect modules, no lib.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:child_process', 'child_process', 'node:net', 'net', 'node:http', 'http', 'node:https', 'https'],
          patterns: [
            {
              group: ['@actions/*', 'octokit', '@octokit/*'],
              message: 'core stays free of the Actions toolkit and GitHub clients',
            },
            {
              regex: '(^|/|#)(lib|actions|cli|service)/',
              message: 'core imports nothing from lib, actions, cli or service',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters are shared by the actions and the CLIs, so they can never depend on either.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/|#)(actions|cli)/', message: 'lib never imports an action shell or a CLI' }] },
      ],
      // Only shells end the process: lib returns or throws an exit status (e.g. CanaryInterrupted).
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only shells (actions/*/src, cli/) exit; return a status' },
      ],
    },
  },
  {
    // The service is the product being guarded: it knows nothing of the gates around it.
    files: ['service/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/|#)(core|lib|actions|cli)/',
              message: 'the service imports neither core, lib, actions nor cli',
            },
            { group: ['@actions/*', 'octokit', '@octokit/*'], message: 'the service does not use the Actions toolkit' },
          ],
        },
      ],
    },
  },
  {
    // One job per function on every layer (issue 12: judge had grown to 343 lines, runCanary to 322).
    files: ['core/**/*.ts', 'lib/**/*.ts', 'actions/*/src/**/*.ts', 'cli/**/*.ts', 'service/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The dashboard's page script runs in the browser, after uPlot's script (type-checked with DOM types by tsc).
    files: ['lib/dashboard/page/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', performance: 'readonly', uPlot: 'readonly' },
    },
  },
  {
    // k6 scripts run inside k6 (its own runtime; TypeScript stripped by its esbuild), not Node.
    files: ['k6/**/*.ts'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
  },
);
