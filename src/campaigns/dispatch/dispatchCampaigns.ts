import type { Counts, JobContext } from '../../jobs/core/defineJob.js';
/** Events received a little before a scan's watermark are read again: receivedAt is stamped before commit, and clocks differ. */
const WATERMARK_MARGIN_MS = 5 * 60_000;
import { evaluateExperiments } from '../experiments/evaluateExperiments.js';
import { loadFlows } from '../flows/flowStore.js';
import { defaultBudget, type FrequencyBudget } from './budget.js';
import { scanDateTriggers, scanEvents } from './collectTriggers.js';
import { applyExits, enrol } from './enrol.js';
import { planDueSteps } from './planSteps.js';
import { recoverClaims } from './recoverClaims.js';
import type { QuietHours } from './schedule.js';
import { sendPlanned, type SendDeps } from './sendMessages.js';

export interface DispatchOptions {
  asOf: Date;
  /** A claim older than this without a send record is settled by recovery. */
  leaseSeconds: number;
  /** Most steps sent per run; the rest wait for the next. */
  maxSends: number;
  concurrency: number;
  quiet: QuietHours;
  budget?: FrequencyBudget;
  /** Date triggers are evaluated at most this often (score triggers arrive as prediction events). */
  scoreTriggerMinutes: number;
  experimentMinutes: number;
  confidence: number;
  minRecipients: number;
}

interface DispatchState {
  /** Events visible up to here were read by an earlier run. */
  eventsUntil?: Date;
  scoresAt?: Date;
  experimentsAt?: Date;
}

const STATE_ID = 'dispatch';

/**
 * One dispatch run: settle interrupted sends, read new triggers and exits, enrol, advance due
 * steps and send them. Every step is idempotent and guarded by inserts under unique keys
 * (enrolment, message, recovery lease), so runs may overlap — on one worker or several — and a
 * run killed at any point is completed by the next one without sending anything twice.
 */
export async function dispatchCampaigns(ctx: JobContext, options: DispatchOptions, deps: SendDeps): Promise<Counts> {
  const { database } = ctx;
  const asOf = options.asOf;
  const State = database.collections.campaignState;
  const state = ((await State.findOne({ _id: STATE_ID }))?.value ?? {}) as DispatchState;
  const { flows, invalid } = await loadFlows(database);
  for (const f of invalid) ctx.log.warn({ flowId: f.id, error: f.error }, 'stored flow does not validate: skipped');
  const active = flows.filter((f) => f.active);
  const flowsById = new Map(flows.map((f) => [f.id, f]));
  const counts: Counts = { flows: active.length, invalidFlows: invalid.length };
  // Phase durations go with the counts: where a slow run spends its time, without a profiler.
  let phaseStart = performance.now();
  const phase = (name: string, done: number) => {
    counts[`${name}Ms`] = Math.round(performance.now() - phaseStart);
    phaseStart = performance.now();
    ctx.progress(done, 5);
  };
  ctx.progress(0, 5);

  Object.assign(
    counts,
    await recoverClaims(database, {
      leaseMs: options.leaseSeconds * 1000,
      worker: ctx.worker,
      ...(deps.ledger ? { ledger: deps.ledger } : {}),
    }),
  );
  phase('recover', 1);

  const lookbackHours = Math.max(1, ...active.map((f) => f.maxTriggerAgeHours));
  const since = state.eventsUntil
    ? new Date(state.eventsUntil.getTime() - WATERMARK_MARGIN_MS)
    : new Date(asOf.getTime() - lookbackHours * 3_600_000);
  const scan = await scanEvents(database, active, { asOf, since, lookbackHours });
  const hits = scan.hits;
  const scoresDue =
    !state.scoresAt || asOf.getTime() - state.scoresAt.getTime() >= options.scoreTriggerMinutes * 60_000;
  if (scoresDue) hits.push(...(await scanDateTriggers(database, active, asOf)));
  counts.eventsRead = scan.eventsRead;
  counts.triggers = hits.length;
  Object.assign(counts, await enrol(database, flowsById, hits, asOf));
  for (const [reason, n] of Object.entries(await applyExits(database, flowsById, scan.signals, asOf)))
    counts[`exited_${reason}`] = n;
  phase('enrol', 2);

  const plan = await planDueSteps(database, flowsById, {
    asOf,
    budget: options.budget ?? defaultBudget,
    quiet: options.quiet,
    limit: options.maxSends,
  });
  Object.assign(counts, plan.counts);
  phase('plan', 3);
  Object.assign(
    counts,
    await sendPlanned(database, deps, plan.sends, {
      asOf,
      concurrency: options.concurrency,
      worker: ctx.worker,
      signal: ctx.signal,
    }),
  );
  phase('send', 4);

  const experimentsDue =
    !state.experimentsAt || asOf.getTime() - state.experimentsAt.getTime() >= options.experimentMinutes * 60_000;
  if (experimentsDue) {
    const evaluated = await evaluateExperiments(database, flows, {
      asOf,
      confidence: options.confidence,
      minRecipients: options.minRecipients,
      attributionDays: 7,
      windowDays: 90,
    });
    counts.experiments = evaluated.experiments;
    counts.winners = evaluated.winners;
  }
  const next: DispatchState = {
    eventsUntil: state.eventsUntil && state.eventsUntil > asOf ? state.eventsUntil : asOf,
    ...((scoresDue ? { scoresAt: asOf } : state.scoresAt ? { scoresAt: state.scoresAt } : {}) as DispatchState),
    ...((experimentsDue
      ? { experimentsAt: asOf }
      : state.experimentsAt
        ? { experimentsAt: state.experimentsAt }
        : {}) as DispatchState),
  };
  await State.replaceOne({ _id: STATE_ID }, { value: next, updatedAt: new Date() }, { upsert: true });
  phase('experiments', 5);
  return counts;
}
