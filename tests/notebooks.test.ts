// The notebooks' machinery without Python: the committed notebooks, the kernelspec and the display
// helpers (the kernel itself: notebooks.kernel.test.ts). `npm run notebooks` executes the notebooks
// themselves through Jupyter.
import fs from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { chartPng, tableHtml } from '../notebooks/lib/display.js';
import { failureOf, listNotebooks } from '../notebooks/run.js';
import { KERNEL_NAME, kernelSpec, NOTEBOOKS_DIR, SetupError } from '../notebooks/setup.js';

describe('the committed notebooks', () => {
  it('are the two of issue #4, stored without outputs, on the Breadcrumb kernel', () => {
    const notebooks = listNotebooks();
    expect(notebooks).toEqual(expect.arrayContaining(['churn-cdnow.ipynb', 'ltv-models.ipynb']));
    for (const file of notebooks) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS_DIR, file), 'utf8')) as {
        metadata: { kernelspec: { name: string } };
        cells: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }[];
      };
      expect(nb.metadata.kernelspec.name, file).toBe(KERNEL_NAME);
      // Executed copies go to notebooks/out/; the committed ones stay free of outputs so they diff cleanly.
      for (const cell of nb.cells.filter((c) => c.cell_type === 'code'))
        expect([cell.outputs, cell.execution_count], file).toEqual([[], null]);
    }
  });

  it('are selected by name, and an unknown name is an error naming the ones there are', () => {
    expect(listNotebooks(['ltv-models'])).toEqual(['ltv-models.ipynb']);
    expect(() => listNotebooks(['nope'])).toThrow(SetupError);
    expect(() => listNotebooks(['nope'])).toThrow(/churn-cdnow\.ipynb/);
  });

  it('report the failing cell with what the kernel wrote to stderr', () => {
    // The shape papermill writes: cells after the failure stay pending, tslab's errors are stderr streams.
    const executed = {
      cells: [
        { cell_type: 'markdown' },
        {
          cell_type: 'code',
          metadata: { papermill: { exception: false } },
          outputs: [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }],
        },
        {
          cell_type: 'code',
          metadata: { papermill: { exception: true } },
          outputs: [
            {
              output_type: 'stream',
              name: 'stderr',
              text: ['2:7 - Type ', "'string' is not assignable to type 'number'.\n"],
            },
          ],
        },
        { cell_type: 'code', metadata: { papermill: { exception: null } }, outputs: [] },
      ],
    };
    expect(failureOf(executed)).toBe("code cell 2: 2:7 - Type 'string' is not assignable to type 'number'.");
    expect(failureOf({ cells: executed.cells.slice(0, 2) })).toBeUndefined();
  });

  it('run on a kernelspec that starts kernel.cjs with this Node', () => {
    const argv = kernelSpec().argv as string[];
    expect(argv[0]).toBe(process.execPath);
    expect(fs.existsSync(argv[1]!)).toBe(true);
    expect(argv.slice(2)).toEqual(['--config-path', '{connection_file}']);
  });
});

describe('display helpers', () => {
  it('render a Chart.js chart to a PNG with something drawn on it', async () => {
    const png = chartPng(
      {
        type: 'bar',
        data: { labels: ['a', 'b'], datasets: [{ label: 'n', data: [3, 5], backgroundColor: '#ff0000' }] },
      },
      { width: 200, height: 100 },
    );
    const image = await loadImage(png);
    expect([image.width, image.height]).toEqual([200, 100]);
    const canvas = createCanvas(200, 100);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, 200, 100).data;
    let red = 0;
    for (let i = 0; i < pixels.length; i += 4)
      if (pixels[i]! > 200 && pixels[i + 1]! < 60 && pixels[i + 2]! < 60) red++;
    // Two bars of the dataset's colour, on a white background.
    expect(red).toBeGreaterThan(500);
    expect([pixels[0], pixels[1], pixels[2]]).toEqual([255, 255, 255]);
  });

  it('write HTML tables with escaped text, grouped integers and fixed decimals', () => {
    const html = tableHtml([{ name: '<b>&', n: 12345, x: 0.123456, missing: null }], { digits: 2, caption: 'c' });
    expect(html).toContain('<caption>c</caption>');
    expect(html).toContain('<th>name</th><th>n</th><th>x</th><th>missing</th>');
    expect(html).toContain('&lt;b&gt;&amp;');
    expect(html).toContain('>12,345<');
    expect(html).toContain('>0.12<');
    expect(html).toContain('>–<');
  });
});
