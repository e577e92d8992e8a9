import { createProgress } from '../cli/progress.js';
import type { Database } from '../db/database.js';
import type { JobDefinition } from '../jobs/core/defineJob.js';
import { pipelineJobs } from '../jobs/loadJobs.js';
import { runJob } from '../jobs/runJob.js';
import { defaultSeedEnd, seedShop } from './syntheticShop.js';

const DEMO = { customers: 5000, days: 365, seed: 42 };
const AFTER_DEMO_MODELS = new Set(['build-features', 'score-customers', 'assign-segments']);

/** Seeds the demo shop into an empty database (`npm start` without --no-demo) and runs the data flow's jobs over it. */
export async function seedDemo(
  database: Database,
  jobs: readonly JobDefinition[],
  say: (message: string) => void,
): Promise<void> {
  say(`empty database: seeding a demo shop (${DEMO.customers} customers, ${DEMO.days} days; skip with --no-demo)…`);
  const progress = createProgress('seeding demo shop');
  // Ends now (dates relative to the moment of seeding), so the recent-behaviour segments have members.
  const summary = await seedShop(database, {
    ...DEMO,
    end: await defaultSeedEnd(database),
    onProgress: progress.update,
  }).finally(() => progress.stop());
  say(
    `seeded ${summary.customers} customers and ${summary.events} events in ${(summary.durationMs / 1000).toFixed(0)} s (history ends ${summary.end.toISOString()})`,
  );
  for (const def of pipelineJobs([...jobs])) {
    // Seeding wrote every timeline, profile and current feature; scores and segments follow the
    // demo models, which train next (trainDemoModels runs both then): running them now would only
    // be repeated minutes later.
    if (AFTER_DEMO_MODELS.has(def.name)) continue;
    say(`running ${def.name}…`);
    const outcome = await runJob(def, {}, { database, trigger: 'startup' });
    if (!outcome.ok || outcome.value.status === 'failed') say(`${def.name} failed; see GET /v1/jobs`);
  }
}
