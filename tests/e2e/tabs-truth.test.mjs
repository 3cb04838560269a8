// Every tab tells the truth: two tabs of one device commit orders for the same outlet and
// product at the same time, online and then offline. While the orders wait, both tabs show the
// same van stock and credit (this device's orders taken off the server's figures once, not
// twice and not zero times). After sync and "Update prices and outlets", the follower tab and a
// fresh tab show exactly the server's figures, read from the server by a fresh pull.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerDevice } from './support/api.mjs';
import { addProduct, pickOutlet, signIn, unlock, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const SKU = 'SKU-00001';

/** Whole cents of a decimal string (exact: no floating point on money). */
function cents(text) {
  const [whole, frac = ''] = text.split('.');
  const sign = whole.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(whole.replace('-', '')) * 100n + BigInt((frac + '00').slice(0, 2)));
}

/** The server's figures for rep1, as a fresh device of rep1 pulls them. */
async function serverFigures(baseUrl, outletId) {
  const token = await registerDevice(baseUrl, 'rep1', 'rep1-demo', 'e2e figures');
  let checkpoint = '';
  let van;
  let outlet;
  for (;;) {
    const q = checkpoint ? `&checkpoint=${encodeURIComponent(checkpoint)}` : '';
    const page = await (await fetch(`${baseUrl}/api/v1/sync/pull?limit=2000${q}`, { headers: { authorization: `Bearer ${token}` } })).json();
    for (const c of page.changes) {
      if (c.entity === 'van_stock' && c.key === SKU) van = c.data.available;
      if (c.entity === 'outlet' && c.key === outletId) outlet = c.data;
    }
    if (!page.has_more) break;
    checkpoint = page.checkpoint;
  }
  return { van, available: cents(outlet.credit.limit) - cents(outlet.credit.outstanding) };
}

/** What a tab shows: the van's stock of SKU and the outlet's available credit. */
async function shown(page, outletId) {
  await pickOutlet(page, outletId);
  await page.getByTestId('product-search').fill(SKU);
  const item = page.locator(`[data-testid="product-item"][data-sku="${SKU}"]`);
  await item.waitFor();
  const stock = await item.getAttribute('data-stock');
  const available = await page.locator('[data-testid="chosen-outlet"] [data-testid="outlet-credit"]').getAttribute('data-available');
  return { stock, available: cents(available ?? 'NaN') };
}

async function commitOne(page, outletId, quantity) {
  await pickOutlet(page, outletId);
  await addProduct(page, SKU, quantity);
  await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.hasAttribute('disabled'));
  await page.getByTestId('commit-order').click();
  await page.waitForFunction(() => {
    const n = document.querySelector('[data-testid="notice"]');
    return n && !n.hidden && n.textContent?.includes('saved on this device');
  });
}

test('tabs truth: two tabs commit together online and offline; every tab shows the server figures after sync', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    const second = await context.newPage();
    await second.goto(`${server.url}/`);
    await unlock(second);
    await second.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.leader === 'false');
    const outletId = await page.evaluate(() => {
      const item = [...document.querySelectorAll('[data-testid="outlet-item"]')].find((e) => e.querySelector('[data-testid="outlet-credit"]'));
      return item?.getAttribute('data-outlet-id');
    });
    assert.ok(outletId, 'an outlet with credit');
    const before = await serverFigures(server.url, outletId);
    const start = await shown(page, outletId);
    assert.equal(start.stock, before.van, 'at first the device shows the server van');
    assert.equal(start.available, before.available, 'and the server credit');

    // Online: both tabs commit at once.
    await Promise.all([commitOne(page, outletId, 2), commitOne(second, outletId, 3)]);
    // Offline: both again.
    await context.setOffline(true);
    await Promise.all([commitOne(page, outletId, 1), commitOne(second, outletId, 4)]);
    // While offline the two tabs agree, each counting all four orders once.
    const a = await shown(page, outletId);
    const b = await shown(second, outletId);
    assert.equal(a.stock, b.stock, `both tabs show the same van (${a.stock} / ${b.stock})`);
    assert.equal(a.available, b.available, 'both tabs show the same credit');
    assert.equal(BigInt(a.stock) + 10n, BigInt(start.stock), 'the van less the 10 units the four orders took, once');
    assert.ok(a.available < start.available, 'the orders count against the credit');

    await context.setOffline(false);
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await waitForBadge(second, 0, SYNC_TIMEOUT);
    await page.getByTestId('refresh-reference').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="reference-as-of"]')?.dataset.refreshed);
    const after = await serverFigures(server.url, outletId);
    assert.equal(BigInt(after.van) + 10n, BigInt(before.van), 'the server took the 10 units');

    const leader = await shown(page, outletId);
    assert.deepEqual(leader, { stock: after.van, available: after.available }, 'the leader tab shows the server figures');
    // The follower re-reads what the leader's pull wrote when the leader tells it (a message
    // between tabs): give it a moment, then it must match.
    let follower;
    for (let i = 0; i < 20; i++) {
      follower = await shown(second, outletId);
      if (follower.stock === after.van && follower.available === after.available) break;
      await second.waitForTimeout(500);
    }
    assert.deepEqual(follower, { stock: after.van, available: after.available }, 'the follower tab shows the server figures');
    const fresh = await context.newPage();
    await fresh.goto(`${server.url}/`);
    await unlock(fresh);
    const third = await shown(fresh, outletId);
    assert.deepEqual(third, { stock: after.van, available: after.available }, 'a fresh tab shows the server figures');
    t.diagnostic(`van ${before.van} → ${after.van}; credit available ${before.available} → ${after.available} cents`);
  });
});
