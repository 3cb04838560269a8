// A deploy while a rep is in the field: two orders wait in the outbox, a new version of the app
// is published, and the app says so instead of applying it under the rep's hands. Nothing reloads
// until "Update now"; then the page reloads once onto the new version and the two orders, still
// queued, reach the server exactly once.
//
// The server serves a copy of SATCHEL_WWW_DIR (the "installed" version). The new version is a
// second build (www/build.mjs with SATCHEL_DIST and a SATCHEL_BUILD_TAG baked into the bundle,
// hence a new sw.js version); deploying it is copying it over the served copy, as a static host
// would. The page goes through the fault proxy, which refuses every push with a 503 until the
// update is done, so the orders are still in the outbox when the new version takes over.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countBy, serverOrders } from './support/api.mjs';
import { badge, canReachServer, orderItems, signIn, takeOrder, unlock, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT } from './support/app.mjs';
import { startProxy } from './support/proxy.mjs';
import { scenario } from './support/scenario.mjs';
import { WWW_DIR } from './support/server.mjs';

const BUILD = fileURLToPath(new URL('../../www/build.mjs', import.meta.url));
const report = (dir) => JSON.parse(readFileSync(join(dir, 'build-report.json'), 'utf8'));

/** The app's shell caches, the build tag of the running page, and whether a worker waits. */
const versionInfo = (page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return {
      caches: (await caches.keys()).filter((n) => n.startsWith('satchel-shell-')).sort(),
      build: document.documentElement.dataset.build ?? null,
      waiting: Boolean(reg?.waiting),
      controlled: Boolean(navigator.serviceWorker.controller),
    };
  });

/** A value set on `window`: it survives anything but a reload. */
const setMarker = (page, value) => page.evaluate((v) => (window.__e2eMarker = v), value);
const marker = (page) => page.evaluate(() => window.__e2eMarker ?? null);

