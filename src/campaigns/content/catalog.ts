import type { StepTemplateKey, TemplateInfo } from './types.js';

/**
 * Kind and subject lines per step. Placeholders: {firstName} {product} {category} {percent}
 * {offer} {orderId} {shop}. A line whose placeholder has no value for the recipient is skipped
 * for the next one, so the last line of each step uses only {shop} (always known).
 */
export const templateCatalog: Record<StepTemplateKey, TemplateInfo> = {
  welcome_brand: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['Welcome to {shop}, {firstName}!', 'Welcome to {shop}'],
  },
  welcome_bestsellers: {
    kind: 'marketing',
    topic: 'recommendations',
    subjects: ['Best sellers in {category}', 'Our best sellers at {shop}'],
  },
  welcome_social_proof: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['See why customers love {shop}', 'What customers say about {shop}'],
  },
  welcome_discount: {
    kind: 'marketing',
    topic: 'offers',
    subjects: ["Here's {offer} on your first order", 'A welcome gift from {shop}'],
  },
  welcome_purchase_thanks: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['Thank you for your order, {firstName}', 'Thank you for shopping at {shop}'],
  },
  welcome_care_tips: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['Care tips for your {product}', 'Care tips from {shop}'],
  },
  welcome_complementary: {
    kind: 'marketing',
    topic: 'recommendations',
    subjects: ['Pairs well with your {product}', 'Picked to go with your {shop} order'],
  },
  welcome_loyalty: {
    kind: 'marketing',
    topic: 'offers',
    subjects: ['{firstName}, join {shop} Rewards', 'Join {shop} Rewards'],
  },
  cart_1h: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Still thinking about that {product}?', 'You left something at {shop}'],
  },
  cart_24h: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Your {product} is selling fast', 'Your {shop} cart is about to expire'],
  },
  cart_72h: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: [
      'Complete your order and save {percent}%',
      'Complete your order with {offer}',
      'Your {shop} cart is waiting',
    ],
  },
  cart_1w: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Still looking? Alternatives to {product}', 'Alternatives picked for you at {shop}'],
  },
  browse_abandonment: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Still thinking about that {product}?', 'Take another look at {product}', 'Picked for you at {shop}'],
  },
  post_purchase_confirmation: {
    kind: 'transactional',
    subjects: ['Your order {orderId} is confirmed', 'Your {shop} order is confirmed'],
  },
  post_purchase_care: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['Caring for your {product}', 'Getting the most from your {shop} order'],
  },
  post_purchase_review: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['How is your {product}?', 'How did {shop} do?'],
  },
  post_purchase_cross_sell: {
    kind: 'marketing',
    topic: 'recommendations',
    subjects: ['Goes well with your {product}', 'Picked to go with your {shop} order'],
  },
  post_purchase_replenishment: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Running low on {product}?', 'Time to restock from {shop}?'],
  },
  winback_miss_you: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['We miss you, {firstName}!', 'We miss you at {shop}!'],
  },
  winback_incentive: {
    kind: 'marketing',
    topic: 'offers',
    subjects: ["We miss you! Here's {percent}% off", "We miss you! Here's {offer}", 'A little something from {shop}'],
  },
  winback_new_arrivals: {
    kind: 'marketing',
    topic: 'recommendations',
    subjects: ['New arrivals in {category}', 'New arrivals at {shop}'],
  },
  winback_preferences: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['{firstName}, what would you like to hear about?', 'Choose what {shop} sends you'],
  },
  replenish_predicted: {
    kind: 'marketing',
    topic: 'reminders',
    subjects: ['Time to restock {product}?', 'Running low? Reorder from {shop}'],
  },
  churn_save_offer: {
    kind: 'marketing',
    topic: 'offers',
    subjects: [
      '{firstName}, {offer} on your next order',
      'A thank-you from {shop}: {offer}',
      'A thank-you from {shop}',
    ],
  },
  vip_welcome: {
    kind: 'marketing',
    topic: 'news',
    subjects: ['Welcome to VIP, {firstName}', 'You are a {shop} VIP now'],
  },
  double_opt_in: { kind: 'transactional', subjects: ['Please confirm your subscription to {shop}'] },
};

export function templateInfo(step: StepTemplateKey): TemplateInfo {
  return templateCatalog[step];
}

/** Fills subject line `index` (wrapping to 0), falling forward past lines missing a value. */
export function fillSubject(
  subjects: readonly string[],
  index: number,
  values: Record<string, string | undefined>,
): string {
  const start = index >= 0 && index < subjects.length ? index : 0;
  for (let i = start; i < subjects.length; i++) {
    let missing = false;
    const line = subjects[i]!.replace(/\{(\w+)\}/g, (_, key: string) => {
      const value = values[key];
      if (!value) missing = true;
      return value ?? '';
    });
    if (!missing) return line;
  }
  throw new Error(`no subject line could be filled: ${subjects.at(-1)} (the last line must use only {shop})`);
}
