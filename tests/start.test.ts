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

describe('npm start', () => {
  it('serves /health and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../src/main.ts'), '--no-demo'], {
      env: { ...process.env, MONGODB_URI: uri.toString(), PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!/ready: (http:\/\/\S+)/.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    const url = /ready: (http:\/\/\S+)/.exec(stderr)?.[1];
    expect(url, stderr).toBeDefined();

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { ok: true } });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
