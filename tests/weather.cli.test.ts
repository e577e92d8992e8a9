import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useTestDatabase } from './helpers/db.js';

/** `breadcrumb weather import` as a user runs it, against this file's database. */
const database = useTestDatabase();
let dir = '';

const cli = (...args: string[]) => {
  const uri = new URL(inject('mongoUri'));
  uri.pathname = `/${database().db.databaseName}`;
  return promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'weather', ...args], {
    env: { ...process.env, MONGODB_URI: uri.toString() },
  });
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bc-weather-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('breadcrumb weather import', () => {
  it('has --help', async () => {
    const { stdout } = await cli('import', '--help');
    expect(stdout).toMatch(/--partial/);
    expect(stdout).toMatch(/--json/);
  });

  it('names bad rows by line and stores nothing; a good file imports once', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(
      bad,
      'date,region,temperature,precipitation,condition\n2025-01-01,Oslo,-3,1,snow\n2025-01-02,Oslo,,0,\n',
    );
    const failed = await cli('import', bad).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toMatch(/line 3: temperature: /);
    expect(await database().collections.weather.countDocuments()).toBe(0);

    const good = join(dir, 'good.ndjson');
    await writeFile(
      good,
      [
        '{"date":"2025-01-01","region":"Oslo","temperature":-3}',
        '{"date":"2025-01-02","region":"Oslo","temperature":-8}',
      ].join('\n'),
    );
    const first = JSON.parse((await cli('import', good, '--json')).stdout);
    expect(first).toMatchObject({ read: 2, inserted: 2, unchanged: 0 });
    const again = JSON.parse((await cli('import', good, '--json')).stdout);
    expect(again).toMatchObject({ read: 2, inserted: 0, unchanged: 2 });
  });
});
