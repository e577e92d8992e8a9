import { defineLoadSuite } from './reliability/loadSuite.js';

// The CI variant: 5-second phases. The 60-second one is tests/reliability.load.stress.test.ts.
defineLoadSuite({
  label: 'ci',
  durationMs: 5_000,
  maxRequestsPerClient: 400,
  maxMessagesPerClient: 20_000,
  customers: 200,
  timeoutMs: 60_000,
});
