import { E, defineFold, numberFeature as n, type EventCode, type FoldContext, type FoldEvent } from './defineFold.js';
import { orderItems, quantile, toNumber, toText } from './read.js';

/** Events that are the customer's own activity on the site or app, and so make up sessions. */
const onsiteMask =
  (1 << E.page_viewed) |
  (1 << E.category_viewed) |
  (1 << E.product_viewed) |
  (1 << E.products_searched) |
  (1 << E.cart_item_added) |
  (1 << E.cart_item_removed) |
  (1 << E.cart_viewed) |
  (1 << E.checkout_started) |
  (1 << E.checkout_step_viewed) |
  (1 << E.checkout_step_completed) |
  (1 << E.app_opened) |
  (1 << E.order_completed);

/** Without a sessionId, a new session starts after this much inactivity (Google Analytics' rule). */
const SESSION_GAP = 30 * 60_000;

/**
 * Recent browsing: product views, sessions, attention (time on product pages), interest that
 * repeats, and expensive products looked at but not bought. Everything here looks back 30 days
 * at most, so events older than that are skipped on arrival.
 */
export const browsingFold = defineFold({
  name: 'browsing',
  description: 'recent browsing and sessions',
  features: {
    productViews7d: n('product pages viewed in the last 7 days', 'count', '7 days'),
    productViews30d: n('product pages viewed in the last 30 days', 'count', '30 days'),
    pageViews30d: n('other pages viewed (page_viewed, category_viewed) in the last 30 days', 'count', '30 days'),
    searches30d: n('searches in the last 30 days', 'count', '30 days'),
    sessions7d: n(
      'sessions with activity in the last 7 days (distinct sessionId, or a 30-minute inactivity gap where events have none)',
      'count',
      '7 days',
    ),
    sessions30d: n('sessions with activity in the last 30 days', 'count', '30 days'),
    productViewTimeSec30d: n('total time on product pages in the last 30 days', 'seconds', '30 days'),
    productViewTimeMeanSec30d: n(
      'mean time on a product page in the last 30 days (views reporting a time); null without such views',
      'seconds',
      '30 days',
    ),
    distinctProductsViewed30d: n('distinct products viewed in the last 30 days', 'count', '30 days'),
    productsViewedRepeatedly30d: n('products viewed at least twice in the last 30 days', 'count', '30 days'),
    highValueViewedNotBought30d: n(
      "distinct products priced above the high-value threshold (shop 75th percentile of product prices, else the customer's own) viewed but not bought in the last 30 days",
      'count',
      '30 days',
    ),
  },
  create: (ctx) => new BrowsingState(ctx),
});

interface Viewed {
  views: number;
  price: number;
}

class BrowsingState {
  private views7 = 0;
  private views30 = 0;
  private pages30 = 0;
  private searches30 = 0;
  private viewTime = 0;
  private timedViews = 0;
  private viewed: Map<string, Viewed> | undefined;
  private bought: Set<string> | undefined;
  /** Last event time of each sessionId seen in the window. */
  private sessions: Map<string, number> | undefined;
  private inferredLast = -Infinity;
  private inferred7 = 0;
  private inferred30 = 0;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    const ctx = this.ctx;
    if (t < ctx.since30d || ((1 << code) & onsiteMask) === 0) return;
    const props = e.props;
    switch (code) {
      case E.product_viewed: {
        this.views30++;
        if (t >= ctx.since7d) this.views7++;
        const seconds = toNumber(props?.timeOnPageSec);
        if (seconds >= 0) {
          this.viewTime += seconds;
          this.timedViews++;
        }
        const productId = props ? toText(props.productId) : null;
        if (productId !== null) {
          const viewed = (this.viewed ??= new Map()).get(productId);
          const price = toNumber(props!.price);
          if (viewed) {
            viewed.views++;
            if (price >= 0 && !(viewed.price >= price)) viewed.price = price;
          } else {
            this.viewed.set(productId, { views: 1, price: price >= 0 ? price : NaN });
          }
        }
        break;
      }
      case E.page_viewed:
      case E.category_viewed:
        this.pages30++;
        break;
      case E.products_searched:
        this.searches30++;
        break;
      case E.order_completed:
        for (const item of orderItems(props)) {
          const productId = toText(item?.productId);
          if (productId !== null) (this.bought ??= new Set()).add(productId);
        }
        // imported orders carry no session: they say nothing about visits
        if (!e.sessionId) return;
        break;
      default:
    }
    this.session(e.sessionId, t);
  }

  private session(sessionId: string | null | undefined, t: number): void {
    if (sessionId) {
      (this.sessions ??= new Map()).set(sessionId, t);
      return;
    }
    if (t - this.inferredLast > SESSION_GAP) {
      this.inferred30++;
      if (t >= this.ctx.since7d) this.inferred7++;
    } else if (t >= this.ctx.since7d && this.inferredLast < this.ctx.since7d) {
      // an inferred session that began before the 7-day window continues into it
      this.inferred7++;
    }
    this.inferredLast = t;
  }

  finish() {
    let sessions7 = this.inferred7;
    let sessions30 = this.inferred30;
    if (this.sessions) {
      sessions30 += this.sessions.size;
      for (const last of this.sessions.values()) if (last >= this.ctx.since7d) sessions7++;
    }
    let distinct = 0;
    let repeated = 0;
    let highValue = 0;
    if (this.viewed) {
      const threshold = this.ctx.highValuePrice ?? ownThreshold(this.viewed);
      for (const [productId, v] of this.viewed) {
        distinct++;
        if (v.views >= 2) repeated++;
        if (v.price > threshold && !this.bought?.has(productId)) highValue++;
      }
    }
    return {
      productViews7d: this.views7,
      productViews30d: this.views30,
      pageViews30d: this.pages30,
      searches30d: this.searches30,
      sessions7d: sessions7,
      sessions30d: sessions30,
      productViewTimeSec30d: this.viewTime,
      productViewTimeMeanSec30d: this.timedViews > 0 ? this.viewTime / this.timedViews : null,
      distinctProductsViewed30d: distinct,
      productsViewedRepeatedly30d: repeated,
      highValueViewedNotBought30d: highValue,
    };
  }
}

/** The customer's own 75th percentile of the prices of the products they viewed. */
function ownThreshold(viewed: Map<string, Viewed>): number {
  const prices: number[] = [];
  for (const v of viewed.values()) if (v.price >= 0) prices.push(v.price);
  prices.sort((a, b) => a - b);
  const p75 = quantile(prices, 0.75);
  return Number.isNaN(p75) ? Infinity : p75;
}
