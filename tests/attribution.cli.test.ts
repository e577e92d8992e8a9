import fs from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { period, seedAttributionShop } from './attribution.fixture.js';
import { runCli } from './helpers/cli.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
const cli = (...args: string[]) => runCli(database(), ...args);

/** Pixels that are not the white background: a chart was drawn. */
async function inkedPixels(file: string): Promise<number> {
  const image = await loadImage(fs.readFileSync(file));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200) inked++;
  return inked;
}

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  await seedAttributionShop(database());
});

describe('breadcrumb report', () => {
  it('attribution --png writes the models-side-by-side chart and --json the report', async () => {
    const png = path.join(artifacts, 'attribution.png');
    fs.rmSync(png, { force: true });
    const { stdout } = await cli(
      'report',
      'attribution',
      '--from',
      period.from,
      '--to',
      period.to,
      '--png',
      png,
      '--json',
    );
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ orders: 4, revenue: 210 });
    expect(report.models).toHaveLength(7);
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(await inkedPixels(png)).toBeGreaterThan(5000);
  });

  it('kpis prints the holdout comparison; errors are one line and non-zero', async () => {
    const { stdout } = await cli('report', 'kpis', '--from', period.from, '--to', period.to, '--by', 'flow');
    expect(stdout).toMatch(/welcome\s+2 .* 60\.00 \(-1\.98 … 121\.98\) vs attributed 70\.00/);
    await expect(cli('report', 'kpis', '--by', 'weekday')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: --by must be one of/),
    });
  });
});
