/**
 * The content interface the dispatch loop builds on: which templates exist, what a recipient's
 * personalisation holds, and what a render returns. Implementations: `renderer.ts`
 * (`createRenderer`), `personalisation.ts` (`buildPersonalisation`).
 */

/** One MJML template per step type of the built-in flows (issue #6 item 2), plus double opt-in. */
export const stepTemplateKeys = [
  // Welcome, website signup
  'welcome_brand',
  'welcome_bestsellers',
  'welcome_social_proof',
  'welcome_discount',
  // Welcome, signup at purchase
  'welcome_purchase_thanks',
  'welcome_care_tips',
  'welcome_complementary',
  'welcome_loyalty',
  // Abandoned cart
  'cart_1h',
  'cart_24h',
  'cart_72h',
  'cart_1w',
  'browse_abandonment',
  // Post-purchase
  'post_purchase_confirmation',
  'post_purchase_care',
  'post_purchase_review',
  'post_purchase_cross_sell',
  'post_purchase_replenishment',
  // Win-back
  'winback_miss_you',
  'winback_incentive',
  'winback_new_arrivals',
  'winback_preferences',
  // Started by predictions
  'replenish_predicted',
  'churn_save_offer',
  'vip_welcome',
  // Consent
  'double_opt_in',
] as const;

export type StepTemplateKey = (typeof stepTemplateKeys)[number];

/** Transactional mail is exempt from marketing consent (never from hard-bounce suppression). */
export type MessageKind = 'marketing' | 'transactional';

/** Content depth: `full` for engaged readers, `short` for the rest (or forced by an A/B test). */
export type ContentLength = 'full' | 'short';

export type EngagementLevel = 'high' | 'medium' | 'low';

/**
 * What an A/B test may vary per step. Everything left out follows the recipient's data:
 * subject 0 is the trigger's default line, length follows the engagement level.
 */
export interface TemplateVariant {
  /** Index into the step's subject lines (`templateInfo(step).subjects`); out of range → 0. */
  subject?: number;
  length?: ContentLength;
}

export interface ProductCard {
  productId: string;
  name: string;
  category: string;
  price: number;
  currency: string;
  /** The shop's product page; becomes a tracked link in the message. */
  url: string;
  imageUrl?: string;
  /** Units sold in the last 30 days (social proof); absent when unknown. */
  soldCount?: number;
}

export interface CartLine extends ProductCard {
  quantity: number;
}

export interface OrderSummary {
  orderId: string;
  items: CartLine[];
  total: number;
  currency: string;
}

/** Incentive chosen by the flow (e.g. free shipping for shipping-concerned, discount for price-sensitive). */
export type Incentive = { type: 'discount'; percent: number; code: string } | { type: 'free_shipping'; code: string };

/** A review quoted as social proof. */
export interface Review {
  productName: string;
  rating: number;
  quote: string;
  author: string;
}

export interface Recommendations {
  recentlyViewed: ProductCard[];
  /** Co-purchase counts over orders, seeded by the customer's cart, order and views. */
  boughtTogether: ProductCard[];
  /** Consumables due again (last order + the product's replenishDays). */
  replenishment: ProductCard[];
  /** Best sellers, in the customer's browsed categories when there are any. */
  bestSellers: ProductCard[];
  /** Newest products in the favourite category. */
  newArrivals: ProductCard[];
}

/**
 * Everything a template may show for one recipient. Built by `buildPersonalisation`; the
 * dispatch loop adds what only it knows (the message id, incentive, cart or order in context).
 */
export interface MessageData {
  /** The Message document's id: tracking tokens carry it. */
  messageId: string;
  customerId: string;
  to: string;
  firstName?: string;
  engagement: EngagementLevel;
  favouriteCategory?: string;
  /** Products the trigger is about (browse abandonment); else the most recently viewed. */
  viewedProducts: ProductCard[];
  cart?: { cartId: string; items: CartLine[]; total: number; currency: string; url: string };
  order?: OrderSummary;
  recommendations: Recommendations;
  incentive?: Incentive;
  reviews: Review[];
  /** Double opt-in only: the signed confirmation link (built by `consent/doubleOptIn.ts`). */
  confirmUrl?: string;
}

export interface TrackedLink {
  /** `l0`, `l1`, … in the order the links appear; the click token carries it. */
  id: string;
  /** The destination: the only URL a click on this link may redirect to. */
  url: string;
}

export interface Rendered {
  subject: string;
  html: string;
  text: string;
  /** Store these on the message (`Message.links`): `/c/:token` redirects only to them. */
  links: TrackedLink[];
  kind: MessageKind;
  /** Unsubscribe endpoints for the List-Unsubscribe headers; absent on transactional mail. */
  unsubscribe?: { url: string; mailto: string };
}

export interface RendererOptions {
  /** Absolute base of tracking/unsubscribe links, e.g. `https://mail.shop.example` (config PUBLIC_URL). */
  publicUrl: string;
  /** The shop's home page (header link, "visit the shop" buttons). */
  shopUrl: string;
  /** HMAC key for tracking tokens (`trackingSecret(config)`). */
  secret: Buffer;
  shopName?: string;
  /**
   * Domain of the mailto unsubscribe address. The token rides in the subject
   * (`mailto:unsubscribe@domain?subject=unsubscribe%20TOKEN`): it is longer than the 64
   * characters RFC 5321 allows in an address's local part.
   */
  mailDomain: string;
  /** Compile only these steps (tests, benchmarks); default all. MJML runs once per step and length. */
  steps?: readonly StepTemplateKey[];
}

/** `createRenderer(opts): Promise<Renderer>` compiles every (step, length) with MJML up front. */
export interface Renderer {
  /**
   * Fills the compiled (step, length) template for one recipient: escaped values, tracked links,
   * open pixel, plain-text part. Synchronous and allocation-light: templates are compiled by
   * `createRenderer` (MJML runs once per template and length, never per recipient).
   */
  render(step: StepTemplateKey, variant: TemplateVariant, data: MessageData): Rendered;
}

/** What a marketing mail is about; the preference centre lets a customer keep only some. */
export const emailTopics = ['reminders', 'recommendations', 'offers', 'news'] as const;
export type EmailTopic = (typeof emailTopics)[number];

export interface TemplateInfo {
  kind: MessageKind;
  /** Marketing only: the topic a customer can switch off (`customer.traits.emailTopics`). */
  topic?: EmailTopic;
  /** Subject lines (A/B index); `{firstName}`, `{product}`, `{category}`, `{percent}`, `{shop}` are filled. */
  subjects: readonly string[];
}
