// The workspace as a thumb and an eye meet it, on a 360x740 touch phone and a 1280x800 counter
// tablet: the one-product order's taps and scrolling, the confirmation inside the viewport after
// every commit, an invalid quantity's error inside the viewport next to its field, "1,5" typed in
// a comma locale taken as exactly 1.5, no tap target under 48 px on the order screen, and no
// serious or critical axe-core violation on the main screens.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverOrders } from './support/api.mjs';
import { assertAccessible as axe } from './support/axe.mjs';
import { PHONE } from './support/browser.mjs';
import { signIn, unlock } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const TABLET = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: true, serviceWorkers: 'allow' };
const SIZES = [
  ['phone 360x740', PHONE],
  ['tablet 1280x800', TABLET],
];

/** Where `locator` sits against what the user sees: the viewport minus the sticky top bar and the
 * fixed action bar. `scroll`: how far the page would have to move to show it whole (0: visible). */
async function placement(page, locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const top = document.querySelector('.topbar')?.getBoundingClientRect().bottom ?? 0;
    const bar = document.querySelector('.actionbar:not([hidden])');
    const inBar = bar?.contains(el) ?? false;
    const bottom = inBar || !bar ? window.innerHeight : bar.getBoundingClientRect().top;
    const scroll = r.top < (inBar ? 0 : top) ? (inBar ? 0 : top) - r.top : r.bottom > bottom ? r.bottom - bottom : 0;
    return { top: r.top, bottom: r.bottom, height: r.height, scroll: Math.round(scroll) };
  });
}

/** Taps like a user: counts the tap and the scrolling the user would have needed first. */
function tapper(page) {
  const log = { taps: 0, scroll: 0 };
  return {
    log,
    async tap(locator) {
      const p = await placement(page, locator);
      log.scroll += p.scroll;
      log.taps += 1;
      await locator.tap();
    },
  };
}

/** Every visible control on the page at least 48 px in both directions (a checkbox counts by
 * its label, which is the target). */
async function smallTargets(page) {
  return page.evaluate(() => {
    const small = [];
    for (const el of document.querySelectorAll('button, input, select, textarea, summary, a[href], [role="button"]')) {
      const target = el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') ? el.closest('label') ?? el : el;
      const r = target.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(target).visibility === 'hidden') continue;
      if (r.height < 48 || r.width < 48) small.push(`${el.tagName.toLowerCase()}[${el.getAttribute('data-testid') ?? el.textContent?.trim().slice(0, 20)}] ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return small;
  });
}

for (const [size, device] of SIZES) {
  test(`ui at ${size}: one-product order by thumb, feedback in view, 48 px targets, no serious axe violation`, { timeout: 240_000 }, async (t) => {
    await scenario(t, async ({ server, browser, onCleanup }) => {
      const context = await browser.newContext(device);
      onCleanup(() => context.close());
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.getByTestId('username').waitFor();
      await axe(page, `sign-in (${size})`);
      await signIn(page, 'rep1', 'rep1-demo');
      await axe(page, `outlets (${size})`);

      // The one-product order, as a rep does it: search the outlet, tap it, search the product,
      // Add, Commit. Typing is not a tap; scrolling the user would need is counted.
      const outlet = page.getByTestId('outlet-item').first();
      const outletName = (await outlet.locator('.name').textContent())?.trim();
      const outletId = await outlet.getAttribute('data-outlet-id');
      const { tap, log } = tapper(page);
      await tap(page.getByTestId('outlet-search'));
      await page.keyboard.type(outletName ?? '');
      await tap(page.locator(`[data-testid="outlet-item"][data-outlet-id="${outletId}"]`));
      // The product search has the focus once the order form opens: type straight away.
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'product-search');
      await page.keyboard.type('SKU-00001');
      await tap(page.locator('[data-testid="product-item"][data-sku="SKU-00001"] [data-testid="add-product"]'));
      await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.disabled);
      await axe(page, `order (${size})`);
      const small = await smallTargets(page);
      assert.deepEqual(small, [], `tap targets under 48 px on the order screen (${size})`);
      await tap(page.getByTestId('commit-order'));
      await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved on this device'));
      t.diagnostic(`${size}: one-product order in ${log.taps} taps, ${log.scroll} px of scrolling`);
      assert.ok(log.taps <= 5, `at most 5 taps (${log.taps})`);
      assert.equal(log.scroll, 0, 'no scrolling needed');
      const notice = await placement(page, page.getByTestId('notice'));
      assert.equal(notice.scroll, 0, `the confirmation is inside the viewport: ${JSON.stringify(notice)}`);

      // A second commit, the three-line way, with the confirmation in view again.
      log.taps = 0;
      log.scroll = 0;
      await tap(page.getByTestId('outlet-search'));
      await page.getByTestId('outlet-search').fill(outletId);
      await tap(page.locator(`[data-testid="outlet-item"][data-outlet-id="${outletId}"]`));
      for (const sku of ['SKU-00002', 'SKU-00003', 'SKU-00004']) {
        await page.getByTestId('product-search').fill(sku);
        await tap(page.locator(`[data-testid="product-item"][data-sku="${sku}"] [data-testid="add-product"]`));
      }
      await tap(page.getByTestId('order-options').locator('summary'));
      await page.getByTestId('order-discount').fill('5');
      // An invalid quantity: its error next to the field, in view; Commit refuses; no stale figures.
      const qty = page.locator('[data-testid="order-line"][data-sku="SKU-00003"] [data-testid="line-qty"]');
      const before = await qty.inputValue();
      await qty.fill('2x');
      const lineError = page.locator('[data-testid="order-line"][data-sku="SKU-00003"] [data-testid="line-error"]');
      await lineError.waitFor();
      await page.waitForTimeout(100); // the error is brought into view on the next frame
      const errorAt = await placement(page, lineError);
      const fieldAt = await placement(page, qty);
      assert.equal(errorAt.scroll, 0, `the quantity's error is inside the viewport: ${JSON.stringify(errorAt)}`);
      assert.ok(Math.abs(errorAt.top - fieldAt.bottom) < 120, `the error sits next to the field (${errorAt.top} vs ${fieldAt.bottom})`);
      assert.equal(await qty.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
      assert.equal(await page.getByTestId('commit-order').isDisabled(), true, 'Commit refuses');
      assert.equal(await page.getByTestId('totals-total').getAttribute('data-amount'), '', 'no total for an order that cannot be read');
      const staleTaxes = await page.locator('[data-testid="line-taxes"]').evaluateAll((els) => els.map((e) => e.textContent).join(''));
      assert.equal(staleTaxes, '', 'no line taxes left from the last good quote');
      await qty.fill(before);
      await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.disabled, null, { timeout: 10_000 }).catch(async (err) => {
        t.diagnostic(await page.evaluate(() => `${document.querySelector('[data-testid="action-bar"]')?.textContent} | ${document.querySelector('[data-testid="order-entry"]')?.textContent}`));
        throw err;
      });
      await tap(page.getByTestId('commit-order'));
      await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved on this device'));
      t.diagnostic(`${size}: three-line order with a discount (and a quantity fixed on the way): ${log.taps} taps, ${log.scroll} px of scrolling`);
      assert.equal((await placement(page, page.getByTestId('notice'))).scroll, 0, 'the second confirmation is inside the viewport');

      // The lock screen.
      await page.getByTestId('lock-now').tap();
      await page.getByTestId('unlock-pin').waitFor();
      await axe(page, `lock (${size})`);
      await unlock(page);
    });
  });
}

