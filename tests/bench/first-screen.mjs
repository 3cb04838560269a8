// How soon a cheap phone shows a screen it can use: from navigation to the sign-in form (a first
// visit: nothing cached, slow 4G as Lighthouse emulates it, CPU 4x), and to the lock screen's PIN
// field (a cold start offline from the service worker, CPU 4x), next to when the module is ready.
// Side by side with an earlier build when SATCHEL_BEFORE_WWW_DIR names one (runs alternate).
//
// Usage: node tests/bench/first-screen.mjs  (./build.sh bench runs it; needs the server binary
// and the built PWA, like the end-to-end tests). Prints one BENCH line per build and setting.

import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM, PHONE } from '../e2e/support/browser.mjs';
import { signIn } from '../e2e/support/app.mjs';
import { startServer } from '../e2e/support/server.mjs';

const RUNS = 3;
// Lighthouse's "slow 4G" as DevTools applies it.
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1474.56 * 1024) / 8, uploadThroughput: (675 * 1024) / 8 };
const builds = [['this build', process.env.SATCHEL_WWW_DIR]];
if (process.env.SATCHEL_BEFORE_WWW_DIR) builds.unshift(['before', process.env.SATCHEL_BEFORE_WWW_DIR]);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const results = new Map();
const record = (key, ms) => results.set(key, [...(results.get(key) ?? []), ms]);

/** ms from navigation to `selector` visible, and to the module having routed (when it says so). */
async function timeTo(page, go, selector) {
  const start = Date.now();
  await go();
  await page.locator(selector).first().waitFor({ timeout: 120_000 });
  const screen = Date.now() - start;
  await page.waitForFunction(() => document.getElementById('app')?.dataset['ready'] === 'true', null, { timeout: 120_000 });
  return { screen, module: Date.now() - start };
}

try {
  for (let run = 0; run < RUNS; run++) {
    for (const [label, wwwDir] of builds) {
      const server = await startServer({ wwwDir });
      try {
        // A first visit: an empty profile, no service worker yet.
        const first = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
        const page = await first.newPage();
        const cdp = await first.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
        const visit = await timeTo(page, () => page.goto(`${server.url}/`, { waitUntil: 'commit' }), '[data-testid="username"]');
        record(`${label}|first visit, slow 4G, CPU 4x: the sign-in form`, visit.screen);
        record(`${label}|first visit, slow 4G, CPU 4x: the module ready`, visit.module);
        await first.close();

        // A cold start offline: signed in before, the service worker serves everything.
        const phone = await browser.newContext(PHONE);
        const p = await phone.newPage();
        await p.goto(`${server.url}/`);
        await signIn(p, 'rep1', 'rep1-demo');
        await p.evaluate(async () => {
          const reg = await navigator.serviceWorker.ready;
          if (!navigator.serviceWorker.controller) await new Promise((res) => navigator.serviceWorker.addEventListener('controllerchange', res, { once: true }));
          return reg.scope;
        });
        await p.close();
        const again = await phone.newPage();
        const cdp2 = await phone.newCDPSession(again);
        await phone.setOffline(true);
        await cdp2.send('Emulation.setCPUThrottlingRate', { rate: 4 });
        const cold = await timeTo(again, () => again.goto(`${server.url}/`, { waitUntil: 'commit' }), '[data-testid="unlock-pin"]');
        record(`${label}|cold start offline, CPU 4x: the lock screen`, cold.screen);
        record(`${label}|cold start offline, CPU 4x: the module ready`, cold.module);
        await phone.close();
      } finally {
        await server.stop();
      }
    }
  }
  for (const [key, times] of results) {
    const [label, what] = key.split('|');
    times.sort((a, b) => a - b);
    console.log(`BENCH first screen (${label}) ${what}: median ${times[Math.floor(times.length / 2)]} ms (${times.join(', ')})`);
  }
} finally {
  await browser.close();
}
