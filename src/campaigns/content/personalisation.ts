import type { Collection, Document, Filter, WithId } from 'mongodb';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { ProductDoc } from '../../db/models/product.js';
import type { Result } from '../delivery/types.js';
import type {
  CartLine,
  EngagementLevel,
  Incentive,
  MessageData,
  ProductCard,
  Recommendations,
  Review,
} from './types.js';

const DAY = 86_400_000;
const LIST = 4;
/** Catalogue and product statistics change hourly at most; re-read them after this. */
const CATALOGUE_TTL_MS = 5 * 60_000;
/** Replenishment is suggested from a week before the product typically runs out. */
const REPLENISH_LEAD_DAYS = 7;

interface Catalogue {
  loadedAt: number;
  products: Map<string, ProductDoc>;
  sold: Map<string, number>;
  boughtWith: Map<string, { productId: string; count: number }[]>;
  /** Product ids by category, best sellers first; key '' holds the whole shop. */
  bestSellers: Map<string, string[]>;
  /** Product ids by category, newest first. */
  newest: Map<string, string[]>;
}

const catalogues = new WeakMap<Database, Promise<Catalogue>>();

async function readCatalogue(database: Database): Promise<Catalogue> {
  const { products: productsCollection, productStats } = database.collections;
  const products = new Map<string, ProductDoc>();
  for await (const p of productsCollection.find({})) products.set(p._id, p);
  const sold = new Map<string, number>();
  const boughtWith = new Map<string, { productId: string; count: number }[]>();
  for await (const s of productStats.find({})) {
    sold.set(s._id, s.sold30d ?? 0);
    boughtWith.set(s._id, s.boughtWith ?? []);
  }
  const bestSellers = new Map<string, string[]>();
  const newest = new Map<string, string[]>();
  const inStock = [...products.values()].filter((p) => p.inStock !== false);
  const byCategory = new Map<string, ProductDoc[]>([['', inStock]]);
  for (const p of inStock) {
    const list = byCategory.get(p.category);
    if (list) list.push(p);
    else byCategory.set(p.category, [p]);
  }
  for (const [category, list] of byCategory) {
    bestSellers.set(
      category,
      list
        .filter((p) => (sold.get(p._id) ?? 0) > 0)
        .sort((a, b) => (sold.get(b._id) ?? 0) - (sold.get(a._id) ?? 0))
        .map((p) => p._id),
    );
    newest.set(
      category,
      [...list].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0)).map((p) => p._id),
    );
  }
  return { loadedAt: Date.now(), products, sold, boughtWith, bestSellers, newest };
}

/** The product catalogue with its statistics, cached per database for a few minutes. */
export async function loadCatalogue(database: Database, fresh = false): Promise<Catalogue> {
  const cached = catalogues.get(database);
  if (cached && !fresh && Date.now() - (await cached).loadedAt < CATALOGUE_TTL_MS) return cached;
  const loading = readCatalogue(database);
  catalogues.set(database, loading);
  loading.catch(() => catalogues.delete(database));
  return loading;
}

/** Engagement from the customer's email features; customers never mailed count as medium. */
export function engagementLevel(values: Record<string, unknown> | undefined): EngagementLevel {
  const open = values?.emailOpenRate90d;
  const click = values?.emailClickRate90d;
  if (typeof open !== 'number') return 'medium';
  if (open >= 0.35 || (typeof click === 'number' && click >= 0.08)) return 'high';
  return open < 0.1 ? 'low' : 'medium';
}

export interface ContextLine {
  productId: string;
  quantity?: number;
  price?: number;
}

/** What the dispatch loop knows about the message: the trigger's cart, order or products. */
export interface PersonalisationContext {
  /** The Message document's id (tracking tokens carry it). */
  messageId: string;
  cart?: { cartId: string; items: ContextLine[]; url?: string };
  order?: { orderId: string; items: ContextLine[]; total: number; currency?: string };
  /** Products the trigger is about (browse abandonment), most relevant first. */
  productIds?: string[];
  incentive?: Incentive;
  reviews?: Review[];
  now?: Date;
}

