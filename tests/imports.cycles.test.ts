import { describe, expect, it } from 'vitest';
import { findCycles, importGraph } from './helpers/importGraph.js';

describe('import cycles', () => {
  it('finds a cycle, and one per tangle', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['b.ts']],
      ['e.ts', ['a.ts', 'e.ts']],
      ['f.ts', ['a.ts']],
    ]);
    expect(findCycles(graph).sort()).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['e.ts', 'e.ts'],
    ]);
  });

  it('reads the imports of src/, type-only ones included', () => {
    const graph = importGraph('src');
    expect(graph.get('src/main.ts')).toContain('src/config.ts');
    expect(graph.get('src/jobs/runJob.ts')).toContain('src/jobs/core/defineJob.ts');
    expect(graph.get('src/api/routes/reports.ts')).toContain('src/charts/chartConfigs.js');
  });

  it('src/ has none: layers point one way', () => {
    const cycles = findCycles(importGraph('src')).map((c) => c.join(' → '));
    expect(cycles).toEqual([]);
  });
});
