// The browser clears the site's storage (the user's "Clear data", a storage-pressure eviction)
// while orders wait to sync. The app must say plainly that those orders are gone from this
// device, naming how many, and never claim "All synced" for a store it cannot read.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signIn, takeOrder, waitForBadge } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

test('storage cleared: orders waiting to sync are reported lost, never "All synced"', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await context.setOffline(true);
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00022', quantity: 1 }] });
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00023', quantity: 2 }] });
    await waitForBadge(page, 2);

    // The browser wipes IndexedDB under the running app.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(server.url).origin, storageTypes: 'indexeddb' });
    await page.getByTestId('sync-now').click();
    const lost = page.getByTestId('storage-lost');
    await lost.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await lost.textContent()) ?? '';
    t.diagnostic(`shown: ${text}`);
    assert.match(text, /2 orders/);
    assert.match(text, /cleared/i);
    const sync = (await page.getByTestId('sync-text').textContent()) ?? '';
    assert.doesNotMatch(sync, /all synced/i, `the header does not claim all synced: ${sync}`);
    assert.notEqual((await page.getByTestId('pending-badge').textContent())?.trim(), '0');
  });
});
