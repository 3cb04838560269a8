// The basement, part two: three orders taken offline survive a reload offline, then reach the
// server exactly once each when the network comes back, with the totals the device showed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBy, serverOrders } from './support/api.mjs';
import { badge, canReachServer, orderItems, signIn,
  unlock, takeOrder, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

// Three different outlets from the rep's own list (the demo data puts rep1 on some routes only).
const orderPlan = (outletIds) => [
  { outletId: outletIds[0], lines: [{ sku: 'SKU-00001', quantity: 3 }, { sku: 'SKU-00022', quantity: 1 }] },
  { outletId: outletIds[1], lines: [{ sku: 'SKU-00023', quantity: 7 }] },
  { outletId: outletIds[2], lines: [{ sku: 'SKU-00025', quantity: 2 }, { sku: 'SKU-00004', quantity: 5 }] },
];

test('offline orders: three orders survive an offline reload and sync exactly once with equal totals', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForServiceWorker(page);
    const outletIds = await page.getByTestId('outlet-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-outlet-id')));
    assert.ok(outletIds.length >= 3, `rep1 has at least three outlets (${outletIds.length})`);
    const ORDERS = orderPlan(outletIds);

    await context.setOffline(true);
    assert.equal(await canReachServer(page), false, 'the server is unreachable once offline');

    const taken = [];
    for (const order of ORDERS) taken.push(await takeOrder(page, order));
    assert.equal(new Set(taken.map((o) => o.orderId)).size, 3, 'three distinct order ids');
    assert.equal(await badge(page), '3');

    // Reload offline: nothing lost.
    await page.reload();
    await unlock(page);
    // The badge shows the outbox once the reloaded page's first status arrives (it renders before).
    await waitForBadge(page, 3, 10_000);
    assert.match((await page.getByTestId('sync-text').textContent()) ?? '', /3 orders waiting to sync/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="order-item"]').length === 3);
    const pending = await orderItems(page);
    assert.equal(pending.length, 3);
    assert.deepEqual(pending.map((o) => o.status), ['pending', 'pending', 'pending']);
    assert.deepEqual(new Set(pending.map((o) => o.id)), new Set(taken.map((o) => o.orderId)));

    // Back online: the badge returns to zero and every order shows synced.
    await context.setOffline(false);
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    assert.equal((await page.getByTestId('sync-text').textContent())?.trim(), 'All synced');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="order-item"]')].every((e) => e.getAttribute('data-status') === 'synced'),
      null,
      { timeout: 15_000 },
    );

    // The sync panel: nothing waits, and three commit-to-server latencies were measured.
    await page.getByTestId('sync-panel').locator('summary').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-latency"]')?.dataset.samples === '3');
    assert.equal((await page.getByTestId('panel-pending').textContent())?.trim(), '0');
    assert.match((await page.getByTestId('panel-latency').textContent()) ?? '', /\/.*\(3 orders\)/);
    assert.equal((await page.getByTestId('panel-attention').textContent())?.trim(), 'nothing');

    // The server holds exactly these three orders, once each, with the device's totals.
    const orders = await serverOrders(server.url);
    assert.equal(orders.length, 3, `server holds exactly 3 orders: ${JSON.stringify(orders.map((o) => o.order_id))}`);
    for (const [id, n] of countBy(orders, 'order_id')) assert.equal(n, 1, `order ${id} stored once`);
    for (const { orderId, totals } of taken) {
      const stored = orders.find((o) => o.order_id === orderId);
      assert.ok(stored, `order ${orderId} reached the server`);
      assert.equal(stored.username, 'rep1');
      assert.equal(String(stored.subtotal), totals.subtotal, `subtotal of ${orderId}`);
      assert.equal(String(stored.tax), totals.tax, `tax of ${orderId}`);
      assert.equal(String(stored.total), totals.total, `total of ${orderId}`);
    }
    assert.deepEqual(
      new Set(orders.map((o) => o.outlet_id)),
      new Set(ORDERS.map((o) => o.outletId)),
      'each order belongs to the outlet it was taken for',
    );
  });
});
