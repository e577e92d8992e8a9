import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { importFile, type ImportFormat } from '../src/ingest/import/importFile.js';
import { CDNOW_SAMPLE_FILE } from '../src/ml/datasets/cdnow.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-import-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, name.endsWith('.gz') ? gzipSync(text) : text);
  return file;
};
const run = async (file: string, format: ImportFormat) => {
  const result = await importFile(database(), file, { format, rejectsFile: `${file}.rejects.ndjson` });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};
const rejects = (file: string) =>
  fs
    .readFileSync(`${file}.rejects.ndjson`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; reason: string });

const retailRows = [
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom',
  '536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom',
  '536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,13047,United Kingdom',
  '536367,22960,JAM MAKING SET,x,2010-12-01 08:34:00,4.25,13047,United Kingdom',
  "536368,22745,POPPY'S PLAYHOUSE BEDROOM,6,2010-12-01 08:34:00,2.10,,United Kingdom",
  'C536379,D,"Discount, seasonal",-1,2010-12-01 09:41:00,27.50,14527,United Kingdom',
];

describe('importFile', () => {
  it.each([
    ['online-retail.csv', 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'],
    ['online-retail-ii.csv.gz', 'Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country'],
  ])(
    'reads UCI Online Retail layouts (%s): orders, refunds, skips and rejects with exact counts',
    async (name, header) => {
      // The second layout gets other invoice and customer numbers, so both land in one database.
      const ii = name.includes('-ii');
      const file = write(
        name,
        [
          header,
          ...retailRows.map((r) =>
            ii ? r.replace(/^(C?)5363/, '$14893').replace(/,(\d{5}),United/, ',2$1,United') : r,
          ),
        ].join('\n'),
      );
      const customer = (id: string) => (ii ? `2${id}` : id);
      const summary = await run(file, 'online-retail');
      // 6 rows: 1 without customer (skipped), 1 bad quantity (rejected); events: 3 identifies, 2 orders, 1 refund
      expect(summary).toEqual({ read: 6, stored: 6, duplicates: 0, rejected: 1, skipped: 1 });
      expect(rejects(file)).toEqual([{ line: 5, reason: 'Quantity must be a non-zero integer, got "x"' }]);
      const prefix = ii ? '4893' : '5363';
      const order = await database()
        .models.Event.findOne({ eventId: `or-${prefix}65` })
        .lean();
      expect(order).toMatchObject({
        type: 'order_completed',
        customerId: customer('17850'),
        props: {
          revenue: 35.64,
          items: [
            { productId: '85123A', quantity: 6 },
            { productId: '71053', quantity: 6 },
          ],
        },
      });
      expect(
        await database()
          .models.Event.findOne({ eventId: `or-C${prefix}79` })
          .lean(),
      ).toMatchObject({ type: 'order_refunded', customerId: customer('14527'), props: { amount: 27.5 } });
      expect(await run(file, 'online-retail')).toEqual({ read: 6, stored: 0, duplicates: 6, rejected: 1, skipped: 1 });
    },
  );

  it('reads a CSV of events, with JSON and dotted property columns', async () => {
    const file = write(
      'events.csv',
      [
        'eventId,type,customerId,timestamp,properties,properties.productId,properties.price',
        'csv-1,product_viewed,csv-c,2026-01-01T10:00:00Z,,123,12.5',
        'csv-2,order_completed,csv-c,2026-01-02T10:00:00Z,"{""orderId"":""o1"",""revenue"":30}",,',
        'csv-3,product_viewed,csv-c,yesterday,,124,1',
      ].join('\n'),
    );
    expect(await run(file, 'csv')).toEqual({ read: 3, stored: 2, duplicates: 0, rejected: 1, skipped: 0 });
    expect(rejects(file)[0]).toMatchObject({ line: 4, reason: expect.stringContaining('timestamp') });
    expect(await database().models.Event.findOne({ eventId: 'csv-1' }).lean()).toMatchObject({
      props: { productId: '123', price: 12.5 },
    });
  });

  it('reads NDJSON and reports bad lines with their line number', async () => {
    const file = write(
      'events.ndjson',
      [
        '{"eventId":"nd-1","type":"app_opened","customerId":"nd-c"}',
        '{not json',
        '',
        '{"eventId":"nd-2","type":"app_opened"}',
      ].join('\n'),
    );
    expect(await run(file, 'ndjson')).toEqual({ read: 3, stored: 1, duplicates: 0, rejected: 2, skipped: 0 });
    expect(rejects(file).map((r) => r.line)).toEqual([2, 4]);
  });

  it('reads the CDNOW sample log row for row, and a re-run stores nothing twice', async () => {
    // A copy in the test's folder: a rejects file would otherwise land beside the repository's data.
    const file = path.join(dir, 'cdnow_sample.csv.gz');
    fs.copyFileSync(CDNOW_SAMPLE_FILE, file);
    expect(await run(file, 'cdnow')).toEqual({ read: 6919, stored: 6919, duplicates: 0, rejected: 0, skipped: 0 });
    expect(await run(file, 'cdnow')).toEqual({ read: 6919, stored: 0, duplicates: 6919, rejected: 0, skipped: 0 });
    const customers = await database().models.Event.distinct('customerId', { source: 'import', eventId: /^cdnow-/ });
    expect(customers).toHaveLength(2357);
  });
});

describe('breadcrumb import (CLI)', () => {
  it('prints exactly {read, stored, duplicates, rejected, skipped} with --json and exits 0', async () => {
    const file = write('cli.ndjson', '{"eventId":"cli-1","type":"app_opened","customerId":"cli-c"}\n');
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${database().db.databaseName}`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(import.meta.dirname, '../bin/breadcrumb.js'), 'import', '--format', 'ndjson', file, '--json'],
      {
        env: { ...process.env, MONGODB_URI: uri.toString() },
        cwd: dir,
      },
    );
    expect(JSON.parse(stdout)).toEqual({ read: 1, stored: 1, duplicates: 0, rejected: 0, skipped: 0 });
  });

  it('exits non-zero with one clear line for an unknown format', async () => {
    const error = await promisify(execFile)(
      process.execPath,
      [path.join(import.meta.dirname, '../bin/breadcrumb.js'), 'import', '--format', 'xml', 'x'],
      { cwd: dir },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({
      code: 1,
      stderr: 'error: --format must be one of ndjson, csv, online-retail, cdnow, got "xml"\n',
    });
  });
});
