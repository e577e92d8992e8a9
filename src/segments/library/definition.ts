import { hemispheres, isOccasionActive, type Occasion, type SeasonCalendar } from '../calendar.js';
import type { Rule } from '../rules/schema.js';

/** The `kind` stored on a segment (src/db/models/segment.ts). */
export type SegmentKind = 'behavioural' | 'predictive' | 'seasonal' | 'lifecycle' | 'engagement';

/** A built-in segment: data, like a custom one, plus where it sits in the library. */
export interface SegmentDefinition {
  key: string;
  name: string;
  kind: SegmentKind;
  /** Library section, for docs/segments.md and the API listing. */
  group:
    | 'high-impact'
    | 'browse abandonment'
    | 'cart abandonment'
    | 'purchase'
    | 'engagement'
    | 'predictive'
    | 'seasonal'
    | 'combined';
  description: string;
  rule: Rule;
  /** Seasonal segments: the occasion their rule is limited to (the rule itself holds the condition). */
  season?: Occasion;
}

/** Whether a seasonal segment can have members at `now` (in at least one hemisphere). */
export function isInSeason(def: Pick<SegmentDefinition, 'season'>, now: Date, calendar?: SeasonCalendar): boolean {
  return def.season === undefined || hemispheres.some((h) => isOccasionActive(def.season!, now, h, calendar));
}

/* Building blocks shared by several definitions. */

export const cond = {
  num: (name: string, op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte', value: number): Rule => ({
    field: `features.${name}`,
    op,
    value,
  }),
  noOrderWithin: (days: number): Rule => ({ event: { type: 'order_completed', within: { days }, count: { lte: 0 } } }),
  /** Consumable categories of the shop: what customers reorder when it runs out. */
  consumables: ['beauty', 'coffee', 'pet', 'tea'],
};
