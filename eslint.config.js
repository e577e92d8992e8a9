// ESLint (flat config): typescript-eslint's recommended rules, plus the few rules that catch real
// bugs in a service whose work runs in async jobs (those need type information, so TypeScript files
// are linted with the project's tsconfig). Formatting is Prettier's (.prettierrc);
// eslint-config-prettier, last, turns off every rule that would fight it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // No trailing slash on node_modules and .cache: in a git worktree they are symlinks, not directories.
  {
    ignores: [
      'node_modules',
      '.cache',
      '.venv/',
      'coverage/',
      'data/db/',
      'data/tmp/',
      'data/outbox/',
      'models/',
      'notebooks/out/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `==` only where both sides are known; `x == null` stays as the one idiom for null-or-undefined.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `declare global { namespace Express { … } }` is how Express's Request type is extended.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      // vitest.stress.config.ts sits outside tsconfig.json's include; it gets a default project.
      parserOptions: { projectService: { allowDefaultProject: ['vitest.stress.config.ts'] } },
    },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection ends the process) and its
      // ordering; `void` marks the few that are meant to run on their own.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a plain one is expected (an event handler, `forEach`) drops its rejection.
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // The dashboard's scripts run in the browser, served as they are; Chart comes from chart.js's script tag.
    files: ['src/api/dashboard/*.js'],
    languageOptions: { globals: { ...globals.browser, Chart: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // CommonJS files load their modules with require(): that is what makes them CommonJS.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
