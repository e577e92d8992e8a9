import { z } from 'zod';
import { ltvTiers } from '../../ml/scoring/predictionEvents.js';
import { stepTemplateKeys } from '../content/types.js';

/**
 * A flow is data: this schema validates flows from the API and from the database (a stored flow
 * that no longer parses is skipped by dispatch, never half-run). Durations are short strings
 * (`90m`, `1h`, `3d`, `1w`) so flows read well as JSON.
 */
export const durationSchema = z
  .string()
  .regex(/^\d+(\.\d+)?(m|h|d|w)$/, 'a duration like "90m", "1h", "3d" or "1w"')
  .describe('delay after the trigger: minutes (m), hours (h), days (d) or weeks (w)');

const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export function durationMs(duration: string): number {
  const unit = duration.at(-1) as keyof typeof unitMs;
  return Number(duration.slice(0, -1)) * unitMs[unit];
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A condition on an event property (a dotted path into `props`, e.g. `traits.signupSource`): equal
 * to a value, or any of a list. A list of conditions rather than an object keyed by path, because
 * stored documents may not have dots in their keys.
 */
const propertyFilter = z.array(
  z
    .object({
      property: z.string().regex(/^[A-Za-z_][\w.]*$/),
      equals: scalar.optional(),
      in: z.array(scalar).min(1).optional(),
    })
    .refine((c) => (c.equals === undefined) !== (c.in === undefined), 'give either equals or in'),
);

export const triggerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('event'),
    eventTypes: z.array(z.string().min(1)).min(1),
    where: propertyFilter.optional(),
    /** Property whose value keys the enrolment (e.g. `cartId`): one run of the flow per value. Unset: once per customer. */
    keyProperty: z.string().optional(),
    /** Without a keyProperty: a customer may enter again this many days after the last trigger (browsing comes back). */
    repeatAfterDays: z.number().positive().optional(),
    /** Later events with the same key restart the first step's delay (a cart is abandoned after its last change). */
    restartOnRepeat: z.boolean().default(false),
  }),
  z.object({ type: z.literal('segment_entered'), segmentId: z.string().min(1) }),
  z.object({
    type: z.literal('date_property'),
    /** `signedUpAt` or a trait (`traits.birthday`), an ISO date. */
    property: z.string().min(1),
    offsetDays: z.number().int().default(0),
    /** Every year on the anniversary (birthdays); otherwise once. */
    annual: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('predicted_order'),
    /** The first step falls due this many days before the expected next order (its delay counts from there). */
    daysBefore: z.number().min(0).max(365),
    /**
     * Which expected date: `model` (BG/NBD's expected wait, `scores.expectedNextOrderAt`) or
     * `interval` (the last order plus the customer's mean gap between orders; the model's date for
     * customers with fewer than two orders).
     */
    basis: z.enum(['model', 'interval']).default('model'),
    /** Entry rule: leave out customers whose churn risk at that scoring is above this (likely gone). */
    maxChurnRisk: z.number().min(0).max(1).optional(),
  }),
  z.object({
    type: z.literal('churn_risk'),
    /** Fires when a scoring puts churn risk at or above this while the previous one had it below: once per lapse. */
    threshold: z.number().min(0).max(1),
  }),
  z.object({
    type: z.literal('ltv_tier'),
    /** Fires when a scoring moves the customer into this predicted-LTV tier from a lower one: once per tier. */
    to: z.enum(ltvTiers),
  }),
]);

/** Trigger types that come from a scoring run (prediction events) rather than from what the customer did. */
export type PredictionTrigger = Extract<
  z.output<typeof triggerSchema>,
  { type: 'predicted_order' | 'churn_risk' | 'ltv_tier' }
>;

export const incentiveChoice = z.enum(['none', 'discount', 'free_shipping', 'by_abandonment']);

export const variantSchema = z.object({
  name: z.string().min(1).max(40),
  weight: z.number().positive().default(1),
  /** Index into the template's subject lines. */
  subject: z.number().int().min(0).optional(),
  length: z.enum(['full', 'short']).optional(),
  /** `best`: the customer's best hour; `immediate`: as soon as due (quiet hours still hold). */
  sendTime: z.enum(['best', 'immediate']).optional(),
  incentive: incentiveChoice.optional(),
});

