import { createHash } from 'node:crypto';
import type { Variant } from '../flows/flowSchema.js';

/**
 * A customer's stable point in [0, 1) for one purpose (`salt`): the same customer always lands in
 * the same holdout or variant, on every worker and every run, with no assignment to store, and
 * different salts (flows, steps) are independent of each other.
 */
export function unitHash(salt: string, customerId: string): number {
  return createHash('md5').update(salt).update('\0').update(customerId).digest().readUInt32BE(0) / 2 ** 32;
}

/** Held out of a flow: enrolled (so the comparison group is counted) but sent nothing. */
export function inHoldout(flowId: string, customerId: string, share: number): boolean {
  return share > 0 && unitHash(`holdout:${flowId}`, customerId) < share;
}

export const experimentId = (flowId: string, stepId: string): string => `${flowId}:${stepId}`;

/**
 * The variant of a step's A/B test for a customer: weighted by the variants' weights, or the
 * winner once one is chosen (everyone gets it from then on).
 */
export function assignVariant(
  flowId: string,
  stepId: string,
  variants: readonly Variant[],
  customerId: string,
  winner?: string,
): Variant | undefined {
  if (variants.length === 0) return undefined;
  const chosen = winner ? variants.find((v) => v.name === winner) : undefined;
  if (chosen) return chosen;
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let point = unitHash(`variant:${experimentId(flowId, stepId)}`, customerId) * total;
  for (const v of variants) {
    point -= v.weight;
    if (point < 0) return v;
  }
  return variants.at(-1);
}
