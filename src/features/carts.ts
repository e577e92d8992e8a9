import { E, defineFold, numberFeature as n, type EventCode, type FoldContext, type FoldEvent } from './defineFold.js';
import { toNumber, toText } from './read.js';

const stepIndexByName = new Map([
  ['contact', 1],
  ['shipping', 2],
  ['payment', 3],
  ['review', 4],
]);
const STEPS = 4;

const drops = (k: number, what: string) =>
  n(`abandoned checkouts in the last 90 days whose furthest completed step was ${k} (${what})`, 'count', '90 days');

/**
 * Carts and checkouts that did not become orders. A cart (adds grouped by cartId) or a checkout
 * (events grouped by checkoutId) is abandoned when the customer placed no order within
 * `abandonAfterMs` (default 24 h) of its last activity; one still inside that time at asOf is
 * pending and not counted. Any order of the customer converts every open cart and checkout, since
 * imported orders rarely say which cart they came from. An abandonment is dated by the last
 * activity, which decides its window.
 */
export const cartsFold = defineFold({
  name: 'carts',
  description: 'carts, checkouts and where they are abandoned',
  features: {
    cartAdds30d: n('items added to a cart in the last 30 days', 'count', '30 days'),
    cartAdds90d: n('items added to a cart in the last 90 days', 'count', '90 days'),
    cartAbandons30d: n(
      'carts abandoned (no order within the abandonment delay of the last add) in the last 30 days',
      'count',
      '30 days',
    ),
    cartAbandons90d: n('carts abandoned in the last 90 days', 'count', '90 days'),
    checkouts90d: n('checkouts started in the last 90 days', 'count', '90 days'),
    checkoutAbandons90d: n('checkouts abandoned in the last 90 days', 'count', '90 days'),
    checkoutLastDropStep: n(
      'furthest completed step (0 none … 4 review) of the last abandoned checkout; 0 also when no checkout was abandoned (see checkoutAbandons90d)',
      'step index',
    ),
    checkoutDropsStep0: drops(0, 'dropped before completing contact'),
    checkoutDropsStep1: drops(1, 'contact done, dropped at shipping'),
    checkoutDropsStep2: drops(2, 'shipping done, dropped at payment'),
    checkoutDropsStep3: drops(3, 'payment done, dropped at review'),
    checkoutDropsStep4: drops(4, 'review done, no order'),
  },
  create: (ctx) => new CartsState(ctx),
});

interface Checkout {
  last: number;
  step: number;
}

class CartsState {
  private adds30 = 0;
  private adds90 = 0;
  private cartAbandons30 = 0;
  private cartAbandons90 = 0;
  private checkouts90 = 0;
  private checkoutAbandons90 = 0;
  private readonly dropsByStep = [0, 0, 0, 0, 0];
  private lastDropAt = -Infinity;
  private lastDropStep = 0;
  /** Time of the last add of each open cart. */
  private carts: Map<string, number> | undefined;
  private checkouts: Map<string, Checkout> | undefined;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    switch (code) {
      case E.cart_item_added: {
        if (t >= this.ctx.since90d) {
          this.adds90++;
          if (t >= this.ctx.since30d) this.adds30++;
        }
        const cartId = (e.props && toText(e.props.cartId)) ?? '';
        const carts = (this.carts ??= new Map());
        const previous = carts.get(cartId);
        if (previous !== undefined && t - previous > this.ctx.abandonAfterMs) this.cartAbandoned(previous);
        carts.set(cartId, t);
        break;
      }
      case E.checkout_started:
        if (t >= this.ctx.since90d) this.checkouts90++;
        this.checkout(e.props, t, 0);
        break;
      case E.checkout_step_completed:
        this.checkout(e.props, t, stepIndex(e.props));
        break;
      case E.checkout_step_viewed:
        // seeing step k means steps before it were completed
        this.checkout(e.props, t, Math.max(0, stepIndex(e.props) - 1));
        break;
      case E.order_completed:
        this.order(t);
        break;
      default:
    }
  }

  private checkout(props: Record<string, unknown> | null | undefined, t: number, completed: number): void {
    const checkoutId = (props && toText(props.checkoutId)) ?? '';
    const checkouts = (this.checkouts ??= new Map());
    const checkout = checkouts.get(checkoutId);
    if (!checkout) {
      checkouts.set(checkoutId, { last: t, step: completed });
      return;
    }
    if (t - checkout.last > this.ctx.abandonAfterMs) {
      this.checkoutAbandoned(checkout);
      checkout.step = 0;
    }
    checkout.last = t;
    if (completed > checkout.step) checkout.step = completed;
  }

  private order(t: number): void {
    const delay = this.ctx.abandonAfterMs;
    if (this.carts) {
      for (const last of this.carts.values()) if (t - last > delay) this.cartAbandoned(last);
      this.carts.clear();
    }
    if (this.checkouts) {
      for (const checkout of this.checkouts.values()) if (t - checkout.last > delay) this.checkoutAbandoned(checkout);
      this.checkouts.clear();
    }
  }

  private cartAbandoned(last: number): void {
    if (last < this.ctx.since90d) return;
    this.cartAbandons90++;
    if (last >= this.ctx.since30d) this.cartAbandons30++;
  }

  private checkoutAbandoned(checkout: Checkout): void {
    if (checkout.last > this.lastDropAt) {
      this.lastDropAt = checkout.last;
      this.lastDropStep = checkout.step;
    }
    if (checkout.last < this.ctx.since90d) return;
    this.checkoutAbandons90++;
    this.dropsByStep[checkout.step]!++;
  }

  finish() {
    const { asOf, abandonAfterMs } = this.ctx;
    if (this.carts) for (const last of this.carts.values()) if (asOf - last > abandonAfterMs) this.cartAbandoned(last);
    if (this.checkouts)
      for (const c of this.checkouts.values()) if (asOf - c.last > abandonAfterMs) this.checkoutAbandoned(c);
    const d = this.dropsByStep;
    return {
      cartAdds30d: this.adds30,
      cartAdds90d: this.adds90,
      cartAbandons30d: this.cartAbandons30,
      cartAbandons90d: this.cartAbandons90,
      checkouts90d: this.checkouts90,
      checkoutAbandons90d: this.checkoutAbandons90,
      checkoutLastDropStep: this.lastDropStep,
      checkoutDropsStep0: d[0]!,
      checkoutDropsStep1: d[1]!,
      checkoutDropsStep2: d[2]!,
      checkoutDropsStep3: d[3]!,
      checkoutDropsStep4: d[4]!,
    };
  }
}

/** Step index 1–4 from `stepIndex`, else from the step's name; 0 when neither is usable. */
function stepIndex(props: Record<string, unknown> | null | undefined): number {
  if (!props) return 0;
  const index = toNumber(props.stepIndex);
  if (index >= 1 && index <= STEPS) return Math.floor(index);
  const step = props.step;
  return typeof step === 'string' ? (stepIndexByName.get(step) ?? 0) : 0;
}
