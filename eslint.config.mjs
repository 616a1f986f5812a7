// ESLint's recommended rules and typescript-eslint's recommended (not type-aware: fast, and code added
// anywhere in the tree passes without per-file setup). Runs in `npm test` before mocha (scripts/test.sh).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'build/', '.lab/', 'captures/'] },
  // An eslint-disable comment that disables nothing is an error: every one left names a real finding.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a parameter or binding that is unused on purpose (an interface's
      // argument, a field taken out of an object with a rest spread).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // CommonJS files load modules with require(), and may name a binding after a Node global
      // (`const crypto = require('crypto')`).
      '@typescript-eslint/no-require-imports': 'off',
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
);
