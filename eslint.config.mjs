// ESLint (flat config): JavaScript and TypeScript recommended rules everywhere, React hooks rules in the editor.
// @grafana/eslint-config is not used: one of its peers (eslint-plugin-jsdoc) now needs Node 22.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// A line over 160 columns passes only when it holds nothing but one URL or one regex literal (after the indent and any
// comment marker), which cannot be wrapped: everything else, strings and comments too, is split instead.
const UNWRAPPABLE = String.raw`^\s*(?:(?://|\*)\s*)?(?:\S*https?://\S+|/(?:[^/\\[]|\\.|\[(?:[^\]\\]|\\.)*\])+/[dgimsuyv]*)[,;)\]]*$`;

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'coverage/', '.bench/', 'data/', 'playwright-report/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mjs,js,cjs}'],
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', URL: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', structuredClone: 'readonly',
      },
    },
    rules: {
      // CloudTrail records are untyped JSON: `any` is the honest type at those edges.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'max-len': ['error', { code: 160, tabWidth: 2, ignorePattern: UNWRAPPABLE }],
    },
  },
  {
    files: ['src/plugin/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  }
);
