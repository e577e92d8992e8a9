import { folds } from './buildFeatures.js';
import type { FeatureType } from './defineFold.js';

export interface CatalogEntry {
  name: string;
  /** The fold that computes it (orders, browsing, …). */
  group: string;
  type: FeatureType;
  unit: string;
  window: string;
  description: string;
}

/**
 * Every feature buildFeatures outputs, in output order, generated from the folds' own
 * declarations: the catalogue cannot drift from the code.
 */
export const featureCatalog: readonly CatalogEntry[] = Object.freeze(
  folds.flatMap((fold) =>
    Object.entries(fold.features).map(([name, m]) =>
      Object.freeze({
        name,
        group: fold.name,
        type: m.type,
        unit: m.unit,
        window: m.window,
        description: m.description,
      }),
    ),
  ),
);

export const featureNames: readonly string[] = Object.freeze(featureCatalog.map((f) => f.name));

const duplicate = featureNames.find((name, i) => featureNames.indexOf(name) !== i);
if (duplicate) throw new Error(`feature "${duplicate}" is declared by two folds`);

/** The catalogue as a Markdown table (docs/features.md, kept equal by tests/readme.test.ts). */
export function featureCatalogMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const rows = featureCatalog.map(
    (f) => `| \`${f.name}\` | ${f.group} | ${f.type} | ${cell(f.unit)} | ${cell(f.window)} | ${cell(f.description)} |`,
  );
  return (
    ['| feature | group | type | unit | window | meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join(
      '\n',
    ) + '\n'
  );
}
