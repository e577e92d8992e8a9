import type { Application } from 'express';

/**
 * Webhook deliveries by platform and outcome since the process started (`processed`, `redelivered`,
 * `forged`, `replayed`, `ping`, `ignored:<topic>`): /health shows them, so a topic a shop sends
 * that nothing reads, or a burst of forgeries, is visible without reading logs.
 */
export interface WebhookTally {
  count(source: string, outcome: string): void;
  stats(): Record<string, Record<string, number>>;
}

declare global {
  namespace Express {
    interface Locals {
      webhookTally?: WebhookTally;
    }
  }
}

function createWebhookTally(): WebhookTally {
  const counts = new Map<string, Map<string, number>>();
  return {
    count(source, outcome) {
      const bySource = counts.get(source) ?? new Map<string, number>();
      counts.set(source, bySource);
      bySource.set(outcome, (bySource.get(outcome) ?? 0) + 1);
    },
    stats: () => Object.fromEntries([...counts].map(([source, m]) => [source, Object.fromEntries(m)])),
  };
}

/** The app's tally, made on first use (each app built by a test counts on its own). */
export function webhookTally(app: Application): WebhookTally {
  app.locals.webhookTally ??= createWebhookTally();
  return app.locals.webhookTally;
}
