// One tab leads the sync: two tabs of the same workspace both take orders, only the leader
// pushes (so no mutation is ever sent twice), the follower shows the leader's status, and when
// the leader's tab closes the other takes over.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverOrders } from './support/api.mjs';
import { signIn, takeOrder, unlock, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

async function metric(baseUrl, name) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('tabs: one leader pushes, the follower follows, and takes over when the leader closes', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await page.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.leader === 'true');

    const second = await context.newPage();
    await second.goto(`${server.url}/`);
    await unlock(second);
    await second.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.leader === 'false');

    const outlets = await page.getByTestId('outlet-item').evaluateAll((els) => els.slice(0, 4).map((e) => e.getAttribute('data-outlet-id')));
    const ids = [];
    // Interleaved commits from both tabs into the one outbox.
    for (let i = 0; i < 4; i++) {
      const tab = i % 2 === 0 ? second : page;
      const sku = ["SKU-00001", "SKU-00022", "SKU-00023", "SKU-00025"][i];
      ids.push((await takeOrder(tab, { outletId: outlets[i], lines: [{ sku, quantity: i + 1 }] })).orderId);
    }
    // The follower's orders were pushed by the leader; both tabs see the outbox empty.
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await waitForBadge(second, 0, SYNC_TIMEOUT);
    const onServer = (await serverOrders(server.url)).filter((o) => ids.includes(o.order_id));
    assert.equal(onServer.length, 4, 'all four orders arrived');
    assert.equal(await metric(server.url, 'satchel_mutations_total{outcome="duplicate"}'), 0, 'no mutation was sent twice');
    assert.equal(await metric(server.url, 'satchel_mutations_total{outcome="applied"}'), 4);

    // Locking one tab locks the other: the data key leaves both.
    await second.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor({ timeout: 10_000 });
    await second.getByTestId('lock-screen').waitFor();
    await unlock(second);

    // The leader's tab closes: the follower takes the lock and syncs on its own.
    await page.close();
    await second.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.leader === 'true', null, { timeout: 30_000 });
    const last = await takeOrder(second, { outletId: outlets[0], lines: [{ sku: 'SKU-00007', quantity: 2 }] });
    await waitForBadge(second, 0, SYNC_TIMEOUT);
    const all = await serverOrders(server.url);
    assert.equal(all.filter((o) => o.order_id === last.orderId).length, 1);
  });
});
