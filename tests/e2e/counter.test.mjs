// The counter, offline for a whole shift on a 1280x800 counter tablet: open with a counted
// float, 50 sales (scanner bursts, quick keys, search, a weighed item, split tenders, a card
// with and without its approval, a discount over the cashier's cap refused), 3 refunds against
// receipts, a paid-out, a reload and a killed tab in the middle, close with a counted drawer.
// Then online: the server holds every receipt once, its recomputed Z report equals the
// device's to the cent, and the variance is what was counted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJson, registerDevice, supervisorToken } from './support/api.mjs';
import { assertAccessible } from './support/axe.mjs';
import { signIn, unlock, waitForBadge, waitForServiceWorker } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const TABLET = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: true, serviceWorkers: 'allow' };
const tid = (page, id) => page.getByTestId(id);

/** The products, straight from the server: barcodes and units (read as rep1: registering a
 * second cashier device would lease it the register's first receipt numbers). */
async function shopProducts(baseUrl) {
  const token = await registerDevice(baseUrl, 'rep1', 'rep1-demo', 'e2e reference');
  const res = await fetch(`${baseUrl}/api/v1/reference`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const body = await res.json();
  return new Map(body.sales.products.map((p) => [p.sku, p]));
}

/** A keyboard-wedge scanner: the code's digits as one fast burst, then Enter. */
async function scan(page, code) {
  await page.keyboard.type(code, { delay: 0 });
  await page.keyboard.press('Enter');
}

async function lineCount(page) {
  return page.getByTestId('cart-line').count();
}

async function waitForTotal(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="cart-total"]')?.getAttribute('data-amount');
    const b = document.querySelector('[data-testid="tender"]');
    return t && b && !b.disabled;
  });
}

/** Tenders the cart: each `[kind, amount, reference]` (amount '' = what is left), then
 * completes; returns the receipt's number and figures. */
async function tender(page, tenders) {
  await tid(page, 'tender').click();
  await tid(page, 'tender-panel').waitFor();
  for (const [kind, amount, reference] of tenders) {
    await tid(page, 'tender-amount').fill(amount);
    await tid(page, 'tender-reference').fill(reference ?? '');
    await tid(page, `add-${kind}`).click();
  }
  await page.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled, null, { timeout: 10_000 }).catch(async (err) => {
    const panel = await tid(page, 'tender-panel').textContent();
    throw new Error(`the sale cannot complete with ${JSON.stringify(tenders)}: ${panel}`, { cause: err });
  });
  const change = await tid(page, 'tender-change').getAttribute('data-amount');
  await tid(page, 'complete-sale').click();
  await tid(page, 'receipt').waitFor();
  const receipt = tid(page, 'receipt');
  const out = { number: await receipt.getAttribute('data-number'), total: await tid(page, 'receipt-total').getAttribute('data-amount'), change };
  // Its number as a Code 39 barcode: 5 bars per character, with the start and stop characters.
  const barcode = receipt.getByTestId('receipt-barcode');
  assert.equal(await barcode.getAttribute('data-code'), out.number);
  assert.equal(await barcode.locator('rect').count(), 5 * (out.number.length + 2));
  await tid(page, 'new-sale').click();
  return out;
}

async function openCounter(page) {
  await unlock(page);
  await tid(page, 'counter').waitFor();
}

