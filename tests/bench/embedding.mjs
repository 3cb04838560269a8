// Measures the embedding package (dist/npm) in Chromium, served from loopback without caching:
//
// - import to the first tax result: `import('@satchel/engine')`, `init()` (fetch, compile and
//   instantiate the module), `new TaxEngine('ca')` and one `compute` of a one-line document, in a
//   fresh page each run (nothing cached), at 1x and 4x CPU throttling (a cheap phone / an old
//   office PC); issue 19's figure;
// - quoteOrder with realistic reference data an ERP would pass: 10,000 products, a price list for
//   them, and a 40-line order, warm, per call;
// - the module's size on the wire (from dist/npm/sizes.json), against the 150 KB brotli target.
//
// Usage: node tests/bench/embedding.mjs  (./build.sh bench runs it after ./build.sh package).
// Prints BENCH lines.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';
import { PACKAGE_DIR, startStatic } from '../e2e/support/static.mjs';

const RUNS = 7;
const PKG = '/node_modules/@satchel/engine/index.js';

const sizes = JSON.parse(readFileSync(join(PACKAGE_DIR, 'sizes.json'), 'utf8'));
const kb = (n) => (n / 1024).toFixed(1);
const w = sizes.engine.wasm;
console.log(
  `BENCH engine module size: ${kb(w.raw)} KB raw, ${kb(w.gzip)} KB gzip, ${kb(w.brotli)} KB brotli (+ ${kb(sizes.engine.js.brotli)} KB brotli of glue)` +
    ` (target at most 150 KB brotli: ${w.brotli <= 150 * 1024 ? 'met' : 'NOT met'})`,
);

const site = await startStatic();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  for (const rate of [1, 4]) {
    const times = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext({ serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(`${site.url}/plain/empty.html`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      const ms = await page.evaluate(async (pkg) => {
        const start = performance.now();
        const m = await import(pkg);
        await m.default();
        const engine = new m.TaxEngine('ca');
        const r = engine.compute({ business_date: '2026-03-02', place_of_supply: 'CA-ON', lines: [{ id: '1', quantity: '2', unit_price: '10.00' }] });
        if (r.total !== '22.60') throw new Error(`unexpected total ${r.total}`);
        return performance.now() - start;
      }, PKG);
      if (i > 0) times.push(ms); // the first warms the static server and the disk cache
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(
      `BENCH import to first tax result, CPU ${rate}x: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${RUNS} cold page loads`,
    );
  }

  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(`${site.url}/plain/empty.html`);
  const r = await page.evaluate(async (pkg) => {
    const m = await import(pkg);
    await m.default();
    const products = [];
    const prices = {};
    for (let i = 0; i < 10_000; i++) {
      const sku = `SKU-${String(i).padStart(5, '0')}`;
      products.push({ sku, name: `Product ${i}`, unit: 'pcs', quantity_places: 0 });
      prices[sku] = `${1 + (i % 97)}.${String(i % 100).padStart(2, '0')}`;
    }
    const request = {
      settings: { rule_set: 'ca', currency: 'CAD' },
      products,
      price_lists: [{ id: 'PL', outlet_group: 'G', valid_from: '2026-01-01', prices }],
      outlet: { id: 'O1', group: 'G', place_of_supply: 'CA-ON', credit: { limit: '100000.00', outstanding: '0.00', as_of: '2026-03-02T08:00:00Z' } },
      order: { outlet_id: 'O1', business_date: '2026-03-02', lines: Array.from({ length: 40 }, (_, i) => ({ sku: products[i * 250].sku, quantity: String(1 + (i % 5)) })) },
      context: { role: 'rep', now: '2026-03-02T10:00:00Z' },
    };
    const small = { ...request, products: request.order.lines.map((l) => products.find((p) => p.sku === l.sku)) };
    const time = (req, n) => {
      m.quoteOrder(req);
      const start = performance.now();
      for (let i = 0; i < n; i++) m.quoteOrder(req);
      return (performance.now() - start) / n;
    };
    return { full: time(request, 10), small: time(small, 200), total: m.quoteOrder(request).total };
  }, PKG);
  console.log(
    `BENCH quoteOrder, 40 lines, warm, CPU 1x: ${r.full.toFixed(1)} ms per call passing 10,000 products; ${r.small.toFixed(2)} ms passing only the 40 ordered (total ${r.total})`,
  );
  await context.close();
} finally {
  await browser.close();
  await site.stop();
}
