import { Schema } from 'mongoose';

/**
 * Per-product statistics behind recommendations (`_id` = product id), rebuilt whole by the
 * build-recommendations job: recent sales (best sellers, social proof) and co-purchase counts
 * (frequently bought together). Read by `_id`, the one lookup FerretDB pushes down.
 */
export const productStatSchema = new Schema(
  {
    _id: { type: String, required: true },
    category: String,
    sold30d: { type: Number, default: 0 },
    boughtWith: { type: [{ productId: String, count: Number, _id: false }], default: [] },
    asOf: Date,
  },
  { collection: 'product_stats', versionKey: false },
);

/** Per-customer recommendation inputs (`_id` = customer id): recent views and last purchases. */
export const customerRecoSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    recentlyViewed: { type: [String], default: [] },
    purchases: { type: [{ productId: String, at: Date, _id: false }], default: [] },
    asOf: Date,
  },
  { collection: 'customer_recos', versionKey: false },
);

/** One `product_stats` document (`_id` = product id). */
export interface ProductStatDoc {
  _id: string;
  category?: string;
  sold30d: number;
  boughtWith: { productId: string; count: number }[];
  asOf: Date;
}

/** One `customer_recos` document (`_id` = customer id). */
export interface CustomerRecoDoc {
  _id: string;
  partition: number;
  recentlyViewed: string[];
  purchases: { productId: string; at: Date }[];
  asOf: Date;
}
