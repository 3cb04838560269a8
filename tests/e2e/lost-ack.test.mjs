// The flaky link: the server commits a push but its answer never reaches the browser. The
// device retries; the server recognises the replay; every order exists exactly once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBy, serverOrders } from './support/api.mjs';
import { orderItems, signIn, takeOrder, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { startProxy } from './support/proxy.mjs';
import { scenario } from './support/scenario.mjs';

test('lost ack: a push answered by the server but lost on the way is retried without duplicates', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, page, onCleanup }) => {
    const proxy = await startProxy(server.url);
    onCleanup(() => proxy.close());

    await page.goto(`${proxy.url}/`); // the page's origin is the proxy, so the API goes through it
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);

    proxy.dropNextPushResponses(1);
    const taken = [];
    taken.push(await takeOrder(page, { outletId: 'OUT-0001', lines: [{ sku: 'SKU-00001', quantity: 4 }] }));
    taken.push(await takeOrder(page, { outletId: 'OUT-0002', lines: [{ sku: 'SKU-00022', quantity: 2 }, { sku: 'SKU-00023', quantity: 1 }] }));

    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="order-item"]')].every((e) => e.getAttribute('data-status') === 'synced'),
      null,
      { timeout: 15_000 },
    );
    const shown = await orderItems(page);
    assert.deepEqual(new Set(shown.map((o) => o.id)), new Set(taken.map((o) => o.orderId)));

    // The fault really happened, and the device really retried.
    t.diagnostic(`proxy counters: ${JSON.stringify(proxy.counters)}`);
    assert.ok(proxy.counters.pushResponsesDropped >= 1, `dropped ${proxy.counters.pushResponsesDropped} push responses`);
    assert.ok(proxy.counters.pushRequests >= 2, `saw ${proxy.counters.pushRequests} push requests`);
    assert.ok(proxy.counters.pushStatuses.every((s) => s === 200), `push statuses ${proxy.counters.pushStatuses}`);

    // Straight from the server: each order exactly once, with the totals the device showed.
    const orders = await serverOrders(server.url);
    assert.equal(orders.length, 2, `server holds exactly 2 orders: ${JSON.stringify(orders.map((o) => o.order_id))}`);
    for (const [id, n] of countBy(orders, 'order_id')) assert.equal(n, 1, `order ${id} stored once`);
    for (const { orderId, totals } of taken) {
      const stored = orders.find((o) => o.order_id === orderId);
      assert.ok(stored, `order ${orderId} reached the server`);
      assert.equal(String(stored.total), totals.total, `total of ${orderId}`);
    }
  });
});
