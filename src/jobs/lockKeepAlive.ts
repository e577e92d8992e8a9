import type { Logger } from 'pino';

/** How a run keeps its scheduler lock: `touch` renews it (with the run's progress, 0–100), every `everyMs`. */
export interface LockKeepAlive {
  touch(percent?: number): Promise<void>;
  everyMs: number;
}

/**
 * Renews a run's lock every `everyMs` for as long as the run is alive, carrying its latest
 * progress. Agenda cancels a run whose lock is older than its lifetime ("Call touch() for long
 * running jobs"), but cancelling only reports a failure: the handler goes on, and the next
 * occurrence may start beside it. A timer in the running process (rather than a touch per progress
 * report) also covers the stretches where a job reports nothing for a while (one long query, a
 * batch of sends on a busy server); a dead process stops renewing, so its lock still expires and
 * another worker takes the job over.
 */
export function keepLockAlive(
  keepAlive: LockKeepAlive,
  log: Logger,
): { progress(done: number, total: number): void; stop(): Promise<void> } {
  let percent: number | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = keepAlive.touch(percent).catch((err: Error) => log.warn({ err }, 'job lock not renewed'));
  }, keepAlive.everyMs);
  timer.unref();
  return {
    progress(done, total) {
      if (total > 0) percent = Math.min(100, Math.round((100 * done) / total));
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
