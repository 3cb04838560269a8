// Measures unlocking the workspace in the real app: from pressing "Unlock" to the workspace on
// screen. That is the PIN's key derivation (WebCrypto PBKDF2-SHA256, 600,000 iterations), the
// unwrap, opening the session, decrypting the reference data, building the search index and
// drawing the screen. Two deployments: the demo's (800 products, the rep's 100 outlets) and
// issue 17's large one (10,000 products, 2,000 outlets). Runs unthrottled and with Chromium's
// CPU throttled 4x (a cheap phone); target: at most 1.5 s throttled.
//
// Side by side with an earlier build when SATCHEL_BEFORE_WWW_DIR names its built PWA (the two
// alternate, round by round).
//
// Usage: node tests/bench/unlock.mjs  (./build.sh bench runs it; needs the server binary and
// the built PWA, like the end-to-end tests). Prints one BENCH line per build, deployment and CPU.

import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM, PHONE } from '../e2e/support/browser.mjs';
import { signIn, unlock } from '../e2e/support/app.mjs';
import { startServer } from '../e2e/support/server.mjs';

const ROUNDS = 2;
const RUNS = 3; // per round, after one warm-up
const TARGET_MS = 1500;
const DEPLOYMENTS = [
  ['demo data', {}],
  ['10,000 products, 2,000 outlets', { SATCHEL_DEMO_PRODUCTS: '10000', SATCHEL_DEMO_OUTLETS: '2000' }],
];
const builds = [['this build', process.env.SATCHEL_WWW_DIR]];
if (process.env.SATCHEL_BEFORE_WWW_DIR) builds.unshift(['before', process.env.SATCHEL_BEFORE_WWW_DIR]);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const results = new Map();
try {
  for (const [deployment, env] of DEPLOYMENTS) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, wwwDir] of builds) {
        const server = await startServer({ timeoutMs: 120_000, wwwDir, env: { RUST_LOG: 'warn', ...env } });
        const context = await browser.newContext(PHONE);
        try {
          const page = await context.newPage();
          await page.goto(`${server.url}/`);
          await signIn(page, 'rep1', 'rep1-demo');
          await page.getByTestId('outlet-item').first().waitFor({ timeout: 120_000 });
          const cdp = await context.newCDPSession(page);
          for (const rate of [1, 4]) {
            await cdp.send('Emulation.setCPUThrottlingRate', { rate });
            for (let i = 0; i < RUNS + 1; i++) {
              await page.getByTestId('lock-now').click();
              await page.getByTestId('lock-screen').waitFor();
              const start = Date.now();
              await unlock(page);
              await page.getByTestId('outlet-item').first().waitFor();
              const key = `${label}|${deployment}|${rate}`;
              if (i > 0) results.set(key, [...(results.get(key) ?? []), Date.now() - start]); // the first is a warm-up
            }
          }
        } finally {
          await context.close();
          await server.stop();
        }
      }
    }
  }
  for (const [key, times] of results) {
    const [label, deployment, rate] = key.split('|');
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const verdict = rate === '4' ? (median <= TARGET_MS ? ' (target 1.5 s: met)' : ' (target 1.5 s: NOT met)') : '';
    console.log(`BENCH unlock in the app (${label}), ${deployment}, CPU ${rate}x: median ${median} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms over ${times.length} runs${verdict}`);
  }
} finally {
  await browser.close();
}
