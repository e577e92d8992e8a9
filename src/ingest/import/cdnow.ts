import type { Converter } from './formats.js';

/**
 * The CDNOW log (`customer_id,date,number_of_cds,dollar_value`, or the sample's
 * `customer_id_master,customer_id_sample,…`): each row is an order. Several rows of one customer
 * on one day stay separate orders, as in the source; the eventId numbers them so a re-import
 * matches row for row.
 */
export const cdnowEvents: Converter<Record<string, string>> = async function* (records) {
  const perDay = new Map<string, number>();
  for await (const { line, value: r } of records) {
    const customerId = r.customer_id ?? r.customer_id_master;
    const quantity = Number(r.number_of_cds);
    const value = Number(r.dollar_value);
    const date = r.date ?? '';
    const problem = !customerId
      ? 'customer_id is missing'
      : !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))
        ? `date must be YYYY-MM-DD, got "${date}"`
        : !Number.isInteger(quantity) || quantity < 0
          ? `number_of_cds must be an integer ≥ 0, got "${r.number_of_cds}"`
          : !Number.isFinite(value) || value < 0
            ? `dollar_value must be a number ≥ 0, got "${r.dollar_value}"`
            : undefined;
    if (problem) {
      yield { kind: 'reject', line, reason: problem };
      continue;
    }
    const key = `${customerId}-${date}`;
    const n = (perDay.get(key) ?? 0) + 1;
    perDay.set(key, n);
    const orderId = `cdnow-${key}-${n}`;
    const items =
      quantity > 0
        ? [{ productId: 'cd', category: 'music', price: Math.round((value / quantity) * 100) / 100, quantity }]
        : [];
    yield {
      kind: 'event',
      line,
      event: {
        eventId: orderId,
        type: 'order_completed',
        customerId,
        timestamp: `${date}T00:00:00Z`,
        channel: 'web',
        properties: { orderId, revenue: value, currency: 'USD', items },
      },
    };
  }
};
