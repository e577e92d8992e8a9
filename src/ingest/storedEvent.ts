/**
 * The stored event, on its own so that the timeline modules below storeEvents (which folds through
 * them) can name it without importing storeEvents back.
 */

/** `email`: opens, clicks, unsubscribes, bounces and confirmations from our own mail (src/campaigns). */
export type EventSource = 'api' | 'segment' | 'shopify' | 'import' | 'sim' | 'email' | 'system';

export interface StoredEvent {
  eventId: string;
  type: string;
  customerId?: string;
  anonymousId?: string;
  partition?: number;
  ts: Date;
  receivedAt: Date;
  source: EventSource;
  channel?: string;
  device?: string;
  sessionId?: string;
  props: Record<string, unknown>;
}
