import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { config } from '../config.js';
import { log as rootLog } from '../log.js';

export interface HttpServer {
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`, then cuts what
   * is left), closes idle keep-alive sockets, and resolves once every connection is gone.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(
  app: RequestListener,
  { port, host }: { port: number; host: string },
  log = rootLog,
): Promise<HttpServer> {
  const server = http.createServer();
  const inFlight = new Set<http.ServerResponse>();
  let closing: Promise<void> | undefined;

  // Ahead of the app, which may answer synchronously: headers can only be set before that.
  server.on('request', (_req, res: http.ServerResponse) => {
    inFlight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.delete(res);
      // The socket this response used is idle now; during shutdown nothing should keep it open.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  server.on('request', app);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A backlog past Node's 511: analytics-node opens a connection per pending batch, and a backfill
    // opened thousands at once; connections the kernel dropped were retried by SYN after 1, 3, 7 s,
    // past the client's 10 s timeout, and counted as failed sends (issue #17). The kernel caps it at somaxconn.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  const close = (graceMs: number) =>
    new Promise<void>((resolve, reject) => {
      // Ask clients of the requests still running not to reuse their connection.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const timer = setTimeout(() => {
        log.warn({ inFlight: inFlight.size, graceMs }, 'http: grace period over, closing remaining connections');
        server.closeAllConnections();
      }, graceMs);
      // close() stops listening at once and closes idle keep-alive sockets; its callback waits for the rest.
      server.close((err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
      log.info({ inFlight: inFlight.size, graceMs }, 'http: stopped accepting connections');
    });

  return {
    url,
    port: actualPort,
    close: (graceMs = config().SHUTDOWN_GRACE_MS) => (closing ??= close(graceMs)),
  };
}
