import { E, defineFold, numberFeature, type EventCode, type FoldContext, type FoldEvent } from './defineFold.js';
import { DAY, orderRevenue, ratio, toNumber, toText } from './read.js';
import { localDay } from './time.js';

const n = numberFeature;

/**
 * Recency, frequency, monetary value, order rhythm and the BG/NBD summary statistics, from
 * `order_completed` and `order_refunded`. Duplicate orders (same orderId) are dropped before any
 * fold sees them (see buildFeatures).
 */
export const ordersFold = defineFold({
  name: 'orders',
  description: 'orders, revenue and purchase rhythm',
  features: {
    orders: n('number of orders (frequency)', 'count'),
    orders30d: n('orders in the last 30 days', 'count', '30 days'),
    orders90d: n('orders in the last 90 days', 'count', '90 days'),
    orders365d: n('orders in the last 365 days', 'count', '365 days'),
    recencyDays: n('days since the last order; null without orders', 'days'),
    firstOrderAgeDays: n('days since the first order; null without orders', 'days'),
    monetaryNet: n('total order revenue minus refunds (never below 0)', 'currency'),
    monetaryMean: n('net revenue per order; null without orders', 'currency'),
    aov: n('average order value: mean revenue of an order before refunds; null without orders', 'currency'),
    aovTrend: n(
      'mean value of the last 3 orders / mean value of the earlier ones; null with fewer than 4 orders',
      'ratio',
    ),
    refunds: n('number of refunds', 'count'),
    refundAmount: n('total refunded amount (a refund without amount refunds its whole order)', 'currency'),
    orderGapMeanDays: n('mean days between consecutive orders; null with fewer than 2 orders', 'days'),
    orderGapTrend: n(
      'last gap between orders / mean of the earlier gaps (> 1: orders slowing down); null with fewer than 3 orders',
      'ratio',
    ),
    discountOrderShare: n('share of orders with a discount > 0 or a coupon code; null without orders', 'ratio'),
    bgnbdX: n(
      'BG/NBD x: repeat purchases, i.e. distinct local order days after the first; null without orders',
      'count',
    ),
    bgnbdTx: n('BG/NBD t_x: days from the first to the last order day; null without orders', 'days'),
    bgnbdT: n(
      'BG/NBD T: days from the first order day to the last day observed (the day of asOf − 1 ms); null without orders',
      'days',
    ),
    bgnbdTxWeeks: n('BG/NBD t_x in weeks', 'weeks'),
    bgnbdTWeeks: n('BG/NBD T in weeks', 'weeks'),
    bgnbdMonetary: n(
      'Gamma-Gamma monetary value: mean revenue of a repeat order day (same-day orders summed); null when x = 0',
      'currency',
    ),
  },
  create: (ctx) => new OrdersState(ctx),
});

class OrdersState {
  private count = 0;
  private in30 = 0;
  private in90 = 0;
  private in365 = 0;
  private first = NaN;
  private last = NaN;
  private gross = 0;
  /** Revenues of the three latest orders, newest in r0. */
  private r0 = 0;
  private r1 = 0;
  private r2 = 0;
  private gapSum = 0;
  private lastGap = 0;
  private discounted = 0;
  private refundCount = 0;
  private refundTotal = 0;
  /** Revenue by orderId, only needed to price a refund that carries no amount. */
  private revenueById: Map<string, number> | undefined;
  private firstDay = NaN;
  private lastDay = NaN;
  private days = 0;
  private dayTotal = 0;
  private repeatDaySum = 0;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    if (code === E.order_completed) this.order(e.props, t);
    else if (code === E.order_refunded) this.refund(e.props);
  }

  private order(props: Record<string, unknown> | null | undefined, t: number): void {
    const revenue = orderRevenue(props);
    const ctx = this.ctx;
    if (this.count > 0) {
      this.lastGap = (t - this.last) / DAY;
      this.gapSum += this.lastGap;
    } else {
      this.first = t;
    }
    this.count++;
    this.last = t;
    this.gross += revenue;
    this.r2 = this.r1;
    this.r1 = this.r0;
    this.r0 = revenue;
    if (t >= ctx.since365d) {
      this.in365++;
      if (t >= ctx.since90d) {
        this.in90++;
        if (t >= ctx.since30d) this.in30++;
      }
    }
    if (props && (toNumber(props.discount) > 0 || toText(props.couponCode) !== null)) this.discounted++;
    const orderId = props ? toText(props.orderId) : null;
    if (orderId !== null) (this.revenueById ??= new Map()).set(orderId, revenue);

    const day = localDay(t, ctx.offsetAt);
    if (this.days === 0) {
      this.firstDay = day;
      this.days = 1;
      this.dayTotal = revenue;
    } else if (day !== this.lastDay) {
      if (this.days > 1) this.repeatDaySum += this.dayTotal;
      this.days++;
      this.dayTotal = revenue;
    } else {
      this.dayTotal += revenue;
    }
    this.lastDay = day;
  }

  private refund(props: Record<string, unknown> | null | undefined): void {
    let amount = toNumber(props?.amount);
    if (!(amount >= 0)) {
      const orderId = props ? toText(props.orderId) : null;
      amount = (orderId !== null ? this.revenueById?.get(orderId) : undefined) ?? 0;
    }
    this.refundCount++;
    this.refundTotal += amount;
  }

  finish() {
    const { ctx, count } = this;
    const has = count > 0;
    const net = Math.max(0, this.gross - this.refundTotal);
    const last3 = this.r0 + this.r1 + this.r2;
    const earlierMean = count >= 4 ? (this.gross - last3) / (count - 3) : 0;
    const earlierGapMean = count >= 3 ? (this.gapSum - this.lastGap) / (count - 2) : 0;
    const repeatDays = this.days - 1;
    const repeatSum = repeatDays > 0 ? this.repeatDaySum + this.dayTotal : 0;
    const T = has ? localDay(ctx.asOf - 1, ctx.offsetAt) - this.firstDay : null;
    const tx = has ? this.lastDay - this.firstDay : null;
    return {
      orders: count,
      orders30d: this.in30,
      orders90d: this.in90,
      orders365d: this.in365,
      recencyDays: has ? (ctx.asOf - this.last) / DAY : null,
      firstOrderAgeDays: has ? (ctx.asOf - this.first) / DAY : null,
      monetaryNet: net,
      monetaryMean: ratio(net, count),
      aov: ratio(this.gross, count),
      aovTrend: count >= 4 && earlierMean > 0 ? last3 / 3 / earlierMean : null,
      refunds: this.refundCount,
      refundAmount: this.refundTotal,
      orderGapMeanDays: count >= 2 ? this.gapSum / (count - 1) : null,
      orderGapTrend: count >= 3 && earlierGapMean > 0 ? this.lastGap / earlierGapMean : null,
      discountOrderShare: ratio(this.discounted, count),
      bgnbdX: has ? repeatDays : null,
      bgnbdTx: tx,
      bgnbdT: T,
      bgnbdTxWeeks: tx === null ? null : tx / 7,
      bgnbdTWeeks: T === null ? null : T / 7,
      bgnbdMonetary: repeatDays > 0 ? repeatSum / repeatDays : null,
    };
  }
}
