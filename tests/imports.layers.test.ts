import { describe, expect, it } from 'vitest';
import { importGraph } from './helpers/importGraph.js';

const graph = importGraph('src');
const importsOf = (where: (file: string) => boolean, what: (target: string) => boolean) =>
  [...graph].flatMap(([file, imports]) =>
    where(file) ? imports.filter(what).map((target) => `${file} → ${target}`) : [],
  );

/** The layers above the stages: the job runtime (src/jobs less its core), the demo, the CLI and the process entry point. */
const runtime = (file: string) =>
  (/^src\/(jobs|demo|cli)\//.test(file) && !file.startsWith('src/jobs/core/')) || file === 'src/main.ts';

describe('layers', () => {
  it('the stages and the API import only the job core, never the job runtime', () => {
    expect(
      importsOf(
        (f) => !runtime(f),
        (t) => t.startsWith('src/jobs/') && !t.startsWith('src/jobs/core/'),
      ),
    ).toEqual([]);
  });

  it('the job core imports nothing above it', () => {
    expect(importsOf((f) => f.startsWith('src/jobs/core/'), runtime)).toEqual([]);
  });

  it('only src/demo imports the synthetic data generator (data/)', () => {
    expect(
      importsOf(
        (f) => !f.startsWith('src/demo/'),
        (t) => t.startsWith('data/'),
      ),
    ).toEqual([]);
    expect(
      importsOf(
        (f) => f.startsWith('src/demo/'),
        (t) => t.startsWith('data/'),
      ).length,
    ).toBeGreaterThan(0);
  });

  it('nothing below the demo imports it', () => {
    expect(
      importsOf(
        (f) => f !== 'src/main.ts' && !f.startsWith('src/demo/') && !f.startsWith('src/cli/'),
        (t) => t.startsWith('src/demo/'),
      ),
    ).toEqual([]);
  });
});
