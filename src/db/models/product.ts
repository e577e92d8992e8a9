import { Schema } from 'mongoose';

export const productSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    category: { type: String, required: true },
    price: { type: Number, required: true, min: 0 },
    currency: { type: String, default: 'USD' },
    /** Days until a consumable typically runs out; absent for durable goods. */
    replenishDays: Number,
    /** Months (1–12, northern hemisphere) in which a seasonal product sells; absent all year. */
    seasonMonths: { type: [Number], default: undefined },
    tags: { type: [String], default: [] },
    url: String,
    imageUrl: String,
    inStock: { type: Boolean, default: true },
  },
  { timestamps: true, collection: 'products' },
);
productSchema.index({ category: 1, price: 1 });

/** One `products` document (`_id` = the store's product id). */
export interface ProductDoc {
  _id: string;
  name: string;
  category: string;
  price: number;
  currency?: string;
  replenishDays?: number;
  seasonMonths?: number[];
  tags?: string[];
  url?: string;
  imageUrl?: string;
  inStock?: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}
