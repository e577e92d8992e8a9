import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Long reliability variants run only under `npm run test:stress` (vitest.stress.config.ts).
    exclude: ['**/node_modules/**', '**/*.stress.test.ts'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: test files share one embedded server, each in its own database.
    maxWorkers: 2,
  },
});
