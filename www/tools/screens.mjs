// Screenshots of the main screens at 360x740 (phone) and 1280x800 (tablet) into docs/screens/,
// against a fresh demo server: sign-in, outlets, an order being taken, the orders on the device,
// the lock screen, the supervisor's review and conflicts, the counter, and the delivery day.
// SCREENS=day (or counter, rep, dashboard, backup) takes only that group.
//
// Usage (after ./build.sh build and cargo build -p satchel-server):
//   node www/tools/screens.mjs
// The server binary and the PWA come from SATCHEL_SERVER_BIN / SATCHEL_WWW_DIR as in the e2e tests.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, PHONE } from '../../tests/e2e/support/browser.mjs';
import { clearSiteData, damagePushes, killTabMidPush, signIn, takeOrder, waitForBadge } from '../../tests/e2e/support/app.mjs';
import { startServer } from '../../tests/e2e/support/server.mjs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const OUT = join(ROOT, 'docs', 'screens');
const SIZES = {
  phone: PHONE,
  tablet: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: true, serviceWorkers: 'allow' },
};

async function shoot(page, name, size) {
  const path = join(OUT, `${name}-${size}.png`);
  await page.waitForTimeout(300);
  await page.screenshot({ path });
  console.log(`  ${path.slice(ROOT.length + 1)}`);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await startServer({ timeoutMs: 120_000 });
  const browser = await launchBrowser();
  try {
    const only = process.env.SCREENS;
    if (!only || only === 'dashboard') await dashboardScreens(browser);
    if (!only || only === 'backup') for (const [size, device] of Object.entries(SIZES)) await backupScreens(browser, device, size);
    for (const [size, device] of Object.entries(SIZES)) {
      if (!only || only === 'day') await dayScreens(browser, server, device, size);
      if (only && only !== 'rep' && only !== 'counter') continue;
      if (only === 'counter') {
        await counterScreens(browser, server, device, size);
        continue;
      }
      const context = await browser.newContext(device);
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.getByTestId('username').waitFor();
      await shoot(page, 'signin', size);
      await signIn(page, 'rep1', 'rep1-demo');
      await page.getByTestId('outlet-item').first().waitFor();
      await shoot(page, 'outlets', size);

      const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
      await page.locator(`[data-testid="outlet-item"][data-outlet-id="${outletId}"]`).click();
      for (const [sku, qty] of [['SKU-00002', '2'], ['SKU-00003', '1'], ['SKU-00001', '2']]) {
        await page.getByTestId('product-search').fill(sku);
        await page.locator(`[data-testid="product-item"][data-sku="${sku}"] [data-testid="add-product"]`).click();
        if (qty !== '1') await page.locator(`[data-testid="product-item"][data-sku="${sku}"] [data-testid="add-product"]`).click();
      }
      await page.getByTestId('product-search').fill('SKU-0001');
      await page.evaluate(() => window.scrollTo(0, 0));
      await shoot(page, 'order', size);
      await page.getByTestId('order-lines').scrollIntoViewIfNeeded();
      await shoot(page, 'cart', size);
      await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.disabled);
      await page.getByTestId('commit-order').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved'));
      await shoot(page, 'committed', size);
      await page.getByTestId('order-list').scrollIntoViewIfNeeded();
      await shoot(page, 'orders', size);
      await page.getByTestId('lock-now').click();
      await page.getByTestId('unlock-pin').waitFor();
      await shoot(page, 'lock', size);
      await context.close();

      const sup = await browser.newContext(device);
      const supPage = await sup.newPage();
      await supPage.goto(`${server.url}/`);
      await signIn(supPage, 'super', 'super-demo');
      const review = supPage.getByTestId('review');
      if (await review.count()) {
        await review.scrollIntoViewIfNeeded();
        if (await review.locator('summary').count()) await review.locator('summary').first().click();
        await shoot(supPage, 'supervisor', size);
      }
      await sup.close();
      await counterScreens(browser, server, device, size);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** The delivery day as driver1: the start, the route, a stop's collect and proof panels, the end.
 * A server of its own per size: driver1 may have one open day, which the other size's started. */
async function dayScreens(browser, _shared, device, size) {
  const server = await startServer({ timeoutMs: 120_000 });
  try {
    await dayScreensOn(browser, server, device, size);
  } finally {
    await server.stop();
  }
}

async function dayScreensOn(browser, server, device, size) {
  const context = await browser.newContext(device);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await signIn(page, 'driver1', 'driver1-demo');
  await page.getByTestId('day-start').waitFor();
  await page.getByTestId('day-odometer').fill('48210');
  await page.getByTestId('day-float').fill('50.00');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'day-start', size);
  await page.getByTestId('start-day').click();
  await page.getByTestId('stops').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'day-route', size);
  const first = page.getByTestId('stop').first();
  await first.getByTestId('stop-bill').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.disabled);
  await shoot(page, 'day-bill', size);
  await page.getByTestId('commit-order').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved'));
  await first.getByTestId('stop-collect').click();
  await page.getByTestId('collect-method').selectOption('cheque');
  await page.getByTestId('collect-panel').scrollIntoViewIfNeeded();
  await shoot(page, 'day-collect', size);
  await page.getByTestId('panel-close').click();
  await first.getByTestId('stop-deliver').click();
  await page.getByTestId('proof-recipient').fill('A. Mensah');
  const pad = await page.getByTestId('proof-signature').boundingBox();
  if (pad) {
    await page.mouse.move(pad.x + 30, pad.y + 100);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(pad.x + 30 + i * 20, pad.y + 100 + (i % 2 ? -30 : 25));
    await page.mouse.up();
  }
  await page.getByTestId('proof-panel').scrollIntoViewIfNeeded();
  await shoot(page, 'day-proof', size);
  await page.getByTestId('proof-confirm').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="stop"]')?.getAttribute('data-state') === 'done');
  await page.getByTestId('day-end-start').click();
  await page.getByTestId('day-end').waitFor();
  const firstSku = await page.locator('.van-line').first().getAttribute('data-sku');
  await page.getByTestId(`count-${firstSku}`).fill('30');
  await shoot(page, 'day-end', size);
  // Signed and ended; the supervisor sees the day with its variance.
  const sig = page.getByTestId('end-signature');
  await sig.scrollIntoViewIfNeeded();
  const box = await sig.boundingBox();
  if (box) {
    await page.mouse.move(box.x + 30, box.y + 90);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + 30 + i * 25, box.y + 90 + (i % 2 ? -25 : 25));
    await page.mouse.up();
  }
  await page.getByTestId('end-confirm').click();
  await page.getByTestId('day-ended').waitFor();
  await page.getByTestId('pending-badge').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="pending-badge"]')?.textContent?.trim() === '0', null, { timeout: 60_000 }).catch(() => {});
  await context.close();
  const sup = await browser.newContext(device);
  const supPage = await sup.newPage();
  await supPage.goto(`${server.url}/`);
  await signIn(supPage, 'super', 'super-demo');
  await supPage.waitForFunction(() => document.querySelector('[data-testid="days-count"]')?.dataset.count === '1', null, { timeout: 60_000 });
  await supPage.getByTestId('days').locator('summary').click();
  await supPage.getByTestId('day-item').waitFor();
  await supPage.getByTestId('days').scrollIntoViewIfNeeded();
  await shoot(supPage, 'day-supervisor', size);
  await sup.close();
}