test('counter: a whole shift offline on a tablet, then the server holds every receipt once and the same Z report', { timeout: 600_000 }, async (t) => {
  await scenario(t, async ({ server, browser, onCleanup }) => {
    const products = await shopProducts(server.url);
    const code = (sku) => products.get(sku).barcodes[0];
    const context = await browser.newContext(TABLET);
    onCleanup(() => context.close());
    let page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    await signIn(page, 'cashier1', 'cashier1-demo');
    await waitForServiceWorker(page);
    await tid(page, 'open-shift-panel').waitFor();
    assert.match((await tid(page, 'shift-info').textContent()) ?? '', /Register R1 · Cashier One · no shift open · \d+ receipt numbers left/);

    // Offline from the opening of the shift to its close.
    await context.setOffline(true);
    await tid(page, 'float-20').fill('5');
    await tid(page, 'float-1').fill('10');
    await tid(page, 'float-0.25').fill('8');
    await tid(page, 'open-shift').click();
    await tid(page, 'counter-search').waitFor();
    await assertAccessible(page, 'counter: sell');

    const receipts = [];
    const sell = async (i) => {
      // A scanner burst adds the product wherever the focus is; a second scan adds one more.
      const sku = ['SKU-00001', 'SKU-00004', 'SKU-00005', 'SKU-00007'][i % 4];
      await scan(page, code(sku));
      await page.locator(`[data-testid="cart-line"][data-sku="${sku}"]`).waitFor();
      if (i % 3 === 0) {
        await scan(page, code(sku));
        await page.waitForFunction((s) => document.querySelector(`[data-testid="cart-line"][data-sku="${s}"] [data-testid="line-qty"]`)?.value === '2', sku);
      }
      if (i % 5 === 0) await tid(page, 'quick-key').nth(3).click();
      if (i % 7 === 0) {
        // Searched by name, chosen from the hits.
        await tid(page, 'counter-search').fill('SKU-00010');
        await page.locator('[data-testid="counter-hit"][data-sku="SKU-00010"]').click();
      }
      await waitForTotal(page);
      const kinds = i % 10;
      if (kinds === 1) return tender(page, [['card', '', `AUTH-${i}`]]);
      if (kinds === 2) return tender(page, [['card', '0.50', ''], ['cash', '']]); // split, card pending
      if (kinds === 3) return tender(page, [['mobile_money', '0.25', `MM-${i}`], ['cash', '1000']]);
      if (kinds === 4) return tender(page, [['cash', '1000']]);
      return tender(page, [['cash', '']]);
    };

    for (let i = 0; i < 20; i++) receipts.push(await sell(i));
    assert.equal(receipts[0].number, 'R1-0000001');
    assert.ok(receipts.some((r) => r.change && r.change !== '0'), 'cash over the total gives change');

    // A weighed item (kilograms, three decimals) and a discount over the cashier's 10 % cap.
    await tid(page, 'quick-key').nth(1).click(); // SKU-00002, sold by the kilogram
    const kg = page.locator('[data-testid="cart-line"][data-sku="SKU-00002"] [data-testid="line-qty"]');
    await kg.fill('0.735');
    await kg.press('Tab');
    await waitForTotal(page);
    const disc = page.locator('[data-testid="cart-line"][data-sku="SKU-00002"] [data-testid="line-discount"]');
    await disc.fill('15');
    await disc.press('Tab');
    await tid(page, 'cart-problem').waitFor();
    assert.match((await tid(page, 'cart-problem').textContent()) ?? '', /discount/i);
    assert.equal(await tid(page, 'tender').isDisabled(), true, 'a discount over the cap cannot be tendered');
    await disc.fill('5');
    await disc.press('Tab');
    await waitForTotal(page);
    // Each line shows the engine's taxes by code (zero-rated groceries: 0.00).
    assert.match((await page.locator('[data-testid="cart-line"][data-sku="SKU-00002"] [data-testid="line-taxes"]').textContent()) ?? '', /HST-FED/);
    receipts.push(await tender(page, [['cash', '']]));

    // Reload in the middle of the shift: it opens locked, then carries on where it was.
    await page.reload();
    await openCounter(page);
    assert.match((await tid(page, 'shift-info').textContent()) ?? '', /21 sales/);
    for (let i = 21; i < 35; i++) receipts.push(await sell(i));

    // A killed tab: closed without warning, the next one carries on.
    await page.close();
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    await openCounter(page);
    assert.match((await tid(page, 'shift-info').textContent()) ?? '', /35 sales/);
    for (let i = 35; i < 50; i++) receipts.push(await sell(i));

    // 3 refunds against receipts: found by number (typed as a scanner would), part of a line.
    for (const [k, r] of [receipts[4], receipts[11], receipts[22]].entries()) {
      await tid(page, 'nav-refund').click();
      if (k === 0) {
        // Picked from the list, found by its number.
        await tid(page, 'refund-search').fill(r.number);
        await page.locator(`[data-testid="refund-hit"][data-number="${r.number}"]`).click();
      } else {
        // Scanned from the receipt's barcode: the scanner types the number and Enter into the
        // search, which has the focus.
        await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'refund-search');
        await page.keyboard.type(r.number, { delay: 0 });
        await page.keyboard.press('Enter');
      }
      await tid(page, 'refund-qty-0').fill('1');
      await tid(page, 'propose-refund').click();
      await tid(page, 'tender-panel').waitFor();
      await page.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled);
      await tid(page, 'complete-sale').click();
      await tid(page, 'receipt').waitFor();
      assert.match((await tid(page, 'receipt').textContent()) ?? '', new RegExp(`against receipt ${r.number}`));
      assert.equal(await tid(page, 'receipt-copy').count(), 0, 'the first print is no copy');
      await tid(page, 'reprint-receipt').click();
      await tid(page, 'receipt-copy').waitFor();
      await tid(page, 'new-sale').click();
    }
    // A paid-out with its reason.
    await tid(page, 'nav-cash').click();
    await tid(page, 'cash-kind').selectOption('paid_out');
    await tid(page, 'cash-amount').fill('12.50');
    await tid(page, 'cash-reason').fill('window cleaner');
    await tid(page, 'record-cash').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="counter-notice"]')?.textContent?.includes('Paid out'));

    // The X report, then the close with the drawer counted.
    await tid(page, 'nav-close').click();
    await tid(page, 'x-report').waitFor();
    assert.match((await tid(page, 'x-report-counts').textContent()) ?? '', /^50 sales, 3 refunds/);
    const expected = await tid(page, 'x-report-expected').getAttribute('data-amount');
    await tid(page, 'count-100').fill('3');
    await tid(page, 'count-20').fill('7');
    await tid(page, 'count-0.05').fill('3');
    await tid(page, 'close-shift').click();
    await tid(page, 'z-report').waitFor();
    const z = {
      expected: await tid(page, 'z-report-expected').getAttribute('data-amount'),
      counted: await tid(page, 'z-report-counted').getAttribute('data-amount'),
      variance: await tid(page, 'z-report-variance').getAttribute('data-amount'),
      net: await tid(page, 'z-report-net').getAttribute('data-amount'),
    };
    assert.equal(z.expected, expected, 'the Z report expects what the X report did');
    assert.equal(z.counted, '440.15');
    t.diagnostic(`Z report: ${JSON.stringify(z)}`);
    const pending = Number(await tid(page, 'pending-badge').textContent());
    assert.equal(pending, 1 + 50 + 3 + 1 + 1, 'open, 50 sales, 3 refunds, the paid-out and the close wait to sync');

    // Online: everything goes up, once.
    await context.setOffline(false);
    await tid(page, 'sync-now').click();
    await waitForBadge(page, 0, 120_000);
    const token = await supervisorToken(server.url);
    const list = await getJson(server.url, '/api/v1/shifts', token);
    assert.equal(list.shifts.length, 1);
    const shift = list.shifts[0];
    assert.equal(shift.receipts, 53, 'every receipt once');
    assert.equal(shift.flagged, false, `the server's Z report equals the device's: ${JSON.stringify(shift.differences)}`);
    assert.deepEqual(shift.differences, []);
    assert.equal(shift.counted_cash, z.counted);
    assert.equal(shift.variance, z.variance, 'the variance is what was counted');
    const detail = await getJson(server.url, `/api/v1/shifts/${shift.shift_id}`, token);
    assert.deepEqual(detail.server_report, detail.device_report, 'recomputed to the cent');
    assert.equal(detail.server_report.net_total, z.net);
    assert.deepEqual(detail.server_report.receipt_range, ['R1-0000001', 'R1-0000053'], 'gap-free');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /satchel_receipts_total\{kind="sale"\} 50/);
    assert.match(metrics, /satchel_receipts_total\{kind="refund"\} 3/);

    // The supervisor sees the shift and its variance on their screen.
    const desk = await browser.newContext(TABLET);
    onCleanup(() => desk.close());
    const sup = await desk.newPage();
    await sup.goto(`${server.url}/`);
    await signIn(sup, 'super', 'super-demo');
    await sup.waitForFunction(() => document.querySelector('[data-testid="shifts-count"]')?.getAttribute('data-count') === '1');
    await tid(sup, 'shifts').locator('summary').click();
    const item = sup.locator('[data-testid="shift-item"]');
    assert.equal(await item.getAttribute('data-flagged'), 'false');
    assert.equal(await item.getByTestId('shift-variance').getAttribute('data-amount'), z.variance);
    assert.match((await item.textContent()) ?? '', /Register R1 · cashier1/);
    assert.deepEqual(errors, []);
  });
});

