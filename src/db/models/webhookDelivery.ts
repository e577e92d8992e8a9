import { Schema } from 'mongoose';

/** Webhook deliveries already processed, keyed by the sender's delivery id (`X-Shopify-Webhook-Id`). */
export const webhookDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    source: { type: String, required: true },
    topic: String,
    receivedAt: { type: Date, default: () => new Date() },
    events: Number,
  },
  { collection: 'webhook_deliveries', versionKey: false },
);

/** One `webhook_deliveries` document (`_id` = the sender's delivery id). */
export interface WebhookDeliveryDoc {
  _id: string;
  source: string;
  topic?: string;
  receivedAt?: Date;
  events?: number;
}