test('update: a deploy waits for "Update now", never reloads by itself, and the queued orders survive it', { timeout: 240_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'satchel-update-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const live = join(work, 'live');
  const next = join(work, 'next');
  cpSync(WWW_DIR, live, { recursive: true });
  const tag = `e2e-next-${process.pid}-${Date.now()}`;
  execFileSync(process.execPath, [BUILD], { env: { ...process.env, SATCHEL_DIST: next, SATCHEL_BUILD_TAG: tag }, stdio: 'pipe' });
  const before = report(live);
  const after = report(next);
  assert.notEqual(after.version, before.version, 'the second build is a new version');

  await scenario(
    t,
    async ({ server, context, page, onCleanup }) => {
      const proxy = await startProxy(server.url);
      onCleanup(() => proxy.close());
      await page.goto(`${proxy.url}/`); // the page's origin is the proxy: pushes can be held back
      await signIn(page, 'rep1', 'rep1-demo');
      await waitForServiceWorker(page);
      const installed = await versionInfo(page);
      assert.deepEqual(installed.caches, [`satchel-shell-${before.version}`], 'the first install activated at once, no prompt');
      assert.notEqual(installed.build, tag);
      assert.equal(await page.getByTestId('update-ready').count(), 0, 'no banner on the first install');

      // Two orders taken offline.
      const outletIds = await page.getByTestId('outlet-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-outlet-id')));
      await context.setOffline(true);
      assert.equal(await canReachServer(page), false);
      const taken = [
        await takeOrder(page, { outletId: outletIds[0], lines: [{ sku: 'SKU-00001', quantity: 3 }] }),
        await takeOrder(page, { outletId: outletIds[1], lines: [{ sku: 'SKU-00023', quantity: 2 }] }),
      ];
      assert.equal(await badge(page), '2');

      // Meanwhile the new version is deployed, and pushes are refused until it is applied.
      cpSync(next, live, { recursive: true, force: true });
      proxy.setPushPlan({ then: 'burst_5xx' });
      await setMarker(page, 'no reload yet');

      // Back online: the page finds the new version (the `online` check) and says so.
      await context.setOffline(false);
      const banner = page.getByTestId('update-ready');
      await banner.waitFor({ timeout: 60_000 });
      assert.equal(await banner.getAttribute('role'), 'status');
      assert.match((await banner.textContent()) ?? '', /A new version is ready/);
      const button = page.getByTestId('update-now');
      assert.ok((await button.boundingBox()).height >= 48, 'the button is at least 48 px tall');
      // The page keeps running the old version online: its sync loop is refused at least once
      // while the banner shows, and the page has not reloaded.
      for (let i = 0; i < 100 && proxy.counters.fired.burst_5xx === 0; i++) await new Promise((r) => setTimeout(r, 200));
      assert.ok(proxy.counters.fired.burst_5xx > 0, 'the old version pushed while the banner showed (refused by the proxy)');
      assert.equal(await marker(page), 'no reload yet', 'nothing reloaded by itself');
      const waiting = await versionInfo(page);
      assert.equal(waiting.build, installed.build, 'still the old version');
      assert.equal(waiting.waiting, true, 'the new worker waits');
      assert.deepEqual(waiting.caches, [`satchel-shell-${after.version}`, `satchel-shell-${before.version}`].sort(), 'the new version is precached beside the old');
      assert.equal(await badge(page), '2', 'the two orders still wait');

      // The rep locks the phone; the banner stays above the lock screen and covers none of it.
      await page.getByTestId('lock-now').click();
      await page.getByTestId('lock-screen').waitFor();
      assert.equal(await banner.isVisible(), true, 'the banner shows on the lock screen');
      const bannerBox = await banner.boundingBox();
      assert.equal(bannerBox.y, 0, 'fixed at the top of the viewport');
      assert.ok((await page.getByTestId('lock-screen').boundingBox()).y >= bannerBox.y + bannerBox.height, 'the lock screen starts below it');

      // "Update now", from the lock screen: one reload onto the new version.
      await Promise.all([page.waitForEvent('load', { timeout: 30_000 }), button.click()]);
      await page.getByTestId('lock-screen').waitFor({ timeout: 30_000 });
      assert.equal(await marker(page), null, 'the page reloaded');
      await unlock(page);
      await setMarker(page, 'after the update');
      const updated = await versionInfo(page);
      assert.equal(updated.build, tag, 'the page runs the new build');
      assert.deepEqual(updated.caches, [`satchel-shell-${after.version}`], 'the old shell cache is gone');
      assert.equal(updated.waiting, false);
      assert.equal(updated.controlled, true);
      assert.equal(await page.getByTestId('update-ready').count(), 0, 'no banner on the new version');

      // The outbox survived the update: both orders still wait, then sync once the pushes pass.
      await waitForBadge(page, 2, 10_000);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="order-item"]').length === 2);
      const pending = await orderItems(page);
      assert.deepEqual(new Set(pending.map((o) => o.id)), new Set(taken.map((o) => o.orderId)));
      assert.deepEqual(pending.map((o) => o.status), ['pending', 'pending']);
      assert.equal((await serverOrders(server.url)).length, 0, 'nothing reached the server before the update');

      proxy.heal();
      await waitForBadge(page, 0, SYNC_TIMEOUT);
      const orders = await serverOrders(server.url);
      assert.equal(orders.length, 2, `exactly two orders on the server: ${JSON.stringify(orders.map((o) => o.order_id))}`);
      for (const [id, n] of countBy(orders, 'order_id')) assert.equal(n, 1, `order ${id} stored once`);
      for (const { orderId, totals } of taken) {
        assert.equal(String(orders.find((o) => o.order_id === orderId)?.total), totals.total, `total of ${orderId}`);
      }
      assert.equal(await marker(page), 'after the update', 'no second reload');
    },
    { wwwDir: live },
  );
});
