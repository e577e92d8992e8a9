import { z } from 'zod';
import { linkAnonymousEvents } from '../src/ingest/linkAnonymousEvents.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

/** Attributes anonymous events sent before login to the customer (src/ingest/linkAnonymousEvents.ts). */
const linkIdentities = defineJob({
  name: 'link-identities',
  description: 'attribute anonymous events sent before login to the customer they turned out to be',
  schedule: '5 minutes',
  stage: 5,
  options: z.object({
    chunk: z.coerce.number().int().min(1).max(10_000).default(2000).describe('anonymous ids handled per query'),
  }),
  run: ({ database, progress }, { chunk }) => linkAnonymousEvents(database, { chunk, progress }),
});

export default linkIdentities;
await runIfMain(import.meta.url, linkIdentities);
