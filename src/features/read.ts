/** Defensive readers for event properties: real data (imports, webhooks) often lacks fields. */

/** A finite number from a number or numeric string; NaN for anything else. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}

export function toText(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

/** `num / den`, or null when the denominator is zero (the feature does not apply). */
export function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Revenue of an order: `revenue`, else the line items' sum, else `subtotal`, else 0. */
export function orderRevenue(props: Record<string, unknown> | null | undefined): number {
  if (!props) return 0;
  const revenue = toNumber(props.revenue);
  if (revenue >= 0) return revenue;
  const items = props.items;
  if (Array.isArray(items) && items.length > 0) {
    let sum = 0;
    for (const item of items as (LineItem | null)[]) {
      const price = toNumber(item?.price);
      if (!(price >= 0)) continue;
      const qty = toNumber(item!.quantity);
      sum += price * (qty > 0 ? qty : 1);
    }
    return sum;
  }
  const subtotal = toNumber(props.subtotal);
  return subtotal >= 0 ? subtotal : 0;
}

/** The line items of an order (an empty array when missing or malformed). */
export function orderItems(
  props: Record<string, unknown> | null | undefined,
): readonly (LineItem | null | undefined)[] {
  const items = props?.items;
  return Array.isArray(items) ? (items as LineItem[]) : noItems;
}
const noItems: readonly never[] = Object.freeze([]);

export interface LineItem {
  productId?: unknown;
  category?: unknown;
  price?: unknown;
  quantity?: unknown;
}

/** The q-quantile of ascending values, interpolating linearly (numpy's default); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
