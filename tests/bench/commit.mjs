// Commit benchmark, side by side in one Chromium run on an on-disk profile (issue 11):
//
//   module    Workspace.commitOrder: the real path a rep's tap takes (quote with prices, the tax
//             engine and validation against the van and the outlet's recent orders; a document
//             number; the order sealed under the data key and the outbox entry sealed to the
//             server; one strict IndexedDB transaction), signed in to the real server with its
//             demo data (a van of 500 of every product).
//   baseline  tests/bench/baseline/commit.js: what a team would write by hand instead — Dexie,
//             WebCrypto AES-GCM, an outbox record, Number arithmetic, a flat tax, no validation.
//
// The same 10-line orders over 50 outlets and 100 products, 1,000 commits each, in alternating
// blocks of 100 (so drift in the machine's load hits both sides alike). Also the module's quote
// of the next order, in the first and the last block: it must stay flat as the day's orders
// accumulate. Target: the module's p95 at most 0.8 × the baseline's.
//
// Usage: node tests/bench/commit.mjs (./build.sh bench runs it; needs the server binary in
// SATCHEL_SERVER_BIN and the built module in www/pkg). Env: SATCHEL_BENCH_COMMITS (default 1000).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';
import { startServer } from '../e2e/support/server.mjs';

const RUNS = Number(process.env.SATCHEL_BENCH_COMMITS ?? 1000);
const BLOCK = Math.min(100, Math.max(1, Math.floor(RUNS / 4)));
const FILES = {
  'satchel.js': resolve('www/pkg/satchel.js'),
  'satchel_bg.wasm': resolve('www/pkg/satchel_bg.wasm'),
  'dexie.mjs': resolve('node_modules/dexie/dist/dexie.mjs'),
  'baseline.js': resolve('tests/bench/baseline/commit.js'),
};

const server = await startServer({
  timeoutMs: 120_000,
  env: { SATCHEL_NUMBER_LEASE_SIZE: String(RUNS + 1000), RUST_LOG: process.env.RUST_LOG ?? 'warn' },
});
// An on-disk profile: IndexedDB writes really reach the disk (a strict transaction waits for it).
const profile = mkdtempSync(join(tmpdir(), 'satchel-commit-bench-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  await context.route(`${server.url}/__bench/**`, (route) => {
    const name = new URL(route.request().url()).pathname.replace('/__bench/', '');
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>commit bench</title>' });
    const file = FILES[name];
    if (!file) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', body: readFileSync(file) });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}/__bench/index.html`);
  const result = await page.evaluate(
    async ({ runs, block }) => {
      const m = await import('/__bench/satchel.js');
      await m.default({ module_or_path: '/__bench/satchel_bg.wasm' });
      const ws = await m.Workspace.open({ db_name: `bench-commit-${Date.now()}` });
      await ws.signIn('rep1', 'rep1-demo', '246810');
      const { openBaseline } = await import('/__bench/baseline.js');
      const baseline = await openBaseline(`baseline-${Date.now()}`);

      const outlets = ws.outlets().slice(0, 50).map((o) => o.id);
      // Products sold by the unit, with no minimum or pack rule, 500 in the van.
      const hits = ws.searchProducts('SKU-00', 400, outlets[0]);
      const products = hits.filter((p) => p.stock === '500' && !p.pack_size && !p.min_order_quantity && p.unit_price && p.quantity_places === 0).slice(0, 100);
      if (products.length < 20 || outlets.length < 10) throw new Error(`not enough data: ${products.length} products, ${outlets.length} outlets`);
      // The baseline computes with Numbers, as a hand-written page would (the module never does).
      const prices = new Map(products.map((p) => [p.sku, Number(p.unit_price)]));
      const d = new Date();
      const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      const order = (r) => ({
        outlet_id: outlets[r % outlets.length],
        business_date: date,
        lines: Array.from({ length: 10 }, (_, k) => ({ sku: products[(r + k * 3) % products.length].sku, quantity: String(1 + (k % 4)) })),
      });

      const times = { module: [], baseline: [] };
      const quotes = [];
      let flagged = 0;
      const next = { module: 0, baseline: 0 };
      for (let b = 0; b < runs / block; b++) {
        for (const side of b % 2 === 0 ? ['module', 'baseline'] : ['baseline', 'module']) {
          for (let i = 0; i < block; i++) {
            const r = next[side]++;
            const o = order(r);
            if (side === 'module') {
              const q = performance.now();
              ws.quote(o);
              quotes.push(performance.now() - q);
              const t = performance.now();
              const c = await ws.commitOrder(o, undefined, undefined);
              times.module.push(performance.now() - t);
              if (c.flagged) flagged++;
            } else {
              const t = performance.now();
              await baseline(o, prices);
              times.baseline.push(performance.now() - t);
            }
          }
        }
      }
      const pending = await ws.pendingCount();
      return { times, quotes, flagged, pending, products: products.length, outlets: outlets.length };
    },
    { runs: RUNS, block: BLOCK },
  );
  if (result.pending !== RUNS) throw new Error(`expected ${RUNS} orders waiting, found ${result.pending}`);

  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  };
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const line = (name, xs) => {
    const warm = xs.slice(BLOCK);
    return { name, p50: pct(warm, 0.5), p95: pct(warm, 0.95), perSecond: 1000 / mean(warm) };
  };
  const mod = line('module commitOrder', result.times.module);
  const base = line('baseline (Dexie + WebCrypto)', result.times.baseline);
  for (const s of [mod, base]) {
    console.log(`BENCH commit of a 10-line order, ${s.name}: p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, ${s.perSecond.toFixed(0)} commits/s`);
  }
  const ratio = mod.p95 / base.p95;
  console.log(
    `BENCH module/baseline p95 ${ratio.toFixed(2)} (target <= 0.80: ${ratio <= 0.8 ? 'met' : 'NOT met'}); ${RUNS} each, alternating blocks of ${BLOCK}, ` +
      `${result.outlets} outlets, ${result.products} products, on-disk profile; ${result.flagged} module orders flagged for review`,
  );
  const first = result.quotes.slice(0, BLOCK);
  const last = result.quotes.slice(-BLOCK);
  console.log(
    `BENCH module quote of the next order: first ${BLOCK} p50 ${pct(first, 0.5).toFixed(2)} ms, p95 ${pct(first, 0.95).toFixed(2)} ms; ` +
      `last ${BLOCK} (after ${RUNS - BLOCK} commits) p50 ${pct(last, 0.5).toFixed(2)} ms, p95 ${pct(last, 0.95).toFixed(2)} ms`,
  );
} finally {
  await context.close();
  await server.stop();
  rmSync(profile, { recursive: true, force: true });
}
