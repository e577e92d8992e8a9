import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../src/db/database.js';
import { isAlive, ping, readRecord, startEmbedded } from '../src/db/embedded.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-launcher-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function waitDead(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

/** Runs the fixture parent; resolves with the record it printed and the child process. */
function parentProcess(mode: 'exit' | 'crash' | 'hold') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/holdEmbedded.ts'), dataDir, mode],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const record = new Promise<{ uri: string; pid: number; owned: boolean }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`parent exited with ${code} before printing`)));
  });
  return { child, record };
}

describe('embedded database launcher', () => {
  it('starts, answers, is joined by a second caller, stops with no process left, and restarts on the same data', async () => {
    const server = await startEmbedded({ dataDir });
    expect(server.owned).toBe(true);
    expect(await ping(server.uri)).toBe(true);
    expect(readRecord(dataDir)).toMatchObject({ uri: server.uri, pid: server.pid, ownerPid: process.pid });

    const joined = await startEmbedded({ dataDir });
    expect(joined).toMatchObject({ owned: false, uri: server.uri, pid: server.pid });

    const db = await connectDatabase({ uri: server.uri, dbName: 'launcher' });
    await db.models.Customer.create({ _id: 'kept-1', partition: 0 });
    await db.close();

    await server.stop();
    expect(await waitDead(server.pid)).toBe(true);
    expect(readRecord(dataDir)).toBeUndefined();

    const again = await startEmbedded({ dataDir });
    expect(again.pid).not.toBe(server.pid);
    const db2 = await connectDatabase({ uri: again.uri, dbName: 'launcher' });
    expect(await db2.models.Customer.findById('kept-1').lean()).toMatchObject({ _id: 'kept-1' });
    await db2.close();
    await again.stop();
    expect(await waitDead(again.pid)).toBe(true);
  });

  it.each(['exit', 'crash'] as const)('stops the server when its parent process ends (%s)', async (mode) => {
    const { record } = parentProcess(mode);
    const { pid } = await record;
    expect(await waitDead(pid)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('stops the server when its parent gets %s', async (signal) => {
    const { child, record } = parentProcess('hold');
    const { pid, uri } = await record;
    expect(await ping(uri)).toBe(true);
    child.kill(signal);
    expect(await waitDead(pid)).toBe(true);
  });

  it('cleans up a stale record left by a dead server', async () => {
    fs.mkdirSync(path.join(dataDir, 'db'), { recursive: true });
    fs.writeFileSync(
      path.join(dataDir, 'db', 'server.json'),
      JSON.stringify({
        uri: 'mongodb://127.0.0.1:1/',
        pid: 999_999_999,
        ownerPid: null,
        kind: 'ferretdb',
        startedAt: '',
      }),
    );
    const server = await startEmbedded({ dataDir });
    expect(server.owned).toBe(true);
    expect(server.pid).not.toBe(999_999_999);
    await server.stop();
  });
});

describe('connectDatabase', () => {
  // The deadline is the check: the driver's default server selection (30 s) would miss it, our 5 s does not.
  it('fails fast with a clear error when MONGODB_URI points nowhere', { timeout: 20_000 }, async () => {
    await expect(connectDatabase({ uri: 'mongodb://127.0.0.1:1/breadcrumb' })).rejects.toThrow(
      /cannot reach the database at mongodb:\/\/127\.0\.0\.1:1\/breadcrumb.*MONGODB_URI/,
    );
  });

  it('never prints the password of a URI it cannot reach', async () => {
    const error = await connectDatabase({ uri: 'mongodb://admin:s3cret@127.0.0.1:1/x' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/admin:\*\*\*@/);
    expect((error as Error).message).not.toContain('s3cret');
  });
});
