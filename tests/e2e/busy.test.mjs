// A busy server: it answers a push `503 busy` with `Retry-After` (as it does when its database
// is contended or its disk is full). The device waits at least that long before it pushes
// again, whatever else wakes its sync loop meanwhile (an order committed, the network coming
// back), then sends everything in one go; each order reaches the server exactly once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBy, serverOrders } from './support/api.mjs';
import { signIn, takeOrder, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const RETRY_AFTER_S = 6;

test('busy server: the device honours Retry-After, then delivers every order once', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);

    /** When each push left the browser (ms, this process's clock) and what it was answered. */
    const pushes = [];
    let busyAnswers = 1;
    await page.route('**/api/v1/sync/push', async (route) => {
      const at = Date.now();
      if (busyAnswers > 0) {
        busyAnswers -= 1;
        pushes.push({ at, status: 503 });
        return route.fulfill({
          status: 503,
          headers: { 'retry-after': String(RETRY_AFTER_S) },
          contentType: 'application/json',
          json: { code: 'busy', message: 'the server is busy; try again shortly' },
        });
      }
      const response = await route.fetch();
      pushes.push({ at, status: response.status() });
      return route.fulfill({ response });
    });

    const first = await takeOrder(page, { outletId: 'OUT-0001', lines: [{ sku: 'SKU-00001', quantity: 3 }] });
    await page.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.phase === 'backing_off', null, { timeout: 15_000 });
    assert.equal(pushes.length, 1, 'the first push was answered busy');
    const busyAt = pushes[0].at;
    // The status says why it waits: the server's own words.
    assert.match(await page.getByTestId('sync-phase').getAttribute('title'), /busy/);

    // Things that wake the loop at once after an ordinary failure: a commit, the network back.
    const second = await takeOrder(page, { outletId: 'OUT-0002', lines: [{ sku: 'SKU-00022', quantity: 2 }] });
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await waitForBadge(page, 2, 5_000);
    const woke = Date.now() - busyAt;
    assert.ok(woke < RETRY_AFTER_S * 1000, `the wakes came inside the server's wait (${woke} ms)`);

    await waitForBadge(page, 0, SYNC_TIMEOUT);
    t.diagnostic(`pushes: ${JSON.stringify(pushes.map((p) => ({ after_ms: p.at - busyAt, status: p.status })))}`);
    assert.ok(pushes.length >= 2, 'the device pushed again');
    const retry = pushes[1].at - busyAt;
    // The timer is armed only once the 503 reached the page, after `busyAt`: it cannot fire
    // sooner (a few ms of slack for the two clocks' rounding).
    assert.ok(retry >= RETRY_AFTER_S * 1000 - 20, `the retry waited for Retry-After: ${retry} ms after the 503`);
    assert.equal(pushes[1].status, 200);

    const orders = await serverOrders(server.url);
    const counts = countBy(orders, 'order_id');
    for (const o of [first, second]) assert.equal(counts.get(o.orderId), 1, `order ${o.orderId} is on the server once`);
  });
});
