import { z } from 'zod';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { PIPELINE_JOB, runPipeline } from '../src/jobs/pipelineRun.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

const horizon = (model: string, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(730)
    .default(fallback)
    .describe(
      `days of ${model} labels; the model trains at as-of D minus this, so its labels end at D (default ${fallback})`,
    );

/**
 * Features → training → scoring → segments as of one date D, recorded as one run with its steps,
 * and held: scheduled runs of the jobs it wrote through skip until `breadcrumb pipeline release`
 * or the next pipeline run (src/jobs/pipelineRun.ts, docs/operations.md). `breadcrumb pipeline run`.
 */
const pipelineJob = defineJob({
  name: PIPELINE_JOB,
  description:
    'features, training (churn, first purchase, LTV, send time), scoring and segments as of one date; holds the schedule so scheduled runs leave the results alone',
  schedule: null,
  options: z.object({
    asOf: z.coerce.date().describe('as-of date D (required): every step uses only what was known before it'),
    churnHorizon: horizon('churn', 90),
    firstPurchaseHorizon: horizon('first-purchase', 30),
    ltvHorizon: horizon('lifetime-value', 365),
    sendTimeHorizon: horizon('send-time', 30),
    skipTraining: z
      .union([z.boolean(), z.stringbool()])
      .default(false)
      .describe('score with the models already active instead of training new ones as of D'),
    epochs: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("maximum training epochs (default: each train job's own)"),
    modelsDir: z.string().min(1).optional().describe('where model files go (default: models/ in the project)'),
    waitMinutes: z.coerce
      .number()
      .min(0)
      .max(240)
      .default(10)
      .describe('how long to wait for scheduled runs of the held jobs that were already running'),
  }),
  run: (ctx, o) =>
    runPipeline(ctx, {
      asOf: o.asOf,
      horizons: {
        churn: o.churnHorizon,
        'first-purchase': o.firstPurchaseHorizon,
        ltv: o.ltvHorizon,
        'send-time': o.sendTimeHorizon,
      },
      skipTraining: o.skipTraining,
      waitMinutes: o.waitMinutes,
      ...(o.epochs && { epochs: o.epochs }),
      ...(o.modelsDir && { modelsDir: o.modelsDir }),
    }),
});

export default pipelineJob;
await runIfMain(import.meta.url, pipelineJob);
