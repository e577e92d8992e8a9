import { isWeekend } from './activity.js';
import { round2, type Catalog, type ProductDoc } from './catalog.js';
import { abandonReasons, type AbandonReason, type SimCustomer } from './customers.js';
import { pickCategory } from './basket.js';
import type { Rng } from '../../src/random.js';
import {
  checkoutSteps,
  type EventSink,
  type LineItem,
  type SimChannel,
  type SimDevice,
  type SimEventType,
} from './simEventTypes.js';
import type { PlannedOrder } from './timeline.js';
import type { LocalClock } from './timezones.js';

/**
 * Turns intentions (browse, abandon a cart, place a planned order) into the page-by-page events of
 * one visit. Abandoned carts carry the customer's reason in their shape: shipping abandoners
 * leave at the shipping step, price abandoners have dear items in the cart and leave at review,
 * comparison shoppers add and remove near-identical items, impulse shoppers add and vanish.
 */

export interface TrafficSource {
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  path?: string;
}

interface Step {
  type: SimEventType;
  props: Record<string, unknown>;
  dwellMs: number;
}

interface Visit {
  id: string;
  device: SimDevice;
  channel: SimChannel;
  month: number;
  steps: Step[];
}

const SECOND = 1000;
const directAndSearch: readonly (readonly [number, TrafficSource])[] = [
  [35, {}],
  [30, { utmSource: 'google', utmMedium: 'organic' }],
  [10, { utmSource: 'google', utmMedium: 'cpc' }],
  [6, { utmSource: 'facebook', utmMedium: 'paid_social' }],
  [10, { utmSource: 'instagram', utmMedium: 'social' }],
  [4, { utmSource: 'pinterest', utmMedium: 'social' }],
  [5, { utmSource: 'partner-blog', utmMedium: 'referral' }],
];
const sourceWeights = directAndSearch.map(([w]) => w);

export class SessionBuilder {
  private visits = 0;
  private carts = 0;
  private checkouts = 0;

  constructor(
    private readonly rng: Rng,
    private readonly customer: SimCustomer,
    private readonly catalog: Catalog,
    private readonly clock: LocalClock,
    private readonly sink: EventSink,
  ) {}

  /** How a visit with no campaign behind it arrived. */
  randomSource(): TrafficSource {
    return directAndSearch[this.rng.categorical(sourceWeights)]![1];
  }

  browse(startMs: number, source: TrafficSource): void {
    const visit = this.open(startMs, source);
    const viewed: ProductDoc[] = [];
    const categoryCount = this.rng.chance(0.35) ? 2 : 1;
    for (let c = 0; c < categoryCount; c++)
      viewed.push(...this.viewCategory(visit, Math.min(6, 1 + this.rng.poisson(1))));
    if (this.rng.chance(0.06)) {
      const cartId = this.nextCart();
      const product = this.rng.pick(viewed);
      this.step(visit, 'cart_item_added', this.cartItem(cartId, product), 20);
      this.step(visit, 'cart_item_removed', this.cartItem(cartId, product), 10);
    }
    this.place(visit, startMs);
  }

