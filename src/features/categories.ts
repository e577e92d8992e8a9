import { E, defineFold, textFeature, type EventCode, type FoldEvent } from './defineFold.js';
import { orderItems, toText } from './read.js';

const top = (rank: string) =>
  textFeature(
    `${rank} category by product and category views plus purchased order lines; ties go to the alphabetically first; null when there is none`,
    'category',
  );

/** The categories a customer cares about most: views and purchases count one each. */
export const categoriesFold = defineFold({
  name: 'categories',
  description: 'favourite categories',
  features: {
    topCategory1: top('most frequent'),
    topCategory2: top('second most frequent'),
    topCategory3: top('third most frequent'),
  },
  create: () => new CategoriesState(),
});

class CategoriesState {
  private counts: Map<string, number> | undefined;

  add(e: FoldEvent, _t: number, code: EventCode): void {
    if (code === E.product_viewed || code === E.category_viewed) {
      const category = e.props ? toText(e.props.category) : null;
      if (category !== null) this.count(category);
    } else if (code === E.order_completed) {
      for (const item of orderItems(e.props)) {
        const category = toText(item?.category);
        if (category !== null) this.count(category);
      }
    }
  }

  private count(category: string): void {
    const counts = (this.counts ??= new Map());
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }

  finish() {
    let a: string | null = null,
      b: string | null = null,
      c: string | null = null;
    let ca = 0,
      cb = 0,
      cc = 0;
    if (this.counts) {
      for (const [category, count] of this.counts) {
        if (before(count, category, ca, a)) {
          [c, cc, b, cb] = [b, cb, a, ca];
          a = category;
          ca = count;
        } else if (before(count, category, cb, b)) {
          [c, cc] = [b, cb];
          b = category;
          cb = count;
        } else if (before(count, category, cc, c)) {
          c = category;
          cc = count;
        }
      }
    }
    return { topCategory1: a, topCategory2: b, topCategory3: c };
  }
}

/** Whether (count, name) ranks above the current holder of a place (more views first, then by name). */
function before(count: number, name: string, holderCount: number, holder: string | null): boolean {
  return holder === null || count > holderCount || (count === holderCount && name < holder);
}
