import { z } from 'zod';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { foldInbox } from '../src/ingest/timeline/foldInbox.js';

/**
 * The safety net of the incremental data layer: every batch is folded by the process that stored
 * it, right away; this folds what such a process left staged when it died (its partition lease
 * expires after two minutes) or what a busy partition left behind.
 */
const foldEvents = defineJob({
  name: 'fold-events',
  description:
    'fold staged events into customer timelines, profiles, consent and features (normally done at ingest; this catches up after a crash)',
  schedule: '1 minute',
  stage: 1,
  options: z.object({}),
  async run({ database, signal, progress }) {
    const counts = await foldInbox(database, { signal, progress: (events) => progress(events, events) });
    return { ...counts };
  },
});

export default foldEvents;
await runIfMain(import.meta.url, foldEvents);
