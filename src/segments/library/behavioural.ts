import { cond, type SegmentDefinition } from './definition.js';

/**
 * What customers just did on the site: the high-impact five, browse and cart abandonment, and
 * behaviour combined with profile. Abandonment always means "and no order since".
 */

const { num, noOrderWithin } = cond;

/** A cart left in the last 90 days (the carts fold: no order within the abandonment delay of the last add). */
const abandonedCart90 = num('cartAbandons90d', 'gte', 1);
/** Dropping at shipping or at review tells another story (shipping-concerned, price-sensitive). */
const noLateCheckoutDrop = [num('checkoutDropsStep1', 'eq', 0), num('checkoutDropsStep3', 'eq', 0)];

export const highImpact: SegmentDefinition[] = [
  {
    key: 'recent-purchasers',
    name: 'Recent purchasers',
    kind: 'behavioural',
    group: 'high-impact',
    description: 'Ordered in the last 30 days: thank-you, cross-sell and review requests.',
    rule: num('orders30d', 'gte', 1),
  },
  {
    key: 'cart-abandoners',
    name: 'Cart abandoners (24–72 hours)',
    kind: 'behavioural',
    group: 'high-impact',
    description: 'Last added to a cart between 24 and 72 hours ago and has not ordered since.',
    rule: {
      event: {
        type: 'order_completed',
        since: { type: 'cart_item_added', within: { hours: 72 }, olderThan: { hours: 24 } },
        count: { lte: 0 },
      },
    },
  },
  {
    key: 'browse-abandoners',
    name: 'Browse abandoners (7 days)',
    kind: 'behavioural',
    group: 'high-impact',
    description: 'Viewed products in the last 7 days without adding anything to a cart or ordering.',
    rule: {
      all: [
        { event: { type: 'product_viewed', within: { days: 7 } } },
        { event: { type: 'cart_item_added', within: { days: 7 }, count: { lte: 0 } } },
        noOrderWithin(7),
      ],
    },
  },
  {
    key: 'vip',
    name: 'VIP (top 20% by lifetime value)',
    kind: 'lifecycle',
    group: 'high-impact',
    description: 'The fifth of customers with the highest net spend to date (buyers only).',
    rule: { all: [num('orders', 'gte', 1), { quantile: { field: 'features.monetaryNet', top: 0.2 } }] },
  },
  {
    key: 'win-back',
    name: 'Win-back (no purchase in 90+ days)',
    kind: 'lifecycle',
    group: 'high-impact',
    description: 'Has ordered before, but not in the last 90 days.',
    rule: num('recencyDays', 'gte', 90),
  },
];

export const browseAbandonment: SegmentDefinition[] = [
  {
    key: 'browse-category-7d',
    name: 'Browsed a category (7 days)',
    kind: 'behavioural',
    group: 'browse abandonment',
    description:
      'Opened a category page in the last 7 days and has not ordered since. Copy it with `where: [{field: "category", op: "eq", value: …}]` for one category.',
    rule: { all: [{ event: { type: 'category_viewed', within: { days: 7 } } }, noOrderWithin(7)] },
  },
  {
    key: 'browse-long-dwell',
    name: 'Spent 3+ minutes on product pages',
    kind: 'behavioural',
    group: 'browse abandonment',
    description: 'More than 3 minutes on product pages over the last 7 days, no order in that time.',
    rule: {
      all: [
        {
          event: {
            type: 'product_viewed',
            within: { days: 7 },
            where: [{ field: 'timeOnPageSec', op: 'gte', value: 60 }],
          },
        },
        num('productViewTimeSec30d', 'gt', 180),
        noOrderWithin(7),
      ],
    },
  },
  {
    key: 'browse-repeat-product',
    name: 'Viewed the same product repeatedly',
    kind: 'behavioural',
    group: 'browse abandonment',
    description:
      'Viewed at least one product twice or more in the last 30 days, viewed products this week, and has not ordered in 7 days.',
    rule: {
      all: [
        num('productsViewedRepeatedly30d', 'gte', 1),
        { event: { type: 'product_viewed', within: { days: 7 } } },
        noOrderWithin(7),
      ],
    },
  },
  {
    key: 'browse-high-value',
    name: 'Browsed high-value items without buying',
    kind: 'behavioural',
    group: 'browse abandonment',
    description: "Viewed products priced above the shop's 75th percentile in the last 30 days and bought none of them.",
    rule: num('highValueViewedNotBought30d', 'gte', 1),
  },
];

