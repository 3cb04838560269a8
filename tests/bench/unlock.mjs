// Measures unlocking the workspace in the real app: from pressing "Unlock" to the workspace on
// screen. That is the PIN's key derivation (WebCrypto PBKDF2-SHA256, 600,000 iterations), the
// unwrap, opening the session, decrypting the reference data (the demo's 800 products and the
// rep's outlets), building the search index and drawing the screen. Runs unthrottled and with
// Chromium's CPU throttled 4x (a cheap phone); target: at most 1.5 s throttled.
//
// Usage: node tests/bench/unlock.mjs  (./build.sh bench runs it; needs the server binary and
// the built PWA, like the end-to-end tests). Prints one BENCH line per setting.

import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM, PHONE } from '../e2e/support/browser.mjs';
import { signIn, unlock } from '../e2e/support/app.mjs';
import { startServer } from '../e2e/support/server.mjs';

const RUNS = 5;
const TARGET_MS = 1500;

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await signIn(page, 'rep1', 'rep1-demo');
  const cdp = await context.newCDPSession(page);
  for (const rate of [1, 4]) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const times = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await page.getByTestId('lock-now').click();
      await page.getByTestId('lock-screen').waitFor();
      const start = Date.now();
      await unlock(page);
      await page.getByTestId('outlet-item').first().waitFor();
      if (i > 0) times.push(Date.now() - start); // the first is a warm-up
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const verdict = rate === 4 ? (times[times.length - 1] <= TARGET_MS ? ' (target 1.5 s: met)' : ' (target 1.5 s: NOT met)') : '';
    console.log(`BENCH unlock in the app, CPU ${rate}x: median ${median} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms over ${RUNS} runs${verdict}`);
  }
} finally {
  await browser.close();
  await server.stop();
}
