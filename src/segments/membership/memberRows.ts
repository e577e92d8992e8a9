/** The rows of a segment's member pages and the index of those pages: plain shapes, imported by the stored document's declaration (src/db/models/segment.ts). */

export const memberFields = [
  'customerId',
  'enteredAt',
  'email',
  'firstName',
  'lastName',
  'country',
  'timezone',
  'lifecycleStage',
  'churnRisk',
  'predictedLtv',
  'purchaseProbability',
  'expectedNextOrderAt',
  'bestSendHour',
] as const;
export type MemberField = (typeof memberFields)[number];
export type MemberRow = Partial<Record<MemberField, string | number | null>> & { customerId: string };

/** A partition's entries into and exits from a segment on one day, tallied from the stored stays. */
export interface DayMoves {
  day: string;
  entered: number;
  exited: number;
}

/** Where a partition's pages are: the current version and the one before (still readable). */
export interface PartitionPages {
  version: number;
  pages: number;
  count: number;
  previous: { version: number; pages: number } | null;
  /** The day of the run that wrote this version, with the partition's moves that day (see daily counts). */
  moves?: DayMoves;
}

/** `segments.memberPages`: by `p<partition>`. */
export type MemberPagesIndex = Record<string, PartitionPages>;
