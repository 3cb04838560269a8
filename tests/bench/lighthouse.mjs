// Lighthouse accessibility of the main screens, as a rep walks through them, at 360x740 (mobile)
// and 1280x800 (desktop form factor): sign-in (a navigation), then snapshots of the outlet list,
// the order form with a line, and the lock screen. Target (issue 12): 1.0 on every screen.
//
// Lighthouse and puppeteer-core are large and only this measurement needs them: they are
// installed on first use into ~/.cache/satchel-lighthouse (LIGHTHOUSE_PREFIX overrides), not
// into the project. Run by `./build.sh bench`, or after a build:
//   SATCHEL_SERVER_BIN=target/debug/satchel-server node tests/bench/lighthouse.mjs

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';
import { startServer } from '../e2e/support/server.mjs';

const PREFIX = process.env.LIGHTHOUSE_PREFIX ?? join(homedir(), '.cache', 'satchel-lighthouse');
if (!existsSync(join(PREFIX, 'node_modules', 'lighthouse')) || !existsSync(join(PREFIX, 'node_modules', 'puppeteer-core'))) {
  mkdirSync(PREFIX, { recursive: true });
  execFileSync('npm', ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', 'lighthouse@12', 'puppeteer-core@24'], { stdio: 'inherit' });
}
const req = createRequire(join(PREFIX, 'package.json'));
const { startFlow } = await import(pathToFileURL(req.resolve('lighthouse')).href);
const puppeteer = (await import(pathToFileURL(req.resolve('puppeteer-core')).href)).default;

const SIZES = {
  'phone 360x740': { viewport: { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true }, formFactor: 'mobile' },
  'tablet 1280x800': { viewport: { width: 1280, height: 800, deviceScaleFactor: 1, isMobile: false, hasTouch: true }, formFactor: 'desktop' },
};

const tid = (id) => `[data-testid="${id}"]`;
// DOM clicks: Lighthouse's screen emulation moves what puppeteer's coordinate clicks hit.
const click = (page, selector) => page.$eval(selector, (el) => el.click());

async function walk(browser, url, size, { viewport, formFactor }) {
  // A fresh profile per walk: each signs in on a new device.
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  const config = {
    extends: 'lighthouse:default',
    settings: {
      onlyCategories: ['accessibility'],
      formFactor,
      screenEmulation: { mobile: viewport.isMobile, width: viewport.width, height: viewport.height, deviceScaleFactor: viewport.deviceScaleFactor, disabled: false },
      throttlingMethod: 'provided',
    },
  };
  const flow = await startFlow(page, { config, name: size });
  await flow.navigate(url, { name: 'sign-in' });
  await page.waitForSelector(tid('username'));
  await page.type(tid('username'), 'rep1');
  await page.type(tid('password'), 'rep1-demo');
  await page.type(tid('pin'), '246810');
  await page.type(tid('pin-confirm'), '246810');
  await click(page, tid('sign-in'));
  await page.waitForSelector(`${tid('pending-badge')}:not([hidden])`, { timeout: 60_000 });
  await page.waitForSelector(tid('outlet-item'));
  await flow.snapshot({ name: 'outlets' });
  await click(page, tid('outlet-item'));
  await page.waitForSelector(`${tid('product-search')}`, { visible: true });
  await page.type(tid('product-search'), 'SKU-00001');
  await page.waitForSelector(`${tid('product-item')}[data-sku="SKU-00001"] ${tid('add-product')}`).catch(async (err) => {
    console.error(await page.evaluate(() => `${document.activeElement?.outerHTML} | ${document.querySelector('[data-testid="product-search"]')?.value} | ${document.querySelector('[data-testid="product-list"]')?.innerHTML.slice(0, 300)}`));
    throw err;
  });
  await click(page, `${tid('product-item')}[data-sku="SKU-00001"] ${tid('add-product')}`);
  await page.waitForSelector(`${tid('commit-order')}:not([disabled])`);
  await flow.snapshot({ name: 'order' });
  await click(page, tid('lock-now'));
  await page.waitForSelector(tid('unlock-pin'));
  await flow.snapshot({ name: 'lock' });
  const result = await flow.createFlowResult();
  await context.close();
  return result.steps.map((s) => {
    const a11y = s.lhr.categories.accessibility;
    const failing = a11y.auditRefs
      .map((r) => s.lhr.audits[r.id])
      .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    return { step: s.name, score: a11y.score, failing };
  });
}

async function main() {
  const server = await startServer({ timeoutMs: 120_000 });
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  let met = true;
  try {
    for (const [size, opts] of Object.entries(SIZES)) {
      for (const r of await walk(browser, `${server.url}/`, size, opts)) {
        if (r.score !== 1) met = false;
        console.log(`LIGHTHOUSE accessibility ${size} ${r.step}: ${r.score}${r.failing.length ? ` (failing: ${r.failing.join(', ')})` : ''}`);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(`LIGHTHOUSE accessibility target 1.0 on every screen: ${met ? 'met' : 'NOT met'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
