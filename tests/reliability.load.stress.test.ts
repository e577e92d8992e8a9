import { defineLoadSuite } from './reliability/loadSuite.js';

// Issue #8's full length: 60-second phases (`npm run test:stress`).
defineLoadSuite({
  label: 'stress',
  durationMs: 60_000,
  maxRequestsPerClient: 5_000,
  maxMessagesPerClient: 250_000,
  customers: 500,
  timeoutMs: 120_000,
});
