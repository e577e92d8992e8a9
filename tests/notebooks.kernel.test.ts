// The notebooks' kernel (notebooks/kernel.cjs) without Jupyter: cells go through tslab's own
// executor with the kernel's adaptations. Nothing here may load tslab before the kernel file
// patches it, so this file imports neither tslab nor the notebooks' display helpers.
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config.js';

type Executor = { execute(code: string): Promise<boolean>; close(): void };
const { createNotebookExecutor } = createRequire(import.meta.url)('../notebooks/kernel.cjs') as {
  createNotebookExecutor(output: { log: (...args: unknown[]) => void; error: (...args: unknown[]) => void }): Executor;
};

describe('the kernel', () => {
  it('runs cells importing our ES modules, with top-level await, and checks cells as strictly as tsc', async () => {
    const logged: string[] = [];
    const errors: string[] = [];
    const executor = createNotebookExecutor({
      log: (...a) => logged.push(format(...a)),
      error: (...a) => errors.push(format(...a)),
    });
    try {
      // src/config.ts computes projectRoot from import.meta.url, which CommonJS lacks.
      expect(
        await executor.execute(
          `import { projectRoot } from './src/config.js';\nconst root: string = projectRoot;\nroot`,
        ),
      ).toBe(true);
      expect(logged.pop()).toBe(projectRoot);

      expect(await executor.execute('const answer = await Promise.resolve(41);\nanswer + 1')).toBe(true);
      expect(logged.pop()).toBe('42');

      // noUncheckedIndexedAccess, as in tsconfig.json: xs[0] may be undefined.
      expect(await executor.execute('const xs = [1, 2];\nconst first: number = xs[0];')).toBe(false);
      expect(errors.join('\n')).toMatch(/2:7 - Type 'number \| undefined' is not assignable to type 'number'/);

      expect(await executor.execute(`throw new Error('boom')`)).toBe(false);
      expect(errors.join('\n')).toMatch(/boom/);
    } finally {
      executor.close();
    }
  });
});
