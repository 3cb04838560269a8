// Sync benchmarks in the real browser against the real server (SQLite) on loopback, through the
// module's own JavaScript API (loaded on the server's origin, without the PWA's screens):
//
// 1. Initial pull: a fresh device signs in to a deployment of 10,000 products and 2,000 outlets
//    on the rep's routes; from "signIn" called to the workspace holding every record (each page
//    decrypted-free but sealed into IndexedDB with its checkpoint). Target: at most 3 s.
// 2. Drain: 10,000 orders committed offline (each in its own durable transaction), then the
//    network comes back; from "online" to the outbox empty and every answer recorded. Target: at
//    least 5,000 mutations/s end to end.
//
// Usage: node tests/bench/sync.mjs  (./build.sh bench runs it; needs the server binary and the
// built module in www/pkg). Env: SATCHEL_BENCH_ORDERS (default 10000) to drain fewer;
// SATCHEL_BENCH_PKG=<dir> to load another build of the module (an earlier commit's, for a before/after).

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';
import { startServer } from '../e2e/support/server.mjs';

const PRODUCTS = 10_000;
const OUTLETS = 2_000;
const ORDERS = Number(process.env.SATCHEL_BENCH_ORDERS ?? 10_000);
// SATCHEL_BENCH_PKG: another build of the module (wasm-bindgen's output) to measure side by side.
const PKG = resolve(process.env.SATCHEL_BENCH_PKG ?? 'www/pkg');

