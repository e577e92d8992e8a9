/**
 * How many segments a list can support: each needs enough people for a campaign to tell anything
 * and for flows not to overlap everyone. The seed's advice: fewer than 1,000 customers → 3–5
 * segments; we extrapolate one more segment per doubling above that.
 */
export function maxUsefulSegments(customers: number): number {
  if (customers < 1000) return 5;
  return 5 + Math.floor(Math.log2(customers / 1000)) * 3;
}

export interface SegmentWarnings {
  bySegment: Map<string, string[]>;
  /** Set when there are more non-empty segments than the list supports. */
  overall: string | null;
  nonEmpty: number;
}

/** Warnings for the segments of a run: too small to act on, and too many for the list size. */
export function segmentWarnings(sizes: Map<string, number>, customers: number, minSize: number): SegmentWarnings {
  const bySegment = new Map<string, string[]>();
  const nonEmpty = [...sizes.values()].filter((n) => n > 0).length;
  const max = maxUsefulSegments(customers);
  const overall =
    nonEmpty > max
      ? `${nonEmpty} segments have members but a list of ${customers} customers supports about ${max}: deactivate some or merge them`
      : null;
  for (const [segment, size] of sizes) {
    const list: string[] = [];
    if (size > 0 && size < minSize)
      list.push(`only ${size} members (fewer than ${minSize}): too small to act on or to measure`);
    if (overall && size > 0) list.push(overall);
    if (list.length > 0) bySegment.set(segment, list);
  }
  return { bySegment, overall, nonEmpty };
}
