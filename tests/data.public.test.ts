import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kept } from '../data/public/trim.js';
import { openSource } from '../src/ingest/import/openSource.js';
import { csvRecords } from '../src/ingest/import/records.js';
import { ONLINE_RETAIL_FILE, onlineRetailTable } from '../src/ml/datasets/onlineRetail.js';
import { publicDataFile } from '../src/ml/datasets/publicData.js';

const dir = path.dirname(publicDataFile('README.md'));
/** `file | rows | bytes | source | licence | how trimmed | sha256` rows of data/public/README.md. */
const listed = [
  ...fs
    .readFileSync(path.join(dir, 'README.md'), 'utf8')
    .matchAll(/^\| `([^`]+\.csv\.gz)` \|.*\| `([0-9a-f]{64})` \|$/gm),
].map((m) => ({ file: m[1]!, sha256: m[2]! }));

describe('data/public', () => {
  it('holds exactly the data files its README lists, each with the listed checksum', () => {
    expect(listed.map((l) => l.file).sort()).toEqual(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.gz'))
        .sort(),
    );
    for (const { file, sha256 } of listed)
      expect(
        createHash('sha256')
          .update(fs.readFileSync(path.join(dir, file)))
          .digest('hex'),
        file,
      ).toBe(sha256);
  });

  it('trims Online Retail to the customers and anonymous invoices the hash rule keeps, over the whole year', async () => {
    const customers = new Set<string>();
    const invoices = new Set<string>();
    let [first, last] = ['9999', '0000'];
    for await (const { value: r } of csvRecords(openSource(ONLINE_RETAIL_FILE).stream)) {
      if (r.CustomerID) customers.add(r.CustomerID);
      else invoices.add(r.InvoiceNo!);
      [first, last] = [r.InvoiceDate! < first ? r.InvoiceDate! : first, r.InvoiceDate! > last ? r.InvoiceDate! : last];
    }
    expect(customers.size).toBe(440);
    expect([...customers].every((c) => kept(c, 10))).toBe(true);
    expect(invoices.size).toBeGreaterThan(0);
    expect([...invoices].every((i) => kept(`invoice:${i}`, 10))).toBe(true);
    // The rule is not vacuous: of ten ids it keeps about one.
    const ofThousand = Array.from({ length: 1000 }, (_, i) => kept(String(12_000 + i), 10)).filter(Boolean).length;
    expect(ofThousand).toBeGreaterThan(50);
    expect(ofThousand).toBeLessThan(150);
    expect([first.slice(0, 10), last.slice(0, 10)]).toEqual(['2010-12-01', '2011-12-09']);
  });

  it('gives a churn table with buyers on both sides of the 90-day cut', async () => {
    const table = await onlineRetailTable();
    const { set } = table;
    expect(set.asOf.toISOString()).toBe('2011-09-11T00:00:00.000Z');
    expect(set.rows).toBeGreaterThan(300);
    expect(set.rows).toBeLessThanOrEqual(440);
    const churned = Array.from(set.churned).filter((c) => c === 1).length;
    expect(churned).toBeGreaterThan(0.2 * set.rows);
    expect(churned).toBeLessThan(0.8 * set.rows);
    expect(Array.from(set.churned).every((c, i) => c === (table.holdoutPurchases[i] === 0 ? 1 : 0))).toBe(true);
  });
});
