import { categories, inSeason, round2, seasonalDemand, type Catalog, type ProductDoc } from './catalog.js';
import type { HiddenTraits } from './customers.js';
import type { Rng } from '../../src/random.js';
import type { LineItem } from './simEventTypes.js';

export interface Basket {
  items: LineItem[];
  subtotal: number;
  discount: number;
  shipping: number;
  revenue: number;
  couponCode?: string;
}

const FREE_SHIPPING_FROM = 50;
const SHIPPING_FEE = 5.99;

/** A category drawn from the customer's affinities, bent by the season where they live. */
export function pickCategory(rng: Rng, traits: HiddenTraits, month: number): string {
  const weights = categories.map(
    (c) => traits.categoryAffinity[c]! * seasonalDemand(c, month, traits.southern, traits.holidayBuyer) + 0.002,
  );
  return categories[rng.categorical(weights)]!;
}

/**
 * Fills an order up to a target spend drawn around the customer's spend level (gamma, so
 * Gamma–Gamma spend models fit), choosing products priced near what is left of the target.
 * `first` puts a known item in the basket (a replenished consumable).
 */
export function buildBasket(
  rng: Rng,
  traits: HiddenTraits,
  catalog: Catalog,
  month: number,
  first?: ProductDoc,
): ProductDoc[] {
  const target = rng.gamma(5, traits.spendLevel / 5);
  const chosen: ProductDoc[] = first ? [first] : [];
  let total = first?.price ?? 0;
  while (chosen.length < 6 && (chosen.length === 0 || total < target * 0.8)) {
    const remaining = Math.max(5, target - total);
    let product = catalog.nearPrice(rng, pickCategory(rng, traits, month), remaining * rng.uniform(0.45, 1.05));
    if (!inSeason(product, month, traits.southern) || !product.inStock)
      product = catalog.nearPrice(rng, pickCategory(rng, traits, month), remaining * rng.uniform(0.45, 1.05));
    if (chosen.includes(product)) break;
    chosen.push(product);
    total += product.price;
  }
  return chosen;
}

/** Quantities, coupon and shipping: price-sensitive customers reach for coupons more often. */
export function priceBasket(
  rng: Rng,
  traits: HiddenTraits,
  products: ProductDoc[],
  offeredCoupon: string | undefined,
  firstOrder: boolean,
): Basket {
  const items = products.map((p) => ({
    productId: p._id,
    category: p.category,
    price: p.price,
    quantity: p.replenishDays !== undefined && rng.chance(0.3) ? 2 : 1,
  }));
  const subtotal = round2(items.reduce((s, i) => s + i.price * i.quantity, 0));
  let couponCode: string | undefined;
  let rate = 0;
  if (offeredCoupon && rng.chance(0.4 + 0.5 * traits.priceSensitivity)) {
    couponCode = offeredCoupon;
    rate = offeredCoupon === 'SAVE20' ? 0.2 : 0.15;
  } else if (firstOrder && rng.chance(0.3 + 0.5 * traits.priceSensitivity)) {
    couponCode = 'WELCOME10';
    rate = 0.1;
  } else if (rng.chance(0.25 * traits.priceSensitivity)) {
    couponCode = 'SAVE10';
    rate = 0.1;
  }
  const discount = round2(subtotal * rate);
  const shipping = subtotal - discount >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FEE;
  const basket: Basket = { items, subtotal, discount, shipping, revenue: round2(subtotal - discount + shipping) };
  if (couponCode) basket.couponCode = couponCode;
  return basket;
}