  abandon(startMs: number, source: TrafficSource): void {
    const t = this.customer.traits;
    const reason: AbandonReason = this.rng.chance(0.8) ? t.abandonReason : this.rng.pick(abandonReasons);
    const visit = this.open(startMs, source);
    const cartId = this.nextCart();
    const cart: ProductDoc[] = [];
    const add = (p: ProductDoc) => {
      cart.push(p);
      this.step(visit, 'cart_item_added', this.cartItem(cartId, p), this.rng.uniform(5, 30));
    };
    const value = () => round2(cart.reduce((s, p) => s + p.price, 0));
    const [first] = this.viewCategory(visit, this.rng.int(1, 2));
    if (reason === 'price') {
      add(first!);
      const dear = this.catalog.expensive(this.rng, first!.category);
      this.viewProduct(visit, dear, this.rng.uniform(60, 240));
      add(dear);
      this.step(visit, 'cart_viewed', { cartId, value: value() }, this.rng.uniform(20, 90));
      if (this.rng.chance(0.5)) this.checkout(visit, cartId, value(), cart.length, 3);
    } else if (reason === 'shipping') {
      // Cheap items keep the cart under the free-shipping line; the fee shows at the shipping step.
      const cheap = this.catalog.nearPrice(this.rng, first!.category, this.rng.uniform(8, 35));
      this.viewProduct(visit, cheap, this.dwell());
      add(cheap);
      this.step(visit, 'cart_viewed', { cartId, value: value() }, this.rng.uniform(10, 40));
      if (this.rng.chance(0.9)) this.checkout(visit, cartId, value(), cart.length, 1);
    } else if (reason === 'comparison') {
      const similar = this.catalog.similar(this.rng, first!, 4);
      for (const p of similar) this.viewProduct(visit, p, this.rng.uniform(40, 200));
      for (const p of similar.slice(0, this.rng.int(2, 3))) add(p);
      this.step(visit, 'cart_viewed', { cartId, value: value() }, this.rng.uniform(30, 120));
      for (const p of cart.splice(0, Math.max(1, cart.length - 1)))
        this.step(visit, 'cart_item_removed', this.cartItem(cartId, p), 10);
      if (this.rng.chance(0.25)) this.checkout(visit, cartId, value(), cart.length, 0);
    } else {
      const whim = this.catalog.browse(this.rng, pickCategory(this.rng, t, visit.month), 1, visit.month, t.southern);
      this.viewProduct(visit, whim, this.rng.uniform(3, 10));
      add(whim);
      if (this.rng.chance(0.3)) this.step(visit, 'cart_viewed', { cartId, value: value() }, this.rng.uniform(3, 15));
      if (this.rng.chance(0.15)) this.checkout(visit, cartId, value(), cart.length, 0);
    }
    this.place(visit, startMs);
  }

  /** The visit that ends in a planned order; its last event lands exactly at the order's time. */
  order(order: PlannedOrder, orderId: string, source: TrafficSource, earliestMs: number): void {
    const visit = this.open(order.ms, source);
    const cartId = this.nextCart();
    if (this.rng.chance(0.2)) this.viewCategory(visit, this.rng.int(1, 2));
    for (const item of order.items) {
      const product = this.catalog.byId.get(item.productId)!;
      if (this.rng.chance(0.4)) this.viewPage(visit, 'category_viewed', { category: item.category });
      this.viewProduct(visit, product, this.dwell());
      this.step(
        visit,
        'cart_item_added',
        { cartId, productId: item.productId, category: item.category, price: item.price, quantity: item.quantity },
        this.rng.uniform(5, 30),
      );
    }
    this.step(visit, 'cart_viewed', { cartId, value: order.subtotal }, this.rng.uniform(10, 60));
    const checkoutId = this.checkout(visit, cartId, order.subtotal, order.items.length, undefined);
    const total = visit.steps.reduce((s, step) => s + step.dwellMs, 0);
    const start = Math.max(earliestMs, order.ms - total - SECOND);
    this.place(visit, start, (order.ms - SECOND - start) / total);
    const props: Record<string, unknown> = {
      orderId,
      checkoutId,
      revenue: order.revenue,
      subtotal: order.subtotal,
      discount: order.discount,
      shipping: order.shipping,
      currency: 'USD',
    };
    if (order.couponCode) props.couponCode = order.couponCode;
    props.items = order.items.map((i: LineItem) => ({ ...i }));
    this.sink.emit(order.ms, 'order_completed', visit.channel, visit.device, props, visit.id);
  }