/** The supervisor's field telemetry dashboard with something on it: a rep's order waits offline,
 * the tab is killed while its push hangs, and the next start reports the force-close, the
 * offline span and the storage figures. A server of its own, so the figures are only these.
 * The rep's phone runs without a service worker: Playwright's routing does not see a worker's
 * requests, and the push must hang (as in tests/e2e/telemetry.test.mjs). */
async function dashboardScreens(browser) {
  const server = await startServer({ timeoutMs: 120_000 });
  try {
    const context = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await context.setOffline(true);
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00001', quantity: 1 }] });
    await page.waitForTimeout(4_000);
    await killTabMidPush(context, page, server.url);
    await context.close();
    for (const [size, device] of Object.entries(SIZES)) {
      const sup = await browser.newContext(device);
      const supPage = await sup.newPage();
      await supPage.goto(`${server.url}/`);
      await signIn(supPage, 'super', 'super-demo');
      await supPage.getByTestId('dashboard').locator('summary').click();
      await supPage.getByTestId('telemetry-device').first().waitFor({ timeout: 30_000 });
      await supPage.getByTestId('dashboard').scrollIntoViewIfNeeded();
      await shoot(supPage, 'dashboard', size);
      await supPage.getByTestId('telemetry-device').first().scrollIntoViewIfNeeded();
      await shoot(supPage, 'dashboard-devices', size);
      await sup.close();
    }
  } finally {
    await server.stop();
  }
}

/** Nothing lost when the browser wipes storage (issue 20), on a server of its own per size: the
 * backup card with work waiting; the notice after IndexedDB alone was lost (the second copy sent
 * the work); the notice naming orders that never arrived after "Clear site data" (their pushes
 * reached the server but failed there, as in tests/e2e/backup.test.mjs); the supervisor's card. */
