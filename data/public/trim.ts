// `npx tsx data/public/trim.ts [--from FILE] [--out FILE] [--one-in N] [--json]`
// Makes the in-repository Online Retail file from the full UCI file: every line of one customer
// in N (chosen by a hash of the customer id, so whole histories stay together), and every line of
// one anonymous invoice in N (by a hash of the invoice number), kept byte for byte in file order.
// The same input gives the same output, byte for byte (gzip level 9, no name, no time stamp).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { parse } from 'csv-parse';

const here = import.meta.dirname;
const usage = `usage: npx tsx data/public/trim.ts [--from FILE] [--out FILE] [--one-in N] [--json]

Trims UCI Online Retail to whole customers (1 in N by sha256 of CustomerID; rows without one
by sha256 of InvoiceNo), keeping each kept line's bytes and order.

  --from FILE    the full file (default ../shared/data/online_retail.csv.gz beside the repository)
  --out FILE     where to write (default data/public/online_retail.csv.gz)
  --one-in N     keep 1 customer in N (default 10)
  --json         {"rows","customers","bytes","sha256"} on stdout`;

/** Whether a key is among the kept 1 in n: the first four bytes of its sha256, modulo n. */
export function kept(key: string, oneIn: number): boolean {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % oneIn === 0;
}

async function trim(from: string, oneIn: number): Promise<{ csv: string; rows: number; customers: number }> {
  const lines: string[] = [];
  const customers = new Set<string>();
  // `raw` hands back each record's exact text (quotes and line end included).
  const parser = fs
    .createReadStream(from)
    .pipe(zlib.createGunzip())
    .pipe(parse({ columns: true, raw: true }));
  let header: string | undefined;
  for await (const { record, raw } of parser as AsyncIterable<{ record: Record<string, string>; raw: string }>) {
    header ??= Object.keys(record).join(',');
    const customer = record.CustomerID ?? '';
    const keep = customer ? kept(customer, oneIn) : kept(`invoice:${record.InvoiceNo}`, oneIn);
    if (!keep) continue;
    if (customer) customers.add(customer);
    lines.push(raw.endsWith('\n') ? raw : `${raw}\n`);
  }
  if (!header) throw new Error(`${from}: empty file`);
  return { csv: `${header}\n${lines.join('')}`, rows: lines.length, customers: customers.size };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      out: { type: 'string' },
      'one-in': { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`${usage}\n`);
  const from = values.from ?? path.resolve(here, '../../../shared/data/online_retail.csv.gz');
  const out = values.out ?? path.join(here, 'online_retail.csv.gz');
  const oneIn = Number(values['one-in']);
  if (!Number.isInteger(oneIn) || oneIn < 1)
    throw new Error(`--one-in must be a positive integer, got "${values['one-in']}"`);
  if (!fs.existsSync(from)) throw new Error(`${from} not found (pass --from with the full UCI Online Retail file)`);
  const { csv, rows, customers } = await trim(from, oneIn);
  const gz = zlib.gzipSync(csv, { level: 9 });
  fs.writeFileSync(out, gz);
  const report = { rows, customers, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') };
  process.stdout.write(
    values.json
      ? `${JSON.stringify(report)}\n`
      : `${out}: ${rows} rows, ${customers} customers, ${gz.length} bytes, sha256 ${report.sha256}\n`,
  );
}

// Run as a script only: the tests import `kept` to check the file against the rule.
if (process.argv[1] && fs.realpathSync(process.argv[1]) === import.meta.filename) {
  main().catch((err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  });
}