const server = await startServer({
  timeoutMs: 120_000,
  env: {
    SATCHEL_DEMO_PRODUCTS: String(PRODUCTS),
    SATCHEL_DEMO_OUTLETS: String(OUTLETS),
    SATCHEL_NUMBER_LEASE_SIZE: String(Math.max(1000, ORDERS + 100)),
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  },
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const context = await browser.newContext();
  // The module, served on the server's origin so its API calls are same-origin.
  await context.route(`${server.url}/__bench/**`, (route) => {
    const name = new URL(route.request().url()).pathname.replace('/__bench/', '');
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' });
    const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    return route.fulfill({ contentType: type, body: readFileSync(resolve(PKG, name)) });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  page.on('crash', () => console.error('the page crashed'));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('ERR_INTERNET_DISCONNECTED')) console.error('console:', m.text());
  });
  await page.goto(`${server.url}/__bench/index.html`);
  await page.evaluate(async () => {
    const m = await import('/__bench/satchel.js');
    await m.default({ module_or_path: '/__bench/satchel_bg.wasm' });
    globalThis.ws = await m.Workspace.open({ db_name: 'bench' });
    globalThis.ws.startSync();
  });

  // 1. Initial pull. Sign-in also registers (the server checks the password with Argon2) and
  // derives the PIN's key (PBKDF2, 600,000 iterations); the pull is timed from its first request.
  let firstPullAt = null;
  page.on('request', (r) => {
    if (firstPullAt === null && r.url().includes('/api/v1/sync/pull')) firstPullAt = Date.now();
  });
  const signInStarted = Date.now();
  const pulled = await page.evaluate(async () => {
    const start = performance.now();
    await globalThis.ws.signIn('rep1', 'rep1-demo', '246810');
    const ms = performance.now() - start;
    const status = await globalThis.ws.status();
    return { ms, outlets: globalThis.ws.outlets().length, hits: globalThis.ws.searchProducts('a', 5).length, status };
  });
  const signedIn = Date.now();
  const pullMs = signedIn - (firstPullAt ?? signInStarted);
  const verdict = pullMs <= 3000 ? 'met' : 'NOT met';
  console.log(`BENCH initial pull, ${PRODUCTS} products + ${OUTLETS} outlets (rep1 sees ${pulled.outlets} outlets and 10,000 van lines): first pull request to every page stored and indexed: ${(pullMs / 1000).toFixed(2)} s (target 3 s: ${verdict}); whole sign-in ${(pulled.ms / 1000).toFixed(2)} s; complete=${pulled.status.reference_complete}`);

  // 2. Drain.
  // Orders spread over 50 outlets and 50 products, as a day's round would be.
  const outletIds = await page.evaluate(() => globalThis.ws.outlets().slice(0, 50).map((o) => o.id));
  const skus = await page.evaluate(() => globalThis.ws.searchProducts('SKU-000', 50).map((p) => p.sku));
  await context.setOffline(true);
  const committed = await page.evaluate(async ({ n, outletIds, skus }) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      // Returns: they put goods back in the van, so ten thousand of them never run out of stock.
      const lines = [0, 1, 2].map((k) => ({ sku: skus[(i * 7 + k * 13) % skus.length], quantity: String(1 + ((i + k) % 3)) }));
      await globalThis.ws.commitOrder({ outlet_id: outletIds[i % outletIds.length], kind: 'return', business_date: new Date().toISOString().slice(0, 10), lines });
    }
    return { ms: performance.now() - start, pending: await globalThis.ws.pendingCount() };
  }, { n: ORDERS, outletIds, skus });
  console.log(`BENCH commit ${ORDERS} orders offline: ${(committed.ms / 1000).toFixed(1)} s (${(ORDERS / (committed.ms / 1000)).toFixed(0)} orders/s), outbox ${committed.pending}`);
  await context.setOffline(false);
  // Each push's request and answer, timed in the page: the gaps between an answer and the next
  // request are the device's own time (settling the answers, reading and sealing the next batch).
  await page.evaluate(() => {
    globalThis.pushTimes = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (...args) => {
      const url = String(args[0]?.url ?? args[0]);
      if (!url.includes('/api/v1/sync/push')) return original(...args);
      const sent = performance.now();
      const response = await original(...args);
      globalThis.pushTimes.push([sent, performance.now()]);
      return response;
    };
  });
  // SATCHEL_BENCH_CPUPROFILE=<file>: the page's CPU profile of the drain, for DevTools (load the
  // module with its names, SATCHEL_BENCH_PKG=<wasm-bindgen output of the unoptimized build>).
  const profiler = process.env.SATCHEL_BENCH_CPUPROFILE ? await context.newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.send('Profiler.start');
  }
  const drained = await page.evaluate(async () => {
    const start = performance.now();
    for (;;) {
      try {
        await globalThis.ws.syncNow();
      } catch (e) {
        // The loop retries on its own; keep asking until the outbox is empty.
        await new Promise((r) => setTimeout(r, 20));
      }
      if ((await globalThis.ws.pendingCount()) === 0) break;
    }
    return { ms: performance.now() - start };
  });
  if (profiler) {
    const { profile } = await profiler.send('Profiler.stop');
    writeFileSync(process.env.SATCHEL_BENCH_CPUPROFILE, JSON.stringify(profile));
  }
  const rate = ORDERS / (drained.ms / 1000);
  const times = await page.evaluate(() => globalThis.pushTimes);
  if (times.length > 1) {
    const inFlight = times.reduce((a, [s, e]) => a + (e - s), 0);
    const between = times.slice(1).reduce((a, [s], i) => a + (s - times[i][1]), 0);
    console.log(`device: ${times.length} pushes; ${(inFlight / times.length).toFixed(0)} ms in flight each (server, loopback, headers), ${(between / (times.length - 1)).toFixed(0)} ms between an answer and the next request`);
  }
  if (process.env.RUST_LOG) {
    // The server's own time per push (its access log), to split the drain between the two sides.
    const ms = server.log().split('\n').filter((l) => l.includes('path=/api/v1/sync/push status=200')).map((l) => Number(/ms=(\d+)/.exec(l)?.[1] ?? 0));
    const total = ms.reduce((a, b) => a + b, 0);
    console.log(`server: ${ms.length} pushes, ${total} ms in the server (${(total / ms.length).toFixed(0)} ms each; first ${ms.slice(0, 3)}, last ${ms.slice(-3)})`);
  }
  console.log(`BENCH drain ${ORDERS} queued orders to the server (SQLite, loopback): ${(drained.ms / 1000).toFixed(2)} s, ${rate.toFixed(0)} mutations/s (target 5,000/s: ${rate >= 5000 ? 'met' : 'NOT met'})`);

  // The rep's next sync, with nothing new either way, on a device that now holds the day's
  // orders: a pull of one empty last page. Its cost should not grow with the orders held.
  const idle = await page.evaluate(async () => {
    const ms = [];
    for (let i = 0; i < 5; i += 1) {
      const start = performance.now();
      await globalThis.ws.syncNow();
      ms.push(performance.now() - start);
    }
    return ms.sort((a, b) => a - b);
  });
  console.log(`BENCH a sync with nothing new, the device holding ${ORDERS} orders: median ${idle[2].toFixed(0)} ms (of 5: ${idle.map((m) => m.toFixed(0)).join(', ')} ms)`);
} finally {
  await browser.close();
  await server.stop();
}
