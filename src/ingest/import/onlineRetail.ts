import type { Converted, Converter } from './formats.js';

interface Row {
  line: number;
  productId: string;
  name: string;
  quantity: number;
  price: number;
  at: Date;
}

interface Invoice {
  id: string;
  customerId: string;
  country: string;
  rows: Row[];
  /** Part number when an invoice reappears after it was flushed (rare; keeps eventIds unique). */
  part: number;
}

/** Invoices still open; rows of one invoice are nearly always adjacent, this absorbs the rest. */
const WINDOW = 1000;

/** UCI dates come as `2010-12-01 08:26:00` or `12/1/2010 8:26`; both are UK local time, read as UTC. */
export function parseRetailDate(raw: string): Date | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(raw);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(raw);
  if (m) return new Date(Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!));
  return undefined;
}

function toItems(rows: Row[]) {
  return rows.map((r) => ({ productId: r.productId, name: r.name, price: r.price, quantity: Math.abs(r.quantity) }));
}

function* invoiceEvents(inv: Invoice): Generator<Converted> {
  const suffix = inv.part ? `-part${inv.part}` : '';
  const line = inv.rows[0]!.line;
  const at = inv.rows[0]!.at.toISOString();
  const credit = inv.id.toUpperCase().startsWith('C');
  const sales = credit ? [] : inv.rows.filter((r) => r.quantity > 0);
  const returns = credit ? inv.rows : inv.rows.filter((r) => r.quantity < 0);
  const base = { customerId: inv.customerId, timestamp: at, channel: 'web' };
  if (sales.length) {
    const revenue = round(sales.reduce((s, r) => s + r.quantity * r.price, 0));
    yield {
      kind: 'event',
      line,
      event: {
        ...base,
        eventId: `or-${inv.id}${suffix}`,
        type: 'order_completed',
        properties: { orderId: inv.id, revenue, subtotal: revenue, currency: 'GBP', items: toItems(sales) },
      },
    };
  }
  if (returns.length) {
    const amount = round(returns.reduce((s, r) => s + Math.abs(r.quantity) * r.price, 0));
    yield {
      kind: 'event',
      line,
      event: {
        ...base,
        eventId: `or-${inv.id}${suffix}${credit ? '' : '-returns'}`,
        type: 'order_refunded',
        properties: { orderId: inv.id, amount, items: toItems(returns) },
      },
    };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * UCI Online Retail (`InvoiceNo,…,UnitPrice,CustomerID,Country`) and Online Retail II
 * (`Invoice,…,Price,Customer ID,Country`): invoices become orders with line items, `C` invoices
 * and negative quantities become refunds, each customer's first invoice also yields an
 * identify with the country. Rows without a customer id are skipped and counted.
 */
export const onlineRetailEvents: Converter<Record<string, string>> = async function* (records) {
  const open = new Map<string, Invoice>();
  const flushed = new Map<string, number>();
  const identified = new Set<string>();

  function* flushOldest(): Generator<Converted> {
    const [id, inv] = open.entries().next().value as [string, Invoice];
    open.delete(id);
    flushed.set(id, inv.part);
    yield* invoiceEvents(inv);
  }

  for await (const { line, value: r } of records) {
    const invoiceId = r.InvoiceNo ?? r.Invoice;
    const rawCustomer = r.CustomerID ?? r['Customer ID'];
    const rawPrice = r.UnitPrice ?? r.Price;
    if (invoiceId === undefined || rawPrice === undefined || rawCustomer === undefined) {
      yield {
        kind: 'reject',
        line,
        reason:
          'not an Online Retail row: expected InvoiceNo|Invoice, UnitPrice|Price and CustomerID|Customer ID columns',
      };
      continue;
    }
    if (!rawCustomer) {
      yield { kind: 'skip', line, reason: 'no customer id' };
      continue;
    }
    const quantity = Number(r.Quantity);
    const price = Number(rawPrice);
    const at = parseRetailDate(r.InvoiceDate ?? '');
    const problem = !invoiceId
      ? 'empty invoice number'
      : !r.StockCode
        ? 'empty StockCode'
        : !Number.isInteger(quantity) || quantity === 0
          ? `Quantity must be a non-zero integer, got "${r.Quantity}"`
          : !Number.isFinite(price) || price < 0
            ? `price must be a number ≥ 0, got "${rawPrice}"`
            : !at
              ? `InvoiceDate not understood: "${r.InvoiceDate}"`
              : undefined;
    if (problem) {
      yield { kind: 'reject', line, reason: problem };
      continue;
    }
    const customerId = rawCustomer.replace(/\.0+$/, '');
    if (!identified.has(customerId)) {
      identified.add(customerId);
      yield {
        kind: 'event',
        line,
        event: {
          eventId: `or-identify-${customerId}`,
          type: 'identify',
          customerId,
          timestamp: at!.toISOString(),
          properties: { traits: { country: r.Country } },
        },
      };
    }
    let inv = open.get(invoiceId);
    if (!inv) {
      const earlierPart = flushed.get(invoiceId);
      inv = {
        id: invoiceId,
        customerId,
        country: r.Country ?? '',
        rows: [],
        part: earlierPart === undefined ? 0 : earlierPart + 1,
      };
      open.set(invoiceId, inv);
      if (open.size > WINDOW) yield* flushOldest();
    }
    inv.rows.push({ line, productId: r.StockCode!, name: r.Description ?? '', quantity, price, at: at! });
  }
  while (open.size) yield* flushOldest();
};
