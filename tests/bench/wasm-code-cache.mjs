// Does Chromium reuse the compiled module on a cold start (issue 17: "the module is precompiled
// once and cached by the service worker")? A persistent profile signs in online, then opens the
// app offline four times from the service worker (unlocking on every other start, so that the
// module's hot code is optimized); each start is traced with V8's and Blink's Wasm categories.
// A start that reuses a compiled module shows `v8.wasm.moduleCacheHit` and no `wasm.NewNativeModule`;
// one that compiles again shows `wasm.NewNativeModule` and `wasm.StartStreamingCompilation`.
//
// Usage: node tests/bench/wasm-code-cache.mjs (./build.sh bench runs it; needs the server binary
// and the built PWA, like the end-to-end tests). Prints one BENCH line.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM, PHONE } from '../e2e/support/browser.mjs';
import { signIn, unlock, waitForServiceWorker } from '../e2e/support/app.mjs';
import { startServer } from '../e2e/support/server.mjs';

const STARTS = 4;
const CATEGORIES = 'v8.wasm,disabled-by-default-v8.wasm.detailed,devtools.timeline,disabled-by-default-devtools.timeline';

/** The names of the trace's events, counted. */
async function traced(cdp, work) {
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReturnAsStream' });
  const result = await work();
  const complete = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
  await cdp.send('Tracing.end');
  const { stream } = await complete;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
    if (chunk.eof) break;
  }
  const names = new Map();
  for (const m of text.matchAll(/"name":"([^"]+)"/g)) names.set(m[1], (names.get(m[1]) ?? 0) + 1);
  return { result, names };
}

const profile = mkdtempSync(join(tmpdir(), 'satchel-wasm-cache-'));
const server = await startServer({});
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, ...PHONE });
try {
  const first = await context.newPage();
  await first.goto(`${server.url}/`);
  await signIn(first, 'rep1', 'rep1-demo');
  await waitForServiceWorker(first);
  await first.close();
  await context.setOffline(true);
  const starts = [];
  for (let i = 0; i < STARTS; i++) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const { result: ms, names } = await traced(cdp, async () => {
      const start = Date.now();
      await page.goto(`${server.url}/`, { waitUntil: 'commit' });
      await page.waitForFunction(() => document.getElementById('app')?.dataset['ready'] === 'true', null, { timeout: 60_000 });
      const ready = Date.now() - start;
      if (i % 2 === 0) {
        await unlock(page);
        await page.waitForTimeout(6000);
      } else {
        await page.waitForTimeout(2000);
      }
      return ready;
    });
    starts.push({ ms, compiled: (names.get('wasm.NewNativeModule') ?? 0) > 0, hit: (names.get('v8.wasm.moduleCacheHit') ?? 0) > 0, cached: names.get('v8.wasm.cachedModule') ?? 0 });
    await page.close();
  }
  const hits = starts.filter((s) => s.hit && !s.compiled).length;
  console.log(
    `BENCH compiled-module cache, ${STARTS} cold starts offline from the service worker (CPU 1x): ${hits} reused a compiled module; ` +
      `module ready ${starts.map((s) => s.ms).join(', ')} ms; compiled again: ${starts.map((s) => (s.compiled ? 'yes' : 'no')).join(', ')}; ` +
      `caches written: ${starts.map((s) => s.cached).join(', ')}`,
  );
} finally {
  await context.close();
  await server.stop();
  rmSync(profile, { recursive: true, force: true });
}
