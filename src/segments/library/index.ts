import { browseAbandonment, cartAbandonment, combined, highImpact } from './behavioural.js';
import { engagement, predictive, purchase, seasonal } from './customer.js';
import type { SegmentDefinition } from './definition.js';

export { isInSeason, type SegmentDefinition, type SegmentKind } from './definition.js';

/** Every built-in segment, in the order docs/segments.md lists them. Keys are unique and stable: they are segment ids. */
export const builtInSegments: readonly SegmentDefinition[] = Object.freeze([
  ...highImpact,
  ...browseAbandonment,
  ...cartAbandonment,
  ...purchase,
  ...engagement,
  ...predictive,
  ...seasonal,
  ...combined,
]);

const duplicate = builtInSegments.find((s, i) => builtInSegments.findIndex((t) => t.key === s.key) !== i);
if (duplicate) throw new Error(`built-in segment "${duplicate.key}" is defined twice`);

/** The library as a Markdown table (kept equal to docs/segments.md by tests/readme.test.ts). */
export function segmentLibraryMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const rows = builtInSegments.map(
    (s) =>
      `| \`${s.key}\` | ${s.group} | ${s.kind} | ${cell(s.description)}${s.season ? ` (season: ${s.season})` : ''} |`,
  );
  return ['| key | group | kind | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
