import { z } from 'zod';
import { asOfOption, defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { partitionsOption } from './build-features.js';
import { ASSIGN_SEGMENTS_JOB, assignSegments } from '../src/segments/membership/assignSegments.js';
import { builtInSegments } from '../src/segments/library/index.js';

/**
 * Puts customers in and out of segments: seeds the built-in library, evaluates every active
 * segment over customers + features + scores (+ event facts), records entries and exits with
 * history, lifecycle transitions, daily counts, `segment_entered` / `segment_exited` events and
 * member pages for the API. After scoring in the pipeline; hourly on schedule. Safe to re-run.
 */
const assignSegmentsJob = defineJob({
  name: ASSIGN_SEGMENTS_JOB,
  description:
    'evaluate every active segment, record entries/exits with history, lifecycle transitions, daily counts and segment events',
  schedule: '1 hour',
  stage: 30,
  options: z.object({
    asOf: asOfOption,
    partitions: partitionsOption,
    scan: z
      .enum(['auto', 'partition', 'collection'])
      .default('auto')
      .describe('how profiles are read: auto picks collection on FerretDB, partition on MongoDB'),
    minSize: z.coerce
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('segments with fewer members (but some) are flagged as too small to act on'),
  }),
  run: (ctx, options) => assignSegments(ctx, options, { builtIns: builtInSegments }),
});

export default assignSegmentsJob;
await runIfMain(import.meta.url, assignSegmentsJob);