export const stepSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,40}$/),
  /** Time after the trigger (not after the previous step). */
  delay: durationSchema,
  /** For replenishment: use the ordered products' shortest `replenishDays` instead of `delay` when known. */
  delayFromReplenishment: z.boolean().default(false),
  template: z.enum(stepTemplateKeys),
  /** Sent as soon as due (still outside quiet hours) rather than at the customer's best hour. */
  urgent: z.boolean().default(false),
  /** Order confirmations and the like: no consent needed, no budget, no quiet hours. */
  transactional: z.boolean().default(false),
  incentive: incentiveChoice.default('none'),
  discountPercent: z.number().int().min(1).max(90).default(10),
  /** Two or more variants make the step an A/B test (assignment by customer hash). */
  variants: z.array(variantSchema).default([]),
  /** What decides the A/B winner. */
  goal: z.enum(['open', 'click', 'conversion']).default('click'),
});

/** `score_fell`: the score that triggered the flow went back (churn risk below its threshold, LTV tier down). */
export const exitConditions = ['ordered', 'recovered', 'unsubscribed', 'score_fell'] as const;

/** The fields of a flow; `flowSchema` adds the checks across fields. */
export const flowFieldsSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,60}$/),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  trigger: triggerSchema,
  steps: z.array(stepSchema).min(1).max(20),
  /** Re-checked before every step; the first that holds ends the enrolment. */
  exitOn: z.array(z.enum(exitConditions)).default(['unsubscribed']),
  /** Share of enrolled customers (by hash) who get nothing, to measure what the flow earns. */
  holdoutShare: z.number().min(0).max(0.5).default(0.1),
  /** Higher goes first when the frequency budget cannot fit every due message. */
  priority: z.number().int().min(0).max(100).default(50),
  active: z.boolean().default(true),
  /** Enrol only triggers at most this old (an import of last year's carts must not mail anyone). */
  maxTriggerAgeHours: z.number().positive().default(48),
  /**
   * Flows that go first: while the customer has an active enrolment in one of them, this flow's
   * steps wait until it ends (win-back waits for the churn save offer).
   */
  yieldTo: z
    .array(z.string().regex(/^[a-z0-9_-]{1,60}$/))
    .max(20)
    .default([]),
});

export const flowSchema = flowFieldsSchema.superRefine((flow, ctx) => {
  const ids = flow.steps.map((s) => s.id);
  ids.forEach(
    (id, i) =>
      ids.indexOf(id) !== i &&
      ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step id "${id}" is used twice` }),
  );
  for (let i = 1; i < flow.steps.length; i++) {
    if (durationMs(flow.steps[i]!.delay) < durationMs(flow.steps[i - 1]!.delay))
      ctx.addIssue({ code: 'custom', path: ['steps', i, 'delay'], message: 'steps must be in delay order' });
  }
  flow.steps.forEach(
    (s, i) =>
      s.variants.length === 1 &&
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'variants'],
        message: 'an A/B test needs at least two variants',
      }),
  );
  if (flow.exitOn.includes('score_fell') && !['churn_risk', 'ltv_tier'].includes(flow.trigger.type))
    ctx.addIssue({
      code: 'custom',
      path: ['exitOn'],
      message: '"score_fell" needs a churn_risk or ltv_tier trigger (the score that can fall back)',
    });
  if (flow.yieldTo.includes(flow.id))
    ctx.addIssue({ code: 'custom', path: ['yieldTo'], message: 'a flow cannot wait for itself' });
  if (flow.exitOn.includes('recovered') && !(flow.trigger.type === 'event' && flow.trigger.keyProperty)) {
    ctx.addIssue({
      code: 'custom',
      path: ['exitOn'],
      message: '"recovered" needs an event trigger with a keyProperty (the cart or checkout id)',
    });
  }
});

export type Flow = z.output<typeof flowSchema>;
export type FlowInput = z.input<typeof flowSchema>;
export type FlowStep = Flow['steps'][number];
export type Trigger = Flow['trigger'];
export type Variant = z.output<typeof variantSchema>;
export type IncentiveChoice = z.output<typeof incentiveChoice>;
