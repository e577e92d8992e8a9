import { COLD_ANOMALY_C } from '../../weather/weatherTable.js';
import { cond, type SegmentDefinition } from './definition.js';

/** Cold-day lift above which a customer counts as buying outerwear for the weather (see docs/weather.md for how it was chosen). */
export const OUTERWEAR_LIFT = 1.5;

/** Who customers are over time: purchase history, email engagement, predictions, seasons. */

const { num, consumables } = cond;

export const purchase: SegmentDefinition[] = [
  {
    key: 'first-time-buyers',
    name: 'First-time buyers',
    kind: 'lifecycle',
    group: 'purchase',
    description: 'Exactly one order so far: the moment to earn the second.',
    rule: num('orders', 'eq', 1),
  },
  {
    key: 'repeat-customers',
    name: 'Repeat customers',
    kind: 'lifecycle',
    group: 'purchase',
    description: 'Two or more orders.',
    rule: num('orders', 'gte', 2),
  },
  {
    key: 'high-value-customers',
    name: 'High-value customers (top 25% by order value)',
    kind: 'lifecycle',
    group: 'purchase',
    description: 'The quarter of buyers with the highest average order value: premium and bundle offers.',
    rule: { quantile: { field: 'features.aov', top: 0.25 } },
  },
  {
    key: 'seasonal-buyers',
    name: 'Seasonal buyers',
    kind: 'lifecycle',
    group: 'purchase',
    description: 'Two or more orders, with 60% or more of their spend in one season or in the holiday period.',
    rule: {
      all: [
        num('orders', 'gte', 2),
        {
          any: [
            'spendShareWinter',
            'spendShareSpring',
            'spendShareSummer',
            'spendShareAutumn',
            'spendShareHoliday',
          ].map((f) => num(f, 'gte', 0.6)),
        },
      ],
    },
  },
];

/** Had at least one email in the last 90 days, so an open rate means something. */
const mailed = num('emailsSent90d', 'gte', 1);

export const engagement: SegmentDefinition[] = [
  {
    key: 'highly-engaged',
    name: 'Highly engaged',
    kind: 'engagement',
    group: 'engagement',
    description: 'Opens half or more of the email sent in the last 90 days and clicks at least one in ten.',
    rule: { all: [mailed, num('emailOpenRate90d', 'gte', 0.5), num('emailClickRate90d', 'gte', 0.1)] },
  },
  {
    key: 'moderately-engaged',
    name: 'Moderately engaged',
    kind: 'engagement',
    group: 'engagement',
    description: 'Opens 20% or more of their email (90 days) but is not highly engaged.',
    rule: {
      all: [
        mailed,
        num('emailOpenRate90d', 'gte', 0.2),
        { not: { all: [num('emailOpenRate90d', 'gte', 0.5), num('emailClickRate90d', 'gte', 0.1)] } },
      ],
    },
  },
  {
    key: 'low-engagement',
    name: 'Low engagement',
    kind: 'engagement',
    group: 'engagement',
    description: 'Opens under 20% of their email (90 days) and never clicks.',
    rule: {
      all: [mailed, num('emailOpenRate90d', 'lt', 0.2), { field: 'features.daysSinceLastClick', op: 'missing' }],
    },
  },
  {
    key: 're-engagement-needed',
    name: 'Re-engagement needed',
    kind: 'engagement',
    group: 'engagement',
    description: 'Still being emailed (last 30 days) but has not opened anything in 30 days or more.',
    rule: {
      all: [
        num('emailsSent30d', 'gte', 1),
        { any: [num('daysSinceLastOpen', 'gte', 30), { field: 'features.daysSinceLastOpen', op: 'missing' }] },
      ],
    },
  },
];

