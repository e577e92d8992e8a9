import { Rng } from '../../src/random.js';

/**
 * The shop's products. Prices are log-normal per category so every category has cheap and
 * premium items; consumables carry `replenishDays` (customers reorder them), seasonal items carry
 * `seasonMonths` in northern-hemisphere months.
 */

interface CategorySpec {
  name: string;
  count: number;
  medianPrice: number;
  sigma: number;
  replenishDays?: readonly [number, number];
  seasonMonths?: readonly number[];
  /** Share of the category's products that are seasonal. */
  seasonalShare?: number;
  /** Demand follows the local climate (flipped south of the equator), not the calendar. */
  climate?: boolean;
  nouns: readonly string[];
}

const categorySpecs: readonly CategorySpec[] = [
  {
    name: 'apparel',
    count: 48,
    medianPrice: 38,
    sigma: 0.6,
    nouns: ['T-Shirt', 'Hoodie', 'Jeans', 'Jacket', 'Sweater', 'Dress', 'Shirt', 'Scarf'],
  },
  {
    name: 'shoes',
    count: 32,
    medianPrice: 85,
    sigma: 0.45,
    nouns: ['Sneakers', 'Boots', 'Loafers', 'Sandals', 'Runners', 'Slippers'],
  },
  {
    name: 'beauty',
    count: 40,
    medianPrice: 22,
    sigma: 0.6,
    replenishDays: [35, 60],
    nouns: ['Face Serum', 'Moisturiser', 'Shampoo', 'Lip Balm', 'Cleanser', 'Body Lotion', 'Sunscreen'],
  },
  {
    name: 'coffee',
    count: 30,
    medianPrice: 16,
    sigma: 0.35,
    replenishDays: [18, 32],
    nouns: ['Espresso Beans', 'Filter Roast', 'Cold Brew Blend', 'Decaf Beans', 'Single Origin', 'Coffee Pods'],
  },
  {
    name: 'tea',
    count: 26,
    medianPrice: 12,
    sigma: 0.4,
    replenishDays: [25, 45],
    nouns: ['Green Tea', 'Earl Grey', 'Chai Blend', 'Herbal Infusion', 'Matcha', 'Oolong'],
  },
  {
    name: 'pet',
    count: 26,
    medianPrice: 28,
    sigma: 0.45,
    replenishDays: [25, 40],
    nouns: ['Dog Food', 'Cat Food', 'Treats', 'Chew Toy', 'Litter'],
  },
  {
    name: 'home',
    count: 44,
    medianPrice: 45,
    sigma: 0.8,
    nouns: ['Throw Blanket', 'Candle', 'Vase', 'Cushion', 'Lamp', 'Rug', 'Picture Frame'],
  },
  {
    name: 'kitchen',
    count: 40,
    medianPrice: 32,
    sigma: 0.8,
    nouns: ['Chef Knife', 'Skillet', 'Mug Set', 'Cutting Board', 'Teapot', 'Storage Jars', 'Blender'],
  },
  {
    name: 'toys',
    count: 36,
    medianPrice: 24,
    sigma: 0.6,
    nouns: ['Building Blocks', 'Plush Bear', 'Puzzle', 'Wooden Train', 'Board Game', 'Art Set'],
  },
  {
    name: 'garden',
    count: 30,
    medianPrice: 28,
    sigma: 0.7,
    seasonMonths: [3, 4, 5, 6, 7, 8],
    seasonalShare: 0.8,
    climate: true,
    nouns: ['Seed Kit', 'Planter', 'Hose', 'Pruners', 'Garden Gloves', 'Bird Feeder'],
  },
  {
    name: 'outdoor',
    count: 30,
    medianPrice: 60,
    sigma: 0.8,
    seasonMonths: [5, 6, 7, 8],
    seasonalShare: 0.6,
    climate: true,
    nouns: ['Tent', 'Camping Chair', 'Cooler', 'Backpack', 'Hammock', 'Headlamp'],
  },
  {
    name: 'electronics',
    count: 34,
    medianPrice: 110,
    sigma: 0.9,
    nouns: ['Earbuds', 'Speaker', 'Charger', 'Smart Plug', 'Headphones', 'E-Reader', 'Power Bank'],
  },
  {
    name: 'gifts',
    count: 34,
    medianPrice: 30,
    sigma: 0.6,
    seasonMonths: [11, 12],
    seasonalShare: 0.5,
    nouns: ['Gift Box', 'Ornament Set', 'Advent Calendar', 'Gift Card Holder', 'Hamper', 'Keepsake'],
  },
];

const adjectives = [
  'Classic',
  'Everyday',
  'Premium',
  'Organic',
  'Nordic',
  'Urban',
  'Vintage',
  'Essential',
  'Deluxe',
  'Coastal',
  'Alpine',
  'Studio',
];

export const categories: readonly string[] = categorySpecs.map((c) => c.name);
const climateCategories = new Set(categorySpecs.filter((c) => c.climate).map((c) => c.name));

