import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';

const dbName = `bc_test_${randomUUID().replaceAll('-', '')}`;
const uri = new URL(inject('mongoUri'));
uri.pathname = `/${dbName}`;

afterAll(async () => {
  const client = await MongoClient.connect(uri.toString());
  await client.db(dbName).dropDatabase();
  await client.close();
});

/** Starts `src/main.ts` with `args` on the test database and waits for its "ready" line. */
async function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, '../src/main.ts'), ...args],
    {
      env: { ...process.env, MONGODB_URI: uri.toString(), PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out = { stderr: '' };
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/ready: (http:\/\/\S+)/.test(out.stderr) && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  return { child, out, exited, url: /ready: (http:\/\/\S+)/.exec(out.stderr)?.[1] };
}

describe('npm start', () => {
  it('serves /health and stops cleanly on SIGTERM', async () => {
    const { child, out, exited, url } = await start(['--no-demo']);
    expect(url, out.stderr).toBeDefined();

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { ok: true } });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('with SCHEDULE=off serves the API and starts no worker, so nothing scheduled fires', async () => {
    const client = await MongoClient.connect(uri.toString());
    const agendaJobs = client.db(dbName).collection('agenda_jobs');
    await agendaJobs.deleteMany({});
    // An occurrence due now, as an earlier start would have left it: with a worker it would run.
    await agendaJobs.insertOne({
      name: 'housekeeping',
      type: 'normal',
      data: {},
      nextRunAt: new Date(),
      priority: 0,
      lockedAt: null,
      disabled: false,
    });
    const { child, out, exited, url } = await start(['--no-demo'], { SCHEDULE: 'off' });
    try {
      expect(url, out.stderr).toBeDefined();
      expect(out.stderr).toContain('schedule off (--no-schedule / SCHEDULE=off)');
      expect((await fetch(`${url}/health`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await client.db(dbName).collection('job_runs').countDocuments({ job: 'housekeeping' })).toBe(0);
      expect(await agendaJobs.find({}).toArray()).toEqual([
        expect.objectContaining({ name: 'housekeeping', lockedAt: null }),
      ]);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await client.close();
    }
  });
});