export type PersonalisationError = { type: 'unknown_customer' | 'no_address'; customerId: string };

/** Documents by `_id`, as a Map: `{_id: v}` for one (pushed down on FerretDB), one `$in` read for many. */
async function readByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  projection?: Document,
): Promise<Map<string, WithId<T>>> {
  const out = new Map<string, WithId<T>>();
  const unique = [...new Set(ids)];
  if (!unique.length) return out;
  const filter = unique.length === 1 ? { _id: unique[0] } : { _id: { $in: unique } };
  // A filter on `_id` of a generic document type is one TypeScript cannot check.
  for await (const doc of collection.find(filter as Filter<T>, projection ? { projection } : {})) out.set(doc._id, doc);
  return out;
}

export interface PersonalisationRequest {
  customerId: string;
  context: PersonalisationContext;
}

/**
 * Everything a template shows for one customer, from documents read by `_id` only (customer,
 * features, customer_recos: the lookups FerretDB pushes down) and the cached catalogue:
 * recently viewed, frequently bought together (co-purchase counts over orders, seeded by the
 * cart, order, trigger products and last purchases), replenishment due, best sellers in the
 * browsed categories, new arrivals in the favourite category, and the engagement level.
 */
export async function buildPersonalisation(
  database: Database,
  customerId: string,
  context: PersonalisationContext,
): Promise<Result<MessageData, PersonalisationError>> {
  const [result] = await buildPersonalisationBatch(database, [{ customerId, context }]);
  return result!;
}

/**
 * As `buildPersonalisation`, for many messages at once: one read per collection (customers,
 * features, customer_recos) for the whole batch, results in the order of `requests`.
 */
export async function buildPersonalisationBatch(
  database: Database,
  requests: readonly PersonalisationRequest[],
): Promise<Result<MessageData, PersonalisationError>[]> {
  if (!requests.length) return [];
  const { customers: customersCollection, features: featuresCollection, customerRecos } = database.collections;
  const ids = requests.map((r) => r.customerId);
  const [customers, features, recos, catalogue] = await Promise.all([
    readByIds(customersCollection, ids, { email: 1, firstName: 1 }),
    readByIds(featuresCollection, ids, { values: 1 }),
    readByIds(customerRecos, ids),
    loadCatalogue(database),
  ]);
  return requests.map(({ customerId, context }) =>
    assemble(
      customerId,
      context,
      customers.get(customerId),
      features.get(customerId),
      recos.get(customerId),
      catalogue,
    ),
  );
}