  private open(atMs: number, source: TrafficSource): Visit {
    const t = this.customer.traits;
    const weekendMobile = t.browsingPattern === 'weekend_mobile' && isWeekend(this.clock.toLocal(atMs));
    const device: SimDevice =
      weekendMobile || this.rng.chance(0.75)
        ? weekendMobile
          ? 'mobile'
          : t.devicePreference
        : this.rng.pick(['desktop', 'mobile', 'tablet'] as const);
    const channel: SimChannel = t.appUser && device === 'mobile' && this.rng.chance(0.6) ? 'app' : 'web';
    const visit: Visit = {
      id: `${this.customer.id}-s${++this.visits}`,
      device,
      channel,
      month: new Date(atMs).getUTCMonth() + 1,
      steps: [],
    };
    if (channel === 'app') this.step(visit, 'app_opened', {}, this.rng.uniform(2, 6));
    const props: Record<string, unknown> = {
      path: source.path ?? (source.utmMedium === 'cpc' || source.utmMedium === 'organic' ? '/search-landing' : '/'),
    };
    if (source.utmSource) props.utmSource = source.utmSource;
    if (source.utmMedium) props.utmMedium = source.utmMedium;
    if (source.utmCampaign) props.utmCampaign = source.utmCampaign;
    this.viewPage(visit, 'page_viewed', props);
    return visit;
  }

  private viewCategory(visit: Visit, products: number): ProductDoc[] {
    const t = this.customer.traits;
    const category = pickCategory(this.rng, t, visit.month);
    if (this.rng.chance(0.25))
      this.step(
        visit,
        'products_searched',
        { query: this.rng.pick(this.catalog.searchTerms.get(category)!) },
        this.rng.uniform(3, 15),
      );
    this.viewPage(visit, 'category_viewed', { category });
    const viewed: ProductDoc[] = [];
    for (let i = 0; i < products; i++) {
      const product = this.catalog.browse(this.rng, category, 0.7 + 1.6 * t.priceSensitivity, visit.month, t.southern);
      this.viewProduct(visit, product, this.dwell());
      viewed.push(product);
    }
    return viewed;
  }

  /** A page whose `timeOnPageSec` is the gap to the visit's next event. */
  private viewPage(visit: Visit, type: 'page_viewed' | 'category_viewed', props: Record<string, unknown>): void {
    const seconds = this.dwell();
    this.step(visit, type, { ...props, timeOnPageSec: seconds }, seconds);
  }

  private viewProduct(visit: Visit, product: ProductDoc, seconds: number): void {
    this.step(
      visit,
      'product_viewed',
      { productId: product._id, category: product.category, price: product.price, timeOnPageSec: Math.round(seconds) },
      seconds,
    );
  }

  /** Walks the checkout; with `dropAt` set, the customer views that step (0-based) and leaves. */
  private checkout(visit: Visit, cartId: string, value: number, itemCount: number, dropAt: number | undefined): string {
    const checkoutId = `${this.customer.id}-k${++this.checkouts}`;
    this.step(visit, 'checkout_started', { checkoutId, cartId, value, itemCount }, this.rng.uniform(2, 8));
    for (let i = 0; i < checkoutSteps.length; i++) {
      const step = { checkoutId, step: checkoutSteps[i], stepIndex: i + 1 };
      this.step(visit, 'checkout_step_viewed', step, this.rng.uniform(10, 60));
      if (i === dropAt) break;
      this.step(visit, 'checkout_step_completed', { ...step }, this.rng.uniform(1, 4));
    }
    return checkoutId;
  }

  private cartItem(cartId: string, p: ProductDoc): Record<string, unknown> {
    return { cartId, productId: p._id, category: p.category, price: p.price, quantity: 1 };
  }

  /** Seconds on a page: log-normal, a few seconds to a quarter of an hour. */
  private dwell(): number {
    return Math.round(Math.min(900, Math.max(3, this.rng.lognormal(35, 0.7))));
  }

  private nextCart(): string {
    return `${this.customer.id}-c${++this.carts}`;
  }

  /** An event followed by `seconds` before the visit's next one. */
  private step(visit: Visit, type: SimEventType, props: Record<string, unknown>, seconds: number): void {
    visit.steps.push({ type, props, dwellMs: Math.max(SECOND, seconds * SECOND) });
  }

  private place(visit: Visit, startMs: number, scale = 1): void {
    let at = startMs;
    for (const step of visit.steps) {
      this.sink.emit(Math.round(at), step.type, visit.channel, visit.device, step.props, visit.id);
      at += step.dwellMs * scale;
    }
  }
}
