import type { ObjectId } from 'mongodb';

/**
 * The event vocabulary the simulator emits. Ingestion schemas and features are built to match
 * these names and property shapes, so change them together.
 */
export const simEventTypes = [
  'identify',
  'page_viewed',
  'category_viewed',
  'product_viewed',
  'products_searched',
  'cart_item_added',
  'cart_item_removed',
  'cart_viewed',
  'checkout_started',
  'checkout_step_viewed',
  'checkout_step_completed',
  'order_completed',
  'order_refunded',
  'email_sent',
  'email_delivered',
  'email_opened',
  'email_clicked',
  'email_unsubscribed',
  'email_bounced',
  'sms_sent',
  'sms_clicked',
  'app_opened',
  'support_ticket_opened',
  'support_ticket_resolved',
  'social_engaged',
] as const;

export type SimEventType = (typeof simEventTypes)[number];
export type SimChannel = 'web' | 'app' | 'email' | 'sms' | 'support' | 'social';
export type SimDevice = 'desktop' | 'mobile' | 'tablet';

export const checkoutSteps = ['contact', 'shipping', 'payment', 'review'] as const;

export interface LineItem {
  productId: string;
  category: string;
  price: number;
  quantity: number;
}

/** A document of the `events` collection as the simulator writes it. */
export interface SimEventDoc {
  _id: ObjectId;
  eventId: string;
  type: SimEventType;
  customerId: string;
  partition: number;
  ts: Date;
  receivedAt: Date;
  source: 'sim';
  channel: SimChannel;
  device: SimDevice;
  sessionId?: string;
  props: Record<string, unknown>;
}

/** An event before it has an id: ids are given after a customer's events are sorted by time. */
export interface EventDraft {
  ms: number;
  type: SimEventType;
  channel: SimChannel;
  device: SimDevice;
  sessionId?: string;
  props: Record<string, unknown>;
}

/** Collects one customer's observable events; anything at or after the end of history is the future and is dropped. */
export class EventSink {
  readonly drafts: EventDraft[] = [];

  constructor(readonly endMs: number) {}

  emit(
    ms: number,
    type: SimEventType,
    channel: SimChannel,
    device: SimDevice,
    props: Record<string, unknown>,
    sessionId?: string,
  ): void {
    if (ms >= this.endMs) return;
    this.drafts.push(
      sessionId === undefined ? { ms, type, channel, device, props } : { ms, type, channel, device, sessionId, props },
    );
  }
}