async function backupScreens(browser, device, size) {
  const server = await startServer({ timeoutMs: 120_000 });
  const twoOrders = async (page) => {
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00022', quantity: 1 }] });
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00023', quantity: 2 }] });
    await waitForBadge(page, 2);
  };
  try {
    // Work waiting, the backup card open; then only IndexedDB goes and a new sign-in recovers.
    let context = await browser.newContext(device);
    let page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await context.setOffline(true);
    await twoOrders(page);
    await page.getByTestId('backup').locator('summary').click();
    await page.getByTestId('backup').scrollIntoViewIfNeeded();
    await shoot(page, 'backup', size);
    await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('satchel-outbox-')));
    await page.close();
    const blank = await context.newPage();
    await clearSiteData(context, blank, server.url, 'indexeddb');
    await blank.close();
    await context.setOffline(false);
    page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await page.getByTestId('copy-recovery').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shoot(page, 'backup-recovered', size);
    await context.close();

    // Pushes that reach the server and fail there, then "Clear site data" and a new sign-in.
    context = await browser.newContext(device);
    page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await damagePushes(page);
    await twoOrders(page);
    await page.waitForTimeout(1_000);
    await clearSiteData(context, page, server.url);
    await context.close();
    context = await browser.newContext(device);
    page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await page.getByTestId('missing-work').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shoot(page, 'backup-missing', size);
    await context.close();

    context = await browser.newContext(device);
    page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'super', 'super-demo');
    await page.getByTestId('missing').locator('summary').click();
    await page.getByTestId('missing-item').first().waitFor();
    await page.getByTestId('missing').scrollIntoViewIfNeeded();
    await shoot(page, 'backup-supervisor', size);
    await context.close();
  } finally {
    await server.stop();
  }
}

/** The counter: a cashier's shift, a sale with a weighed item, tendered by card and cash, its
 * receipt, and the shift report. */
async function counterScreens(browser, server, device, size) {
  // The counter: a cashier's shift, a sale with a weighed item, tendered by card and cash,
  // its receipt, and the shift report.
  const till = await browser.newContext(device);
  const tillPage = await till.newPage();
  await tillPage.goto(`${server.url}/`);
  await signIn(tillPage, 'cashier1', 'cashier1-demo');
  await tillPage.getByTestId('open-shift-panel').waitFor();
  await tillPage.getByTestId('float-20').fill('5');
  await tillPage.getByTestId('float-1').fill('10');
  await shoot(tillPage, 'counter-open', size);
  await tillPage.getByTestId('open-shift').click();
  await tillPage.getByTestId('counter-search').waitFor();
  for (const i of [0, 1, 2]) await tillPage.getByTestId('quick-key').nth(i).click();
  const kg = tillPage.locator('[data-testid="cart-line"][data-sku="SKU-00002"] [data-testid="line-qty"]');
  await kg.fill('0.735');
  await kg.press('Tab');
  await tillPage.waitForFunction(() => !document.querySelector('[data-testid="tender"]')?.disabled, null, { timeout: 10_000 }).catch(async (err) => {
    throw new Error(`the cart cannot be tendered: ${await tillPage.getByTestId('counter-sell').textContent()}`, { cause: err });
  });
  await tillPage.evaluate(() => window.scrollTo(0, 0));
  await shoot(tillPage, 'counter-sell', size);
  await tillPage.getByTestId('tender').click();
  await tillPage.getByTestId('tender-amount').fill('10');
  await tillPage.getByTestId('tender-reference').fill('AUTH-4471');
  await tillPage.getByTestId('add-card').click();
  await tillPage.getByTestId('tender-amount').fill('100');
  await tillPage.getByTestId('add-cash').click();
  await tillPage.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled);
  await shoot(tillPage, 'counter-tender', size);
  await tillPage.getByTestId('complete-sale').click();
  await tillPage.getByTestId('receipt').waitFor();
  await shoot(tillPage, 'counter-receipt', size);
  if (size === 'tablet') {
    // The receipt as the printer gets it: print media, the receipt alone, on an 80 mm roll
    // (302 px at 96 dpi) and on A4 (794 px).
    await tillPage.emulateMedia({ media: 'print' });
    for (const [name, width] of [['receipt-80mm', 302], ['receipt-a4', 794]]) {
      await tillPage.setViewportSize({ width, height: 1123 });
      await tillPage.getByTestId('receipt').screenshot({ path: join(OUT, `${name}.png`) });
      console.log(`  docs/screens/${name}.png`);
    }
    await tillPage.emulateMedia({ media: 'screen' });
    await tillPage.setViewportSize(device.viewport);
  }
  await tillPage.getByTestId('new-sale').click();
  await tillPage.getByTestId('nav-close').click();
  await tillPage.getByTestId('x-report').waitFor();
  await shoot(tillPage, 'counter-report', size);
  await till.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