export const predictive: SegmentDefinition[] = [
  {
    key: 'high-churn-risk',
    name: 'High churn risk',
    kind: 'predictive',
    group: 'predictive',
    description: 'Buyers the churn model gives a 70% or higher chance of not ordering in the next 90 days.',
    rule: { all: [num('orders', 'gte', 1), { field: 'scores.churnRisk', op: 'gte', value: 0.7 }] },
  },
  {
    key: 'likely-first-purchase',
    name: 'Likely first purchase',
    kind: 'predictive',
    group: 'predictive',
    description:
      'Prospects (no order yet) in the top 20% by first-purchase propensity (the first-purchase model, 30 days ahead): the moment for a first-order nudge.',
    rule: {
      all: [
        { field: 'scores.cohort', op: 'eq', value: 'prospect' },
        { quantile: { field: 'scores.firstPurchaseProbability', top: 0.2 } },
      ],
    },
  },
  {
    key: 'likely-high-value',
    name: 'Likely high value',
    kind: 'predictive',
    group: 'predictive',
    description: 'Top 20% by predicted lifetime value (the LTV model).',
    rule: { quantile: { field: 'scores.predictedLtv', top: 0.2 } },
  },
  {
    key: 'due-for-reorder',
    name: 'Due for reorder',
    kind: 'predictive',
    group: 'predictive',
    description:
      'Expected to order within a week either side of today (predicted next order date), or last ordered a consumable (beauty, coffee, pet, tea) 20–60 days ago and has not ordered since: its replenishment time.',
    rule: {
      any: [
        { field: 'scores.expectedNextOrderAt', op: 'withinNext', days: 7 },
        { field: 'scores.expectedNextOrderAt', op: 'withinLast', days: 7 },
        {
          event: {
            type: 'order_completed',
            since: {
              type: 'order_completed',
              where: [{ field: 'itemCategory', op: 'in', values: consumables }],
              within: { days: 60 },
              olderThan: { days: 20 },
            },
            count: { lte: 0 },
          },
        },
      ],
    },
  },
];

export const seasonal: SegmentDefinition[] = [
  {
    key: 'holiday-shoppers',
    name: 'Holiday shoppers',
    kind: 'seasonal',
    group: 'seasonal',
    description:
      'Two or more orders and half or more of their spend in the holiday period; active from 15 November to 31 December.',
    season: 'holiday',
    rule: { all: [{ season: 'holiday' }, num('orders', 'gte', 2), num('spendShareHoliday', 'gte', 0.5)] },
  },
  {
    key: 'in-season-categories',
    name: 'Favourite category in season',
    kind: 'seasonal',
    group: 'seasonal',
    description:
      "The customer's top category is selling in their hemisphere's current season (garden in spring and summer, outdoor in summer, apparel in autumn and winter, gifts in winter).",
    rule: { any: [{ categoryInSeason: 'features.topCategory1' }, { categoryInSeason: 'features.topCategory2' }] },
  },
  {
    key: 'gift-buyers',
    name: 'Gift buyers',
    kind: 'seasonal',
    group: 'seasonal',
    description:
      "Gifts are among their top categories, or they added gifts to a cart this year; active in gifting seasons (Valentine's, Mother's Day, the holidays).",
    season: 'gifting',
    rule: {
      all: [
        { season: 'gifting' },
        {
          any: [
            { field: 'features.topCategory1', op: 'eq', value: 'gifts' },
            { field: 'features.topCategory2', op: 'eq', value: 'gifts' },
            {
              event: {
                type: 'cart_item_added',
                within: { days: 365 },
                where: [{ field: 'category', op: 'eq', value: 'gifts' }],
              },
            },
          ],
        },
      ],
    },
  },
  {
    key: 'cold-snap-outerwear',
    name: 'Cold snap + outerwear affinity',
    kind: 'seasonal',
    group: 'seasonal',
    description: `A cold snap is on or forecast in the customer's region (two days in a row ${COLD_ANOMALY_C} °C or more below the seasonal normal, today through the next week) and they turn to outerwear when it is cold: their outerwear cold-day lift is ${OUTERWEAR_LIFT} or more (needs the shop's weather table: docs/weather.md).`,
    rule: {
      all: [
        { field: 'weather.coldSnap', op: 'eq', value: true },
        { field: 'features.weatherLift.outerwear', op: 'gte', value: OUTERWEAR_LIFT },
      ],
    },
  },
];