export const cartAbandonment: SegmentDefinition[] = [
  {
    key: 'cart-price-sensitive',
    name: 'Cart abandoners: price-sensitive',
    kind: 'behavioural',
    group: 'cart abandonment',
    description:
      'Gave contact, shipping and payment details, saw the total at the review step and left (last 90 days): the price, not the process, stopped them.',
    rule: num('checkoutDropsStep3', 'gte', 1),
  },
  {
    key: 'cart-shipping-concerned',
    name: 'Cart abandoners: shipping-concerned',
    kind: 'behavioural',
    group: 'cart abandonment',
    description: 'Left a checkout at the shipping step (contact done, shipping not) in the last 90 days.',
    rule: num('checkoutDropsStep1', 'gte', 1),
  },
  {
    key: 'cart-comparison',
    name: 'Cart abandoners: comparison shoppers',
    kind: 'behavioural',
    group: 'cart abandonment',
    description:
      'Left a cart in the last 90 days after adding several products and taking two or more out again, without reaching shipping or review.',
    rule: {
      all: [
        abandonedCart90,
        { event: { type: 'cart_item_removed', within: { days: 90 }, count: { gte: 2 } } },
        ...noLateCheckoutDrop,
      ],
    },
  },
  {
    key: 'cart-impulse',
    name: 'Cart abandoners: impulse',
    kind: 'behavioural',
    group: 'cart abandonment',
    description:
      'Left a cart in the last 90 days, glanced at a product for 10 seconds or less, never took anything back out and never got far into a checkout: quick add, quick exit.',
    rule: {
      all: [
        abandonedCart90,
        {
          event: {
            type: 'product_viewed',
            within: { days: 90 },
            where: [{ field: 'timeOnPageSec', op: 'lte', value: 10 }],
          },
        },
        { event: { type: 'cart_item_removed', within: { days: 90 }, count: { lte: 0 } } },
        ...noLateCheckoutDrop,
      ],
    },
  },
];

export const combined: SegmentDefinition[] = [
  {
    key: 'weekday-lunchtime-browsers',
    name: 'Weekday lunchtime browsers',
    kind: 'behavioural',
    group: 'combined',
    description:
      'Six or more product views between 12:00 and 14:00 local time on weekdays in the last 90 days: send at lunch.',
    rule: {
      event: {
        type: 'product_viewed',
        within: { days: 90 },
        localTime: { fromHour: 12, toHour: 14, weekdays: [1, 2, 3, 4, 5] },
        count: { gte: 6 },
      },
    },
  },
  {
    key: 'weekend-mobile-browsers',
    name: 'Weekend mobile browsers',
    kind: 'behavioural',
    group: 'combined',
    description: 'Five or more product views on a phone at weekends (local time) in the last 60 days.',
    rule: {
      event: {
        type: 'product_viewed',
        within: { days: 60 },
        where: [{ field: 'device', op: 'eq', value: 'mobile' }],
        localTime: { fromHour: 0, toHour: 24, weekdays: [0, 6] },
        count: { gte: 5 },
      },
    },
  },
  {
    key: 'parents-price-abandoners',
    name: "Parents who abandon children's items on price",
    kind: 'behavioural',
    group: 'combined',
    description:
      "Put children's items (toys) in a cart in the last 90 days, left a cart, and shop on price: balked at the review step, viewed dear items without buying, or half their orders or more carry a discount.",
    rule: {
      all: [
        {
          event: {
            type: 'cart_item_added',
            within: { days: 90 },
            where: [{ field: 'category', op: 'eq', value: 'toys' }],
          },
        },
        abandonedCart90,
        {
          any: [
            num('checkoutDropsStep3', 'gte', 1),
            num('highValueViewedNotBought30d', 'gte', 1),
            num('discountOrderShare', 'gte', 0.5),
          ],
        },
      ],
    },
  },
];
