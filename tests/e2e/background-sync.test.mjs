// Background Sync: an order taken offline reaches the server through the service worker after
// the app was closed, with no page of the app open; reopening the app then acknowledges it (the
// page's own push is answered `duplicate`), so it is on the server once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverOrders } from './support/api.mjs';
import { canReachServer, signIn, takeOrder, unlock, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

test('background sync: the service worker uploads the sealed outbox with no app page open', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForServiceWorker(page);
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await context.setOffline(true);
    assert.equal(await canReachServer(page), false);
    const { orderId, totals } = await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00025', quantity: 3 }] });
    // The app closes (the rep locks the phone); nothing of the app runs but its service worker.
    await page.close({ runBeforeUnload: false });
    assert.equal((await serverOrders(server.url)).some((o) => o.order_id === orderId), false, 'not there while offline');
    // Back online with no app page open: Chromium fires the registered sync on reconnect by itself;
    // CDP fires it too, in case the browser deferred it.
    await context.setOffline(false);
    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    const registrations = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const deadline = Date.now() + 10_000;
    while (!registrations.some((r) => r.scopeURL.startsWith(server.url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const reg = registrations.find((r) => r.scopeURL.startsWith(server.url));
    assert.ok(reg, 'the app has a service worker registration');
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: new URL(server.url).origin, registrationId: reg.registrationId, tag: 'satchel-push', lastChance: false });
    let stored;
    for (let i = 0; i < 100 && !stored; i++) {
      stored = (await serverOrders(server.url)).find((o) => o.order_id === orderId);
      if (!stored) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(stored, 'the service worker delivered the order with no app page open');
    assert.equal(String(stored.total), totals.total);

    // The app opens again: its push is answered `duplicate`, the outbox empties, once on the server.
    await blank.goto(`${server.url}/`);
    await unlock(blank);
    await waitForBadge(blank, 0, SYNC_TIMEOUT);
    await blank.waitForFunction(
      (id) => document.querySelector(`[data-testid="order-item"][data-order-id="${id}"]`)?.getAttribute('data-status') === 'synced',
      orderId,
    );
    assert.equal((await serverOrders(server.url)).filter((o) => o.order_id === orderId).length, 1);
  });
});
