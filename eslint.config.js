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
  {
    // The pure core must stay free of the Actions toolkit so it can be reused by the CLI and tested alone.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@actions/*', 'octokit', '@octokit/*'] }],
    },
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
