// Launches the machine's Chromium through playwright-core. Never downloads a browser.

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const ARGS = [
  '--no-sandbox', // Chromium as root needs it
  '--disable-gpu',
  // Without these Chromium keeps trying to reach hosts this network does not have.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // A fake camera (a generated picture) that needs no permission prompt: the counter's camera
  // scanning is tested with it.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/**
 * A fresh context (own storage, own service workers) sized like a cheap phone, and a page whose
 * console and page errors are collected for diagnostics.
 */
export const PHONE = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  serviceWorkers: 'allow',
};

export async function newPhone(browser) {
  const context = await browser.newContext(PHONE);
  return watch(context, await context.newPage());
}

/**
 * A phone whose profile lives on disk in `dir` (a persistent context): needed where the test
 * depends on the real disk, e.g. filling it up.
 */
export async function newPhoneOnDisk(dir) {
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS, headless: true, ...PHONE });
  return watch(context, context.pages()[0] ?? (await context.newPage()));
}

function watch(context, page) {
  const console = [];
  page.on('console', (m) => console.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.push(`[pageerror] ${e.stack ?? e.message}`));
  page.on('requestfailed', (r) => console.push(`[requestfailed] ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { context, page, console };
}