test('ui: "1,5" typed on a German phone is exactly 1.5 on the device and on the server', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, browser, onCleanup }) => {
    const context = await browser.newContext({ ...PHONE, locale: 'de-DE' });
    onCleanup(() => context.close());
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await page.getByTestId('outlet-search').fill(outletId);
    await page.locator(`[data-testid="outlet-item"][data-outlet-id="${outletId}"]`).tap();
    // A product sold by weight (3 decimals) whose price in cents is even, so 1.5 of it is a
    // whole cent.
    let sku;
    for (let i = 0; i < 10 && !sku; i++) {
      await page.getByTestId('product-search').fill(`SKU-000${i}`);
      sku = await page.locator('[data-testid="product-item"]').evaluateAll((els) =>
        els.map((e) => ({ sku: e.dataset.sku, price: e.dataset.price, places: Number(e.dataset.places) })).find((p) => p.places > 0 && /^\d+\.\d[02468]$/.test(p.price ?? ''))?.sku,
      );
    }
    assert.ok(sku, 'a product with an even price in cents');
    const price = await page.locator(`[data-testid="product-item"][data-sku="${sku}"]`).getAttribute('data-price');
    await page.locator(`[data-testid="product-item"][data-sku="${sku}"] [data-testid="add-product"]`).tap();
    const qty = page.locator(`[data-testid="order-line"][data-sku="${sku}"] [data-testid="line-qty"]`);
    await qty.fill('1,5');
    await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.disabled);
    // 1.5 × price, in whole cents, by integer arithmetic.
    const cents = BigInt(price.replace('.', '')) * 3n / 2n;
    const expected = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
    const net = await page.locator(`[data-testid="order-line"][data-sku="${sku}"] [data-testid="line-net"]`).getAttribute('data-amount');
    assert.equal(net, expected, `1,5 × ${price} = ${expected}`);
    assert.equal(await qty.getAttribute('aria-invalid'), null, '"1,5" is not marked invalid');
    const shown = await page.getByTestId('totals-subtotal').textContent();
    assert.match(shown ?? '', /,\d\d/, `German money uses a decimal comma: ${shown}`);
    const subtotal = await page.getByTestId('totals-subtotal').getAttribute('data-amount');
    assert.equal(subtotal, expected);
    await page.getByTestId('commit-order').tap();
    await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved on this device'));
    const orderId = await page.getByTestId('notice').getAttribute('data-order-id');
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-badge"]')?.textContent?.trim() === '0', null, { timeout: 60_000 }).catch(async (err) => {
      t.diagnostic(await page.evaluate(() => `${document.querySelector('.topbar')?.textContent} | ${document.querySelector('[data-testid="order-list"]')?.textContent}`));
      throw err;
    });
    const stored = (await serverOrders(server.url)).find((o) => o.order_id === orderId);
    assert.ok(stored, 'the order reached the server');
    assert.equal(stored.subtotal, expected, "the server's recomputed subtotal is 1.5 × the price");
    t.diagnostic(`"1,5" × ${price}: device and server ${expected}`);
  });
});
