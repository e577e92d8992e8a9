import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../src/api/buildApp.js';
import { defineRoute } from '../src/api/defineRoute.js';
import { startHttpServer } from '../src/api/httpServer.js';
import { routes } from '../src/api/routes/index.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

const slowRoute = (ms: number) =>
  defineRoute({
    method: 'get',
    path: '/test/slow',
    summary: 'Answers after a while',
    roles: 'public',
    responses: { 200: { description: 'done', schema: z.object({ done: z.boolean() }) } },
    handler: async () => {
      await sleep(ms);
      return { done: true };
    },
  });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

function get(url: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

describe('graceful HTTP shutdown', () => {
  it('finishes requests in flight, refuses new connections and does not wait for idle keep-alive sockets', async () => {
    const server = await startHttpServer(buildApp({ database: database(), routes: [...routes, slowRoute(500)] }), {
      port: 0,
      host: '127.0.0.1',
    });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const idleAgent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    try {
      // Leaves a keep-alive socket open and idle: it must not hold the shutdown up.
      expect((await get(`${server.url}/health`, idleAgent)).status).toBe(200);

      const inFlight = get(`${server.url}/test/slow`, busyAgent);
      await sleep(100);
      // A grace period longer than the test may run: close() can only finish by itself, never by the cut.
      const closed = server.close(10 * 60_000);

      await expect(connect(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const answer = await inFlight;
      expect(answer).toMatchObject({ status: 200, body: { done: true } });
      expect(answer.headers.connection).toBe('close');

      // Neither the idle keep-alive socket nor the answered request holds the close up.
      await closed;
    } finally {
      idleAgent.destroy();
      busyAgent.destroy();
    }
  });

  it('cuts requests still running when the grace period ends', async () => {
    const server = await startHttpServer(buildApp({ database: database(), routes: [...routes, slowRoute(3000)] }), {
      port: 0,
      host: '127.0.0.1',
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const inFlight = get(`${server.url}/test/slow`, agent);
      await sleep(100);
      await server.close(200);
      // Cut at the end of the grace period: the 3 s request never answers.
      await expect(inFlight).rejects.toMatchObject({ code: 'ECONNRESET' });
    } finally {
      agent.destroy();
    }
  });
});
