import { z } from 'zod';
import pkg from '../../../package.json' with { type: 'json' };
import type { Database } from '../../db/database.js';
import { log as rootLog } from '../../log.js';
import { defineRoute, Reply } from '../defineRoute.js';

const PING_TIMEOUT_MS = 2000;

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    database: z.object({ ok: z.boolean(), pingMs: z.number().nullable() }),
    versions: z.object({
      breadcrumb: z.string(),
      node: z.string(),
      mongodbServer: z
        .string()
        .nullable()
        .meta({ description: 'Version the server reports (FerretDB reports the MongoDB version it emulates)' }),
      backend: z
        .string()
        .optional()
        .meta({ description: 'The server behind the wire protocol when it is not MongoDB, e.g. "FerretDB v1.24.2"' }),
    }),
    uptimeSec: z.number().int(),
    intake: z
      .object({
        accepted: z.number().int(),
        shed: z.number().int(),
        inFlight: z.number().int(),
        queued: z.number().int(),
        deferred: z.number().int(),
        deferring: z.number().int(),
        serviceMs: z.number(),
      })
      .optional()
      .meta({
        description:
          'Admission control of the ingest routes since start: requests accepted, shed (429 + Retry-After, nothing stored), running, waiting, queued while busy (202: deferred since start, deferring now), and the recent average time of one',
      }),
    webhooks: z.record(z.string(), z.record(z.string(), z.number().int())).optional().meta({
      description:
        'Shop webhook deliveries since start by platform and outcome: processed (stored or found stored already), redelivered, forged, replayed, ping, and `ignored:<topic>` for topics acknowledged but not read',
    }),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof healthSchema>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Pings the database and reports versions; never throws, a failed ping is a `degraded` report. */
export async function checkHealth(database: Database, log = rootLog): Promise<Health> {
  const versions: Health['versions'] = { breadcrumb: pkg.version, node: process.versions.node, mongodbServer: null };
  const uptimeSec = Math.round(process.uptime());
  const started = performance.now();
  try {
    const [, info] = await withTimeout(
      Promise.all([database.db.command({ ping: 1 }), database.db.command({ buildInfo: 1 })]),
      PING_TIMEOUT_MS,
    );
    const pingMs = Math.round((performance.now() - started) * 10) / 10;
    versions.mongodbServer = typeof info.version === 'string' ? info.version : null;
    if (typeof info.ferretdbVersion === 'string') versions.backend = `FerretDB ${info.ferretdbVersion}`;
    return { status: 'ok', database: { ok: true, pingMs }, versions, uptimeSec };
  } catch (err) {
    // The reason stays in the log: /health is public and driver errors name hosts.
    log.warn({ err }, 'health check: database ping failed');
    return { status: 'degraded', database: { ok: false, pingMs: null }, versions, uptimeSec };
  }
}

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/health',
    summary: 'Liveness and database reachability',
    tags: ['service'],
    roles: 'public',
    responses: {
      200: { description: 'The service and its database answer', schema: healthSchema },
      503: { description: 'The database does not answer', schema: healthSchema },
    },
    handler: async ({ database, log, req }) => {
      const health = {
        ...(await checkHealth(database, log)),
        intake: req.app.locals.intake?.stats(),
        webhooks: req.app.locals.webhookTally?.stats(),
      };
      return health.database.ok ? health : new Reply(503, health);
    },
  }),
];