test('counter: park and resume, void, a known customer, paid-in and no-sale, an unknown code, the camera', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, browser, onCleanup }) => {
    const products = await shopProducts(server.url);
    const code = (sku) => products.get(sku).barcodes[0];
    const context = await browser.newContext(TABLET);
    onCleanup(() => context.close());
    // Chromium on Linux has no Barcode Detection API: a stand-in that "sees" one code in the
    // (fake) camera's frames, so the app's camera path runs for real around it.
    await context.addInitScript((seen) => {
      window.BarcodeDetector = class {
        async detect(video) {
          return video.srcObject ? [{ rawValue: '4006381333931' }, { rawValue: seen }] : [];
        }
      };
    }, code('SKU-00005'));
    // Linux Chromium has no share sheet either: a stand-in that keeps what the app shares.
    await context.addInitScript(() => {
      navigator.share = async (data) => {
        window.__shared = data;
      };
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await signIn(page, 'cashier1', 'cashier1-demo');
    await tid(page, 'float-20').fill('2');
    await tid(page, 'open-shift').click();
    await tid(page, 'counter-search').waitFor();

    // A cart of two products; the first is voided, the cart parked under a label.
    await scan(page, code('SKU-00001'));
    await scan(page, code('SKU-00004'));
    await page.locator('[data-testid="cart-line"][data-sku="SKU-00004"]').waitFor();
    await page.locator('[data-testid="cart-line"][data-sku="SKU-00001"] [data-testid="line-void"]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cart-line"]').length === 1);
    assert.equal(await page.locator('[data-testid="cart-line"][data-sku="SKU-00001"]').count(), 0, 'the voided line is gone from the screen');
    await waitForTotal(page);
    const parkedTotal = await tid(page, 'cart-total').getAttribute('data-amount');
    await tid(page, 'park-label').fill('red coat');
    await tid(page, 'park').click();
    await tid(page, 'resume-0').waitFor();
    assert.equal(await lineCount(page), 0, 'parking empties the cart for the next customer');

    // The next customer: a known customer with credit, their own sale; an unknown code is said.
    await tid(page, 'customer-select').selectOption('CUST-0002');
    await scan(page, '0000000000000');
    await page.waitForFunction(() => document.querySelector('[data-testid="counter-error"]')?.textContent?.includes('No product has the code'));
    await tid(page, 'quick-key').first().click();
    await waitForTotal(page);
    await tid(page, 'tender').click();
    await tid(page, 'tender-reference').fill('AUTH-1');
    await tid(page, 'add-card').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled);
    await tid(page, 'complete-sale').click();
    await tid(page, 'receipt').waitFor();
    assert.match((await tid(page, 'receipt').textContent()) ?? '', /Customer: Harbour Café/);
    // Shared as text from the receipt on screen.
    await tid(page, 'share-receipt').click();
    const shared = await page.waitForFunction(() => window.__shared).then((h) => h.jsonValue());
    assert.equal(shared.title, 'Receipt R1-0000001');
    assert.match(shared.text, /SALE R1-0000001/);
    assert.match(shared.text, /card \(AUTH-1\)/);
    await tid(page, 'new-sale').click();
    await tid(page, 'nav-sell').click();

    // The parked cart comes back with its line and total, is sold, and leaves the parked list.
    await tid(page, 'resume-0').click();
    await page.locator('[data-testid="cart-line"][data-sku="SKU-00004"]').waitFor();
    await waitForTotal(page);
    assert.equal(await tid(page, 'cart-total').getAttribute('data-amount'), parkedTotal);
    await tender(page, [['cash', '']]);
    await tid(page, 'nav-sell').click();
    assert.equal(await tid(page, 'resume-0').count(), 0, 'a sold parked cart is no longer parked');

    // A cart voided whole uses no receipt number.
    await tid(page, 'quick-key').nth(2).click();
    await waitForTotal(page);
    await tid(page, 'void-cart').click();
    assert.equal(await lineCount(page), 0);

    // Paid-in and a no-sale with reasons; a movement without a reason is refused in plain words.
    await tid(page, 'nav-cash').click();
    await tid(page, 'cash-kind').selectOption('no_sale');
    await tid(page, 'record-cash').click();
    await page.waitForFunction(() => /reason/i.test(document.querySelector('[data-testid="cash-error"]')?.textContent ?? ''));
    await tid(page, 'cash-reason').fill('change for a customer');
    await tid(page, 'record-cash').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="counter-notice"]')?.textContent?.includes('no sale'));
    await tid(page, 'nav-cash').click();
    await tid(page, 'cash-kind').selectOption('paid_in');
    await tid(page, 'cash-amount').fill('20');
    await tid(page, 'cash-reason').fill('coins from the bank');
    await tid(page, 'record-cash').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="counter-notice"]')?.textContent?.includes('Paid in'));

    // A return without a receipt: the demo asks for a manager's PIN (checked on the device,
    // proved to the server). A wrong PIN is refused in plain words and pays nothing out.
    await tid(page, 'nav-refund').click();
    await tid(page, 'no-receipt-return').click();
    await tid(page, 'return-banner').waitFor();
    await tid(page, 'quick-key').first().click();
    await waitForTotal(page);
    await tid(page, 'tender').click();
    await tid(page, 'manager-approval').waitFor();
    await tid(page, 'tender-amount').fill('');
    await tid(page, 'add-cash').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled);
    await tid(page, 'manager-select').selectOption('super');
    await tid(page, 'manager-pin').fill('000000');
    await tid(page, 'complete-sale').click();
    await page.waitForFunction(() => /wrong manager PIN/i.test(document.querySelector('[data-testid="tender-error"]')?.textContent ?? ''));
    assert.equal(await tid(page, 'manager-pin').inputValue(), '', 'the PIN is not kept on screen');
    await tid(page, 'manager-pin').fill('135790');
    await tid(page, 'complete-sale').click();
    await tid(page, 'receipt').waitFor();
    assert.match((await tid(page, 'receipt').textContent()) ?? '', /REFUND R1-0000003/);
    await tid(page, 'new-sale').click();

    // The camera: its first frames show a code no product has (said), then the product's.
    await tid(page, 'nav-sell').click();
    await tid(page, 'camera-scan').click();
    await page.locator('[data-testid="cart-line"][data-sku="SKU-00005"]').waitFor();
    await tid(page, 'camera-panel').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.querySelector('[data-testid="camera-video"]').srcObject), null, 'the camera is stopped');
    await tid(page, 'void-cart').click();

    // The shop's stock, derived from the server's figure and this device's receipts: one of
    // SKU-00004 sold (the resumed cart).
    await tid(page, 'counter-search').fill('SKU-00004');
    await page.locator('[data-testid="counter-hit"][data-sku="SKU-00004"]').waitFor();
    assert.match((await page.locator('[data-testid="counter-hit"][data-sku="SKU-00004"]').textContent()) ?? '', /499 in stock/);
    await tid(page, 'counter-search').fill('');

    await tid(page, 'nav-close').click();
    assert.match((await tid(page, 'x-report-counts').textContent()) ?? '', /^2 sales, 1 refund, 1 no-sale · receipts R1-0000001 – R1-0000003/);
    assert.equal(await tid(page, 'x-report-paid-in').getAttribute('data-amount'), '20');
    await assertAccessible(page, 'counter: shift report');

    // Online all along: the server took the three receipts, the manager-approved return too.
    await waitForBadge(page, 0);
    const token = await supervisorToken(server.url);
    const list = await getJson(server.url, '/api/v1/shifts', token);
    assert.equal(list.shifts[0].receipts, 3, 'the server applied every receipt, the approved return included');
  });
});
