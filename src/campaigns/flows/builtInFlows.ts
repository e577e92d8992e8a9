import { flowSchema, type Flow, type FlowInput } from './flowSchema.js';

/**
 * The flows every shop starts with (issue #6 item 2). They are stored in `flows` on first
 * dispatch (`builtIn: true`) and from then on are data like any other flow: an admin may change
 * or deactivate them through the API, and dispatch never overwrites a stored flow.
 */
const definitions: FlowInput[] = [
  {
    id: 'welcome-website',
    name: 'Welcome (website signup)',
    description:
      'Welcome and brand story, best sellers in the categories they browsed, reviews and social proof, then the subscriber discount.',
    trigger: {
      type: 'event',
      eventTypes: ['identify'],
      where: [{ property: 'traits.signupSource', in: ['website', 'social', 'referral'] }],
    },
    steps: [
      { id: 'brand', delay: '0m', template: 'welcome_brand', urgent: true },
      { id: 'bestsellers', delay: '2d', template: 'welcome_bestsellers' },
      { id: 'social-proof', delay: '4d', template: 'welcome_social_proof' },
      { id: 'discount', delay: '7d', template: 'welcome_discount', incentive: 'discount' },
    ],
    exitOn: ['unsubscribed'],
    priority: 60,
  },
  {
    id: 'welcome-post-purchase',
    name: 'Welcome (signed up at purchase)',
    description: 'Thank you with the order, care tips, complementary products, then the loyalty invitation.',
    trigger: {
      type: 'event',
      eventTypes: ['identify'],
      where: [{ property: 'traits.signupSource', equals: 'post_purchase' }],
    },
    steps: [
      { id: 'thanks', delay: '0m', template: 'welcome_purchase_thanks', urgent: true },
      { id: 'care', delay: '3d', template: 'welcome_care_tips' },
      { id: 'complementary', delay: '7d', template: 'welcome_complementary' },
      { id: 'loyalty', delay: '14d', template: 'welcome_loyalty' },
    ],
    exitOn: ['unsubscribed'],
    priority: 60,
  },
  {
    id: 'abandoned-cart',
    name: 'Abandoned cart',
    description:
      'One series per cart (keyed by cart id; a checkout carries its cart id): a reminder with the cart after 1 hour, urgency after 24 hours, an incentive after 72 hours (free shipping for shipping-concerned, a discount for price-sensitive), alternatives and reviews after a week. Recovering the cart, or any order, ends it.',
    trigger: {
      type: 'event',
      eventTypes: ['cart_item_added', 'cart_viewed', 'checkout_started'],
      keyProperty: 'cartId',
      restartOnRepeat: true,
    },
    steps: [
      { id: 'reminder', delay: '1h', template: 'cart_1h', urgent: true },
      {
        id: 'urgency',
        delay: '24h',
        template: 'cart_24h',
        variants: [
          { name: 'stock', subject: 0 },
          { name: 'save', subject: 1 },
        ],
      },
      { id: 'incentive', delay: '72h', template: 'cart_72h', incentive: 'by_abandonment' },
      { id: 'alternatives', delay: '1w', template: 'cart_1w' },
    ],
    exitOn: ['recovered', 'ordered', 'unsubscribed'],
    holdoutShare: 0.1,
    priority: 90,
  },
  {
    id: 'browse-abandonment',
    name: 'Browse abandonment',
    description:
      'Products they viewed without adding to a cart, with social proof or a limited-time offer (an A/B test); at most once a week.',
    trigger: { type: 'event', eventTypes: ['product_viewed'], repeatAfterDays: 7, restartOnRepeat: true },
    steps: [
      {
        id: 'viewed',
        delay: '4h',
        template: 'browse_abandonment',
        variants: [
          { name: 'social-proof', subject: 0, incentive: 'none' },
          { name: 'limited-offer', subject: 1, incentive: 'discount' },
        ],
        goal: 'conversion',
      },
    ],
    exitOn: ['ordered', 'unsubscribed'],
    priority: 40,
  },
  {
    id: 'post-purchase',
    name: 'Post-purchase',
    description:
      'Confirmation at once (transactional), delivery and care tips after 4 days, a review request after a week, a cross-sell after 3 weeks, replenishment after 30 days or the product’s period.',
    trigger: { type: 'event', eventTypes: ['order_completed'], keyProperty: 'orderId' },
    steps: [
      { id: 'confirmation', delay: '0m', template: 'post_purchase_confirmation', urgent: true, transactional: true },
      { id: 'care', delay: '4d', template: 'post_purchase_care' },
      { id: 'review', delay: '1w', template: 'post_purchase_review' },
      { id: 'cross-sell', delay: '3w', template: 'post_purchase_cross_sell' },
      { id: 'replenishment', delay: '30d', template: 'post_purchase_replenishment', delayFromReplenishment: true },
    ],
    exitOn: ['unsubscribed'],
    holdoutShare: 0.05,
    priority: 70,
  },
  {
    id: 'first-purchase',
    name: 'First purchase (likely first-time buyers)',
    description:
      'Prospects entering the likely-first-purchase segment: best sellers in the categories they browsed, reviews and social proof after 3 days, a first-order discount after a week. Any order ends it; entering the segment again later starts it again.',
    trigger: { type: 'segment_entered', segmentId: 'likely-first-purchase' },
    steps: [
      { id: 'bestsellers', delay: '0m', template: 'welcome_bestsellers' },
      { id: 'social-proof', delay: '3d', template: 'welcome_social_proof' },
      { id: 'discount', delay: '7d', template: 'welcome_discount', incentive: 'discount' },
    ],
    exitOn: ['ordered', 'unsubscribed'],
    priority: 50,
  },
  {
    id: 'win-back',
    name: 'Re-engagement / win-back',
    description:
      '"We miss you" when churn risk crosses 0.7, then an incentive, what is new in their favourite category, and a preference update link. Once per lapse (a new order re-arms it); waits while the churn save offer runs.',
    trigger: { type: 'churn_risk', threshold: 0.7 },
    steps: [
      { id: 'miss-you', delay: '0m', template: 'winback_miss_you' },
      { id: 'incentive', delay: '5d', template: 'winback_incentive', incentive: 'discount', discountPercent: 15 },
      { id: 'new-arrivals', delay: '12d', template: 'winback_new_arrivals' },
      { id: 'preferences', delay: '20d', template: 'winback_preferences' },
    ],
    exitOn: ['ordered', 'unsubscribed'],
    priority: 30,
    yieldTo: ['churn-save-offer'],
  },
  {
    id: 'replenishment',
    name: 'Replenishment (predicted next order)',
    description:
      'Two weeks before the customer’s expected next order (the BG/NBD wait after their last order), what they bought last time ready to reorder. Once per expected order; any order ends it; left out for customers whose churn risk is above 0.8. Two weeks, not a few days: orders come about as a Poisson process, so half of them come before the expected date (docs/prediction-flows.md).',
    trigger: { type: 'predicted_order', daysBefore: 14, maxChurnRisk: 0.8 },
    steps: [{ id: 'restock', delay: '0m', template: 'replenish_predicted' }],
    exitOn: ['ordered', 'unsubscribed'],
    priority: 55,
  },
  {
    id: 'churn-save-offer',
    name: 'Churn save offer',
    description:
      'When a scoring puts churn risk at or above 0.5 and the previous one had it below: a thank-you offer at once, a reminder of it after 4 days. Once per lapse; an order, or churn risk falling back below 0.5, ends it. Win-back waits while it runs.',
    trigger: { type: 'churn_risk', threshold: 0.5 },
    steps: [
      { id: 'offer', delay: '0m', template: 'churn_save_offer', incentive: 'discount', discountPercent: 10 },
      { id: 'reminder', delay: '4d', template: 'churn_save_offer', incentive: 'discount', discountPercent: 10 },
    ],
    exitOn: ['ordered', 'score_fell', 'unsubscribed'],
    priority: 35,
  },
  {
    id: 'vip-welcome',
    name: 'VIP welcome (predicted LTV rises to the top tier)',
    description:
      'When a scoring moves a customer into the top predicted-LTV tier (the top 10 %) from a lower one: the VIP welcome. Once per customer; falling out of the tier before it is sent ends it.',
    trigger: { type: 'ltv_tier', to: 'top' },
    steps: [{ id: 'welcome', delay: '0m', template: 'vip_welcome' }],
    exitOn: ['score_fell', 'unsubscribed'],
    priority: 45,
  },
];

export const builtInFlows: readonly Flow[] = definitions.map((d) => flowSchema.parse(d));
