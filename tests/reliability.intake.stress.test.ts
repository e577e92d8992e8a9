import { defineBackfillSuite } from './reliability/backfillSuite.js';

// Issue #17's size: a shop's 400k+ messages at once (`npm run test:stress`); the CI variant is in tests/reliability.intake.test.ts.
defineBackfillSuite({ label: 'stress', messages: 420_000, customers: 2000, timeoutMs: 3_600_000 });
