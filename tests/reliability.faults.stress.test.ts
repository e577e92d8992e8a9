import { describe, it } from 'vitest';
import { expectOutageSurvived, runDbOutageScenario } from './reliability/dbOutage.js';

describe('database killed for half a minute under the API and a running job (stress)', () => {
  it('answers 503 unavailable throughout, recovers by itself, and the job retries through several backoffs', async () => {
    expectOutageSurvived(await runDbOutageScenario({ downtimeMs: 30_000, customers: 300, clients: 16 }));
  }, 600_000);
});