/** A product as stored in `products`. */
export interface ProductDoc {
  _id: string;
  name: string;
  category: string;
  price: number;
  currency: 'USD';
  replenishDays?: number;
  seasonMonths?: number[];
  tags: string[];
  url: string;
  imageUrl: string;
  inStock: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export class Catalog {
  readonly products: ProductDoc[] = [];
  readonly byId = new Map<string, ProductDoc>();
  /** Each category's products, cheapest first, so a price rank is an index. */
  readonly byCategory = new Map<string, ProductDoc[]>();
  readonly searchTerms = new Map<string, readonly string[]>();

  constructor(seed: number, createdAt: Date) {
    const rng = new Rng(seed, 'catalog');
    let made = 0;
    for (const spec of categorySpecs) {
      const names = spec.nouns.flatMap((noun) => adjectives.map((adj) => `${adj} ${noun}`));
      const list: ProductDoc[] = [];
      for (let i = 0; i < spec.count; i++) {
        const name = names.splice(rng.int(0, names.length - 1), 1)[0]!;
        const price = round2(Math.max(2, rng.lognormal(spec.medianPrice, spec.sigma)) - 0.01);
        const seasonal = spec.seasonMonths !== undefined && rng.chance(spec.seasonalShare ?? 1);
        const id = `prod-${String(++made).padStart(4, '0')}`;
        list.push({
          _id: id,
          name,
          category: spec.name,
          price,
          currency: 'USD',
          ...(spec.replenishDays ? { replenishDays: rng.int(spec.replenishDays[0], spec.replenishDays[1]) } : {}),
          ...(seasonal ? { seasonMonths: [...spec.seasonMonths!] } : {}),
          tags: [
            spec.name,
            ...(spec.replenishDays ? ['consumable'] : []),
            ...(seasonal ? ['seasonal'] : []),
            price >= spec.medianPrice * 1.8 ? 'premium' : price <= spec.medianPrice * 0.6 ? 'value' : 'standard',
          ],
          url: `https://shop.example.com/products/${slug(name)}-${id}`,
          imageUrl: `https://shop.example.com/images/${id}.jpg`,
          inStock: rng.chance(0.96),
          createdAt,
          updatedAt: createdAt,
        });
      }
      list.sort((a, b) => a.price - b.price || a._id.localeCompare(b._id));
      this.byCategory.set(spec.name, list);
      this.searchTerms.set(spec.name, [spec.name, ...spec.nouns.map((n) => n.toLowerCase())]);
    }
    for (const name of categories) this.products.push(...this.byCategory.get(name)!);
    this.products.sort((a, b) => a._id.localeCompare(b._id));
    for (const p of this.products) this.byId.set(p._id, p);
  }

  /**
   * A product by price rank: `exponent` > 1 leans to the cheap end (price-sensitive shoppers),
   * < 1 to the premium end. Out-of-season items are mostly passed over.
   */
  browse(rng: Rng, category: string, exponent: number, month: number, southern: boolean): ProductDoc {
    const list = this.byCategory.get(category)!;
    let product = list[Math.floor(list.length * Math.pow(rng.next(), exponent))]!;
    for (let tries = 0; tries < 3 && !inSeason(product, month, southern) && rng.chance(0.85); tries++) {
      product = list[Math.floor(list.length * Math.pow(rng.next(), exponent))]!;
    }
    return product;
  }

  /** A product priced near `price`, with a little rank jitter so baskets vary. */
  nearPrice(rng: Rng, category: string, price: number): ProductDoc {
    const list = this.byCategory.get(category)!;
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.price < price) lo = mid + 1;
      else hi = mid;
    }
    const index = Math.min(list.length - 1, Math.max(0, lo + rng.int(-2, 1)));
    return list[index]!;
  }

  /** Neighbours in price within the category: what a comparison shopper weighs against each other. */
  similar(rng: Rng, product: ProductDoc, n: number): ProductDoc[] {
    const list = this.byCategory.get(product.category)!;
    const at = list.indexOf(product);
    const out: ProductDoc[] = [];
    for (let i = 0; i < n; i++) {
      const index = Math.min(list.length - 1, Math.max(0, at + rng.int(-3, 3)));
      if (!out.includes(list[index]!)) out.push(list[index]!);
    }
    return out;
  }

  /** One of the dearest items in the category: what a price-sensitive shopper balks at. */
  expensive(rng: Rng, category: string): ProductDoc {
    const list = this.byCategory.get(category)!;
    return list[list.length - 1 - rng.int(0, Math.floor(list.length / 5))]!;
  }
}

/** `seasonMonths` are northern months; south of the equator a climate season is six months later. */
export function inSeason(product: ProductDoc, month: number, southern: boolean): boolean {
  if (product.seasonMonths === undefined) return true;
  return product.seasonMonths.includes(
    southern && climateCategories.has(product.category) ? climateMonth(month, true) : month,
  );
}

/** The northern-hemisphere month with the same weather. */
function climateMonth(month: number, southern: boolean): number {
  return southern ? ((month + 5) % 12) + 1 : month;
}

/**
 * How much a customer wants a category this month (1–12, UTC). Climate-driven categories follow
 * the customer's hemisphere; gifts follow the holidays everywhere.
 */
export function seasonalDemand(category: string, month: number, southern: boolean, holidayBuyer: boolean): number {
  if (climateCategories.has(category)) {
    const local = climateMonth(month, southern);
    return local >= 4 && local <= 8 ? 1.8 : local === 3 || local === 9 ? 1 : 0.35;
  }
  if (category === 'gifts') return month >= 11 ? (holidayBuyer ? 6 : 3) : 0.6;
  return 1;
}
