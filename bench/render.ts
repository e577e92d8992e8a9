// `npm run bench -- render [--recipients 20000] [--baseline-recipients 150] [--json]`
// Personalised emails rendered per second on one core: templates compiled once (MJML at start-up,
// then a fill per recipient) vs running MJML for every recipient (the same view filled into the
// MJML source, then mjml2html). Same recipients, same tracking tokens, same process. Rates are per
// CPU-second of this process (process.cpuUsage), so a busy shared machine does not skew them; the
// wall-clock rates are in `wall`.
import { parseArgs } from 'node:util';
import mjml2html from 'mjml';
import { compileTemplate } from '../src/campaigns/content/compileTemplate.js';
import { createRenderer, finish, prepareView } from '../src/campaigns/content/renderer.js';
import { mjmlToText, templateSource } from '../src/campaigns/content/templateSource.js';
import type { MessageData, ProductCard, RendererOptions, StepTemplateKey } from '../src/campaigns/content/types.js';
import { benchEnv, type Bench, type BenchResult } from './_harness.js';

/** Runs `work` and returns per-CPU-second and per-wall-second rates for `count` items. */
async function rate(count: number, work: () => Promise<void> | void): Promise<{ cpu: number; wall: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: count / ((performance.now() - wall0) / 1000) };
}

const steps: StepTemplateKey[] = ['cart_1h', 'post_purchase_cross_sell', 'winback_incentive'];
const categories = ['coffee', 'tea', 'kitchen', 'home', 'apparel'];

/** Varied recipients: names needing escaping, 1–4 cart lines, 4-product recommendation lists. */
function recipients(n: number): MessageData[] {
  const card = (i: number): ProductCard => ({
    productId: `p${i}`,
    name: `Product ${i} & "Co" <${i % 7}>`,
    category: categories[i % 5]!,
    price: 5 + (i % 90),
    currency: 'USD',
    url: `https://shop.example.com/products/p${i}`,
    imageUrl: `https://img.example.com/p${i}.jpg`,
    soldCount: i % 40,
  });
  const list = (seed: number) => [0, 1, 2, 3].map((k) => card((seed * 7 + k * 13) % 400));
  return Array.from({ length: n }, (_, i) => ({
    messageId: (0x6661f0c2a1b2c3d4e5f60000n + BigInt(i)).toString(16),
    customerId: `customer-${i}`,
    to: `c${i}@example.com`,
    firstName: i % 5 ? `Ana ${i}` : '<Zoë>',
    engagement: i % 3 === 0 ? 'low' : 'high',
    favouriteCategory: categories[i % 5]!,
    viewedProducts: list(i).slice(0, 2),
    cart: {
      cartId: `k${i}`,
      items: list(i + 1)
        .slice(0, 1 + (i % 4))
        .map((p) => ({ ...p, quantity: 1 + (i % 3) })),
      total: 42,
      currency: 'USD',
      url: `https://shop.example.com/cart/k${i}`,
    },
    recommendations: {
      recentlyViewed: list(i + 2),
      boughtTogether: list(i + 3),
      replenishment: list(i + 4).slice(0, 1),
      bestSellers: list(i + 5),
      newArrivals: list(i + 6),
    },
    incentive: { type: 'discount', percent: 15, code: `BACK${i}` },
    reviews: [{ productName: 'Product 1', rating: 4.6, quote: 'Lovely & quick', author: 'Bo' }],
  }));
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { recipients: { type: 'string' }, 'baseline-recipients': { type: 'string' } },
  });
  const n = Number(values.recipients ?? 20_000);
  const nBaseline = Number(values['baseline-recipients'] ?? 150);
  const opts: RendererOptions = {
    publicUrl: 'https://links.shop.example.com',
    shopUrl: 'https://shop.example.com',
    secret: Buffer.alloc(32, 5),
    mailDomain: 'shop.example.com',
    steps,
  };
  const t0 = performance.now();
  const renderer = await createRenderer(opts);
  const compileMs = performance.now() - t0;
  const people = recipients(n);
  const results: BenchResult[] = [];
  let bytes = 0;
  const wall: Record<string, { ours: number; baseline: number }> = {};
  for (const step of steps) {
    // Warm up both paths (JIT, MJML's lazy component registry) before timing.
    for (const d of people.slice(0, 200)) bytes += renderer.render(step, {}, d).html.length;
    process.stderr.write(`${step}: ${n} renders compiled once…\n`);
    const ours = await rate(n, () => {
      for (const d of people) bytes += renderer.render(step, {}, d).html.length;
    });

    const sources = { full: templateSource(step, 'full'), short: templateSource(step, 'short') };
    const fills = {
      full: { mjml: compileTemplate(sources.full, 'html'), text: compileTemplate(mjmlToText(sources.full), 'text') },
      short: { mjml: compileTemplate(sources.short, 'html'), text: compileTemplate(mjmlToText(sources.short), 'text') },
    };
    const perRecipient = async (d: MessageData) => {
      const prepared = prepareView(opts, step, {}, d);
      const fill = fills[prepared.length];
      const { html } = await mjml2html(fill.mjml(prepared.view, prepared.ctx), { validationLevel: 'skip' });
      return finish(prepared, html, fill.text(prepared.view, prepared.ctx), opts.mailDomain);
    };
    for (const d of people.slice(0, 10)) bytes += (await perRecipient(d)).html.length;
    process.stderr.write(`${step}: ${nBaseline} renders with mjml2html per recipient…\n`);
    const baseline = await rate(nBaseline, async () => {
      for (const d of people.slice(0, nBaseline)) bytes += (await perRecipient(d)).html.length;
    });
    results.push({
      case: `render ${step}`,
      ours: ours.cpu,
      baseline: baseline.cpu,
      unit: 'emails/CPU-s',
      ratio: ours.cpu / baseline.cpu,
    });
    wall[step] = { ours: Math.round(ours.wall), baseline: Math.round(baseline.wall) };
  }
  return {
    bench: 'render',
    results,
    wall,
    env: benchEnv({
      backend: 'mjml 5 + compiled fill',
      'dataset size': `${n} recipients (baseline ${nBaseline})`,
      'compile all variants ms': Math.round(compileMs),
      'mean html bytes': Math.round(bytes / (steps.length * (n + nBaseline + 210))),
    }),
  };
};

export default bench;
