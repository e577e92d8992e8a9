import { z } from 'zod';

/** Parts of meta.json every model folder writes the same way: its input columns and its drivers. */

export const columnSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    name: z.string(),
    source: z.string(),
    kind: z.literal('value'),
    transform: z.enum(['log1p', 'identity']),
  }),
  z.object({ name: z.string(), source: z.string(), kind: z.literal('missing') }),
  z.object({ name: z.string(), source: z.string(), kind: z.literal('oneHot'), value: z.string() }),
]);

export const driverImportanceSchema = z.object({
  feature: z.string(),
  meanAbsContribution: z.number(),
  share: z.number(),
});

/** NaN and ±Infinity become null, as JSON would write them anyway. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