function assemble(
  customerId: string,
  context: PersonalisationContext,
  customer: Document | undefined,
  feature: Document | undefined,
  reco: Document | undefined,
  catalogue: Catalogue,
): Result<MessageData, PersonalisationError> {
  if (!customer) return { ok: false, error: { type: 'unknown_customer', customerId } };
  if (!customer.email) return { ok: false, error: { type: 'no_address', customerId } };
  const now = (context.now ?? new Date()).getTime();
  const values = feature?.values as Record<string, unknown> | undefined;
  const shopUrl = config().SHOP_URL.replace(/\/+$/, '');

  const card = (id: string): ProductCard | undefined => {
    const p = catalogue.products.get(id);
    if (!p) return undefined;
    const out: ProductCard = {
      productId: id,
      name: p.name,
      category: p.category,
      price: p.price,
      currency: p.currency ?? 'USD',
      url: p.url ?? `${shopUrl}/products/${encodeURIComponent(id)}`,
    };
    if (p.imageUrl) out.imageUrl = p.imageUrl;
    const sold = catalogue.sold.get(id);
    if (sold) out.soldCount = sold;
    return out;
  };
  const cards = (ids: Iterable<string>, exclude: Set<string>, limit = LIST) => {
    const out: ProductCard[] = [];
    for (const id of ids) {
      if (out.length >= limit) break;
      if (exclude.has(id)) continue;
      const c = card(id);
      if (c) out.push(c);
      exclude.add(id);
    }
    return out;
  };
  // Lines of the customer's own cart or order: no "sold this month" social proof there.
  const line = (l: ContextLine): CartLine | undefined => {
    const c = card(l.productId);
    if (!c) return undefined;
    const { soldCount: _, ...rest } = c;
    return { ...rest, price: l.price ?? c.price, quantity: l.quantity ?? 1 };
  };
  const lines = (items: ContextLine[]) => items.map(line).filter((l): l is CartLine => Boolean(l));

  const viewed = (reco?.recentlyViewed as string[] | undefined) ?? [];
  const purchases = ((reco?.purchases as { productId: string; at: Date }[] | undefined) ?? []).map((p) => ({
    productId: p.productId,
    at: new Date(p.at).getTime(),
  }));
  const cartItems = context.cart ? lines(context.cart.items) : [];
  const orderItems = context.order ? lines(context.order.items) : [];
  const triggerIds = context.productIds ?? [];
  const favouriteCategory = (values?.topCategory1 as string | null | undefined) ?? undefined;

  const seeds = [
    ...new Set([
      ...cartItems.map((i) => i.productId),
      ...orderItems.map((i) => i.productId),
      ...triggerIds,
      ...purchases.slice(0, 3).map((p) => p.productId),
    ]),
  ];
  const together = new Map<string, number>();
  for (const seed of seeds)
    for (const { productId, count } of catalogue.boughtWith.get(seed) ?? [])
      together.set(productId, (together.get(productId) ?? 0) + count);
  const inHand = new Set(seeds);
  const due = purchases
    .filter((p) => {
      const days = catalogue.products.get(p.productId)?.replenishDays;
      return days !== undefined && p.at + (days - REPLENISH_LEAD_DAYS) * DAY <= now;
    })
    .map((p) => p.productId);
  const browsed = [
    ...new Set(
      [favouriteCategory, ...viewed.map((id) => catalogue.products.get(id)?.category)].filter((c): c is string =>
        Boolean(c),
      ),
    ),
  ];
  const bestIds = [
    ...browsed.flatMap((c) => catalogue.bestSellers.get(c) ?? []),
    ...(catalogue.bestSellers.get('') ?? []),
  ];
  const bought = new Set(purchases.map((p) => p.productId));

  const recommendations: Recommendations = {
    recentlyViewed: cards(viewed, new Set(cartItems.map((i) => i.productId))),
    boughtTogether: cards(
      [...together].sort((a, b) => b[1] - a[1]).map(([id]) => id),
      new Set(inHand),
    ),
    replenishment: cards(due, new Set()),
    bestSellers: cards(bestIds, new Set([...bought, ...cartItems.map((i) => i.productId)])),
    newArrivals: cards(catalogue.newest.get(favouriteCategory ?? '') ?? [], new Set(bought)),
  };

  const data: MessageData = {
    messageId: context.messageId,
    customerId,
    to: customer.email as string,
    engagement: engagementLevel(values),
    viewedProducts: triggerIds.length ? cards(triggerIds, new Set()) : recommendations.recentlyViewed.slice(0, 2),
    recommendations,
    reviews: context.reviews ?? [],
  };
  if (customer.firstName) data.firstName = customer.firstName as string;
  if (favouriteCategory) data.favouriteCategory = favouriteCategory;
  if (context.incentive) data.incentive = context.incentive;
  if (context.cart) {
    const total = cartItems.reduce((s, i) => s + i.price * i.quantity, 0);
    data.cart = {
      cartId: context.cart.cartId,
      items: cartItems,
      total,
      currency: cartItems[0]?.currency ?? 'USD',
      url: context.cart.url ?? `${shopUrl}/cart`,
    };
  }
  if (context.order)
    data.order = {
      orderId: context.order.orderId,
      items: orderItems,
      total: context.order.total,
      currency: context.order.currency ?? orderItems[0]?.currency ?? 'USD',
    };
  return { ok: true, value: data };
}
