import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The long reliability variants (60 s loads, many fuzz runs): excluded from `npm test`, run by `npm run test:stress`.
// Spread rather than mergeConfig: mergeConfig concatenates arrays, which would keep the base include/exclude.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/**/*.stress.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 600_000,
    // One file at a time: each stress scenario wants the whole machine for its figures to mean something.
    maxWorkers: 1,
  },
});
