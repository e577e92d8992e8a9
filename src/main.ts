import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createApiKey, revokeApiKeysNamed } from './api/apiKeys.js';
import { buildApp } from './api/buildApp.js';
import { startHttpServer, type HttpServer } from './api/httpServer.js';
import { startSmtpSink } from './campaigns/delivery/smtpSink.js';
import type { SmtpSink } from './campaigns/delivery/types.js';
import { closeCampaignServices, outboxDir } from './campaigns/services.js';
import { unsubscribeByMail } from './campaigns/tracking/recordEngagement.js';
import { mailDomain, trackingSecret } from './campaigns/tracking/secret.js';
import { config, redactedConfig, resetConfig } from './config.js';
import { connectDatabase, type Database } from './db/database.js';
import { buildWorker, type Worker } from './jobs/buildWorker.js';
import { trainDemoModels } from './demo/demoModels.js';
import { seedDemo } from './demo/seedDemo.js';
import { loadJobs } from './jobs/loadJobs.js';
import { currentHold, describeHold } from './jobs/core/scheduleHold.js';
import { flushTracking } from './ingest/tracking/trackingBuffer.js';
import { log, setLogLevel } from './log.js';

const { values: flags } = parseArgs({
  options: {
    'no-demo': { type: 'boolean', default: false },
    'worker-only': { type: 'boolean', default: false },
    'no-schedule': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  process.stdout.write(
    [
      'npm start [-- options]   database (embedded unless MONGODB_URI is set), API + dashboard on PORT, and the job worker',
      '  --no-demo       do not seed a demo shop into an empty database, nor train its models',
      '  --worker-only   run only the job worker (what `npm run worker` does)',
      '  --no-schedule   run no scheduled jobs (also SCHEDULE=off): the API serves, jobs run on demand (`breadcrumb job run`), `npm run worker` runs the schedule',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

/** Every start-up line carries the seconds since the process began: the start-up timeline. */
const startedAt = performance.now();
const sinceStart = () => (performance.now() - startedAt) / 1000;
const say = (message: string) => process.stderr.write(`[${sinceStart().toFixed(1).padStart(6)} s] ${message}\n`);

/** A fresh demo marketer key each start (earlier demo keys are revoked), since keys are only ever shown once. */
async function demoKey(database: Database): Promise<string> {
  await revokeApiKeysNamed(database.models, 'demo marketer');
  return (await createApiKey(database.models, { role: 'marketer', name: 'demo marketer' })).key;
}

async function main(): Promise<void> {
  setLogLevel();
  const c = config();
  log.debug({ config: redactedConfig(c) }, 'configuration');
  // Off: no worker at all, so not even occurrences stored in agenda_jobs by earlier starts fire.
  const scheduled = !flags['no-schedule'] && c.SCHEDULE === 'on';
  if (!scheduled && flags['worker-only'])
    throw new Error('--worker-only with the schedule off (--no-schedule or SCHEDULE=off) has nothing to run');
  const database = await connectDatabase({ status: say });
  // No SMTP server configured: mail goes to a local SMTP sink that keeps .eml files in data/outbox/.
  let sink: SmtpSink | undefined;
  if (!c.SMTP_URL && !c.SMTP_HOST) {
    // Mail to unsubscribe@<MAIL_FROM domain> (the List-Unsubscribe mailto) unsubscribes its sender.
    const domain = mailDomain(c.MAIL_FROM);
    sink = await startSmtpSink({
      dir: outboxDir(),
      onMessage: (mail) => unsubscribeByMail(database, trackingSecret(c), mail, domain),
    });
    process.env.SMTP_URL = sink.url;
    process.env.SMTP_OUTBOX = outboxDir();
    resetConfig();
    say(`no SMTP_URL: mail goes to ${sink.url}, kept in ${outboxDir()}`);
  }
  const jobs = await loadJobs();
  const worker: Worker | undefined = scheduled ? buildWorker({ database, jobs }) : undefined;
  let http: HttpServer | undefined;
  // Demo model training runs after "ready"; shutdown aborts it and waits for the running job to
  // record its end before the database closes (the next start trains what is still missing).
  const demoModels = new AbortController();
  let demoTraining: Promise<unknown> | undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: shutting down (finishing requests and jobs)…`);
    demoModels.abort();
    await http?.close(c.SHUTDOWN_GRACE_MS);
    // Bounded like the worker's drain: a step that cannot be interrupted must not hold the exit.
    await Promise.race([demoTraining, sleep(c.SHUTDOWN_GRACE_MS, undefined, { ref: false })]);
    await worker?.stop(c.SHUTDOWN_GRACE_MS);
    await closeCampaignServices();
    await sink?.close();
    await flushTracking(database, { wait: true }).catch((err: unknown) =>
      log.warn({ err }, 'tracking counters of the last seconds not written'),
    );
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (!flags['worker-only']) {
    http = await startHttpServer(buildApp({ database }), { port: c.PORT, host: c.HOST });
    say(`Breadcrumb API on ${http.url} (health: ${http.url}/health, OpenAPI: ${http.url}/openapi.json)`);
    const empty = !(await database.collections.events.findOne({}, { projection: { _id: 1 } }));
    if (empty && !flags['no-demo']) await seedDemo(database, jobs, say);
    if (!flags['no-demo']) say(`demo marketer key: ${await demoKey(database)}`);
  }
  await worker?.start();
  if (!scheduled)
    say(
      'schedule off (--no-schedule / SCHEDULE=off): no job runs unless asked for; `npm run worker` runs the schedule',
    );
  const hold = await currentHold(database);
  if (hold && scheduled) say(`${describeHold(hold)}: its jobs skip their scheduled runs`);
  say(flags['worker-only'] ? 'worker running; Ctrl-C to stop' : `ready: ${http!.url}  (Ctrl-C to stop)`);
  // In the background, so the API and worker serve meanwhile: without models the demo's scores,
  // predictive segments and model charts would stay empty until someone trains them by hand.
  if (!flags['worker-only'] && !flags['no-demo'] && !stopping) {
    const readyAt = sinceStart();
    demoTraining = trainDemoModels({ database, jobs, signal: demoModels.signal, say })
      .then((done) => {
        if (done.scored !== undefined)
          say(
            `start-up timeline: ready after ${readyAt.toFixed(0)} s; models trained, ${done.scored} customers scored and segments assigned after ${sinceStart().toFixed(0)} s`,
          );
      })
      .catch((err: Error) => {
        say(`demo models: ${err.message}`);
        log.debug({ err }, 'demo model training failed');
      });
  }
}

main().catch((err: Error) => {
  say(`error: ${err.message}`);
  log.debug({ err }, 'start-up failed');
  process.exit(1);
});
