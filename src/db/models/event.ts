import { Schema } from 'mongoose';

/** `email`: opens, clicks, unsubscribes, bounces and confirmations from our own mail (src/campaigns). */
export type EventSource =
  | 'api'
  | 'segment'
  | 'shopify'
  | 'woocommerce'
  | 'magento'
  | 'import'
  | 'sim'
  | 'email'
  | 'system'
  | 'ga4';

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

/**
 * A raw behavioural event. `eventId` is unique so a retried batch stores nothing twice; `partition`
 * is a hash of the customer id so per-customer folds read one partition at a time.
 */
export const eventSchema = new Schema(
  {
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    customerId: String,
    anonymousId: String,
    partition: Number,
    ts: { type: Date, required: true },
    receivedAt: { type: Date, default: () => new Date() },
    source: { type: String, enum: ['api', 'segment', 'shopify', 'woocommerce', 'magento', 'import', 'sim', 'system', 'email', 'ga4'], default: 'api' },
    channel: String,
    device: String,
    sessionId: String,
    props: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'events', versionKey: false, minimize: false },
);
eventSchema.index({ eventId: 1 }, { unique: true });
eventSchema.index({ partition: 1, customerId: 1, ts: 1 });
eventSchema.index({ customerId: 1, ts: 1 });
eventSchema.index({ anonymousId: 1 }, { sparse: true });
eventSchema.index({ type: 1, ts: 1 });
