// The vault end to end: what lands in IndexedDB is unreadable; the workspace locks itself when
// left alone and unlocks with everything intact; wrong PINs are counted across reloads; and
// orders taken before the lock reach the server while the device stays locked.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rep1Reference, serverOrders } from './support/api.mjs';
import { addProduct, badge, canReachServer, pickOutlet, signIn, takeOrder, unlock, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT, TEST_PIN } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

/** Every key and value of every object store of the app's database, as text. */
async function rawDump(page) {
  return page.evaluate(
    () =>
      new Promise((res, rej) => {
        const open = indexedDB.open('satchel');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames];
          const tx = db.transaction(names, 'readonly');
          const parts = [];
          const text = (v) => {
            if (v instanceof Uint8Array || v instanceof ArrayBuffer) return String.fromCharCode(...new Uint8Array(v));
            return typeof v === 'string' ? v : JSON.stringify(v);
          };
          for (const n of names) {
            const s = tx.objectStore(n);
            s.getAllKeys().onsuccess = (e) => parts.push(...e.target.result.map(text));
            s.getAll().onsuccess = (e) => parts.push(...e.target.result.map(text));
          }
          tx.oncomplete = () => {
            db.close();
            res({ stores: names, text: parts.join('\n') });
          };
          tx.onerror = () => rej(tx.error);
        };
      }),
  );
}

const bodyText = (page) => page.evaluate(() => document.body.innerText);

test('vault: nothing readable at rest, idle lock keeps the draft, locked devices still sync', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    const reference = await rep1Reference(server.url);
    const [o1, o2] = reference.outlets;
    const [p1, p2] = reference.products;

    await page.goto(`${server.url}/?lock_after_ms=5000`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForServiceWorker(page);
    const a = await takeOrder(page, { outletId: o1.id, lines: [{ sku: p1.sku, quantity: 3 }] });
    const b = await takeOrder(page, { outletId: o2.id, lines: [{ sku: p2.sku, quantity: 7 }] });
    await waitForBadge(page, 0, SYNC_TIMEOUT);

    // 1. Nothing readable in IndexedDB: names, phones, addresses, SKUs, amounts, the token.
    const dump = await rawDump(page);
    assert.ok(dump.stores.includes('orders') && dump.text.length > 10_000, 'the dump holds the records');
    const secrets = [o1.name, o2.name, o1.phone, o2.phone, o1.address, p1.sku, p2.sku, p1.name, a.totals.total, b.totals.total, o1.id];
    for (const s of secrets) assert.equal(dump.text.includes(s), false, `${JSON.stringify(s)} appears in clear in IndexedDB`);

    // 2. Idle lock: a draft in progress, then no activity for the (test-shortened) timeout.
    await pickOutlet(page, o2.id);
    await addProduct(page, p1.sku, 4);
    await page.getByTestId('lock-screen').waitFor({ timeout: 20_000 });
    const locked = await bodyText(page);
    for (const s of [o2.name, p1.name, p1.sku]) assert.equal(locked.includes(s), false, `${s} is on the lock screen`);
    // A wrong PIN, then the right one: everything as it was, the draft included.
    await page.getByTestId('unlock-pin').fill('000000');
    await page.getByTestId('unlock').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="lock-screen"]')?.dataset.failed === '1');
    assert.match((await page.getByTestId('error').textContent()) ?? '', /Wrong PIN/);
    // Plain words; the code only in the details line; how many tries are left before a wait.
    assert.equal((await page.locator('[data-testid="error"] .words').textContent())?.trim(), 'Wrong PIN.');
    assert.match((await page.getByTestId('error-detail').textContent()) ?? '', /^wrong_pin: /);
    const left = page.getByTestId('lock-attempts-left');
    await left.waitFor();
    assert.equal(await left.getAttribute('data-left'), '4', 'core\'s policy: the 5th wrong PIN in a row brings the first wait');
    assert.match((await left.textContent()) ?? '', /^4 more wrong PINs and you will have to wait\.$/);
    await unlock(page);
    const qty = page.locator(`[data-testid="order-line"][data-sku="${p1.sku}"] [data-testid="line-qty"]`);
    assert.equal(await qty.inputValue(), '4', 'the draft survived the lock');
    assert.equal(await page.locator('[data-testid="order-item"]').count(), 2, 'the orders are listed again');

    // 3. Locked but syncing: an order taken offline, the device locked and reloaded (no key in
    //    memory at all), then the network comes back: the sealed entry reaches the server.
    await page.getByTestId('change-outlet').click();
    await context.setOffline(true);
    assert.equal(await canReachServer(page), false);
    const c = await takeOrder(page, { outletId: o1.id, lines: [{ sku: p2.sku, quantity: 2 }] });
    assert.equal(await badge(page), '1');
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    await page.reload();
    await page.getByTestId('lock-screen').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="lock-pending"]')?.dataset.pending === '1');
    await context.setOffline(false);
    await page.waitForFunction(() => document.querySelector('[data-testid="lock-pending"]')?.dataset.pending === '0', null, { timeout: SYNC_TIMEOUT });
    assert.equal(await page.getByTestId('lock-screen').isVisible(), true, 'still locked while it synced');
    const onServer = await serverOrders(server.url);
    const mine = onServer.filter((o) => [a.orderId, b.orderId, c.orderId].includes(o.order_id));
    assert.equal(mine.length, 3, 'every order reached the server once');
    assert.equal(mine.find((o) => o.order_id === c.orderId)?.total, c.totals.total, 'server total equals device total');
    // At unlock the answer received while locked is applied: the order shows synced.
    await unlock(page);
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="order-item"][data-order-id="${id}"]`)?.getAttribute('data-status') === 'synced',
      c.orderId,
    );
  });
});

test('vault: wrong-PIN delays survive a reload, and a PIN change takes effect', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');

    // Change the PIN (re-wrap only), lock, and the old PIN no longer opens it.
    const NEW_PIN = '135790';
    await page.getByTestId('security').locator('summary').click();
    await page.getByTestId('old-pin').fill(TEST_PIN);
    await page.getByTestId('new-pin').fill(NEW_PIN);
    await page.getByTestId('new-pin-confirm').fill(NEW_PIN);
    await page.getByTestId('change-pin').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="change-pin-result"]')?.dataset.ok === 'true');
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();

    // Five wrong PINs (the old one among them): the fifth starts the 1-minute delay.
    for (let i = 1; i <= 5; i++) {
      await page.getByTestId('unlock-pin').fill(i === 1 ? TEST_PIN : `99999${i}`);
      await page.getByTestId('unlock').click();
      await page.waitForFunction((n) => document.querySelector('[data-testid="lock-screen"]')?.dataset.failed === String(n), i);
    }
    await page.getByTestId('lock-retry').waitFor();
    const before = Number(await page.getByTestId('lock-retry').getAttribute('data-seconds'));
    assert.ok(before > 50 && before <= 60, `a delay of about a minute runs (${before} s)`);

    // A reload does not reset the count or the delay.
    await page.reload();
    await page.getByTestId('lock-screen').waitFor({ timeout: 30_000 });
    // The lock screen is painted before the module; the count arrives with the module.
    await page.waitForFunction(() => document.getElementById('app')?.dataset['screen'] === 'module', null, { timeout: 30_000 });
    assert.equal(await page.getByTestId('lock-screen').getAttribute('data-failed'), '5');
    await page.getByTestId('lock-retry').waitFor();
    const after = Number(await page.getByTestId('lock-retry').getAttribute('data-seconds'));
    assert.ok(after > 0 && after <= before, `the delay continues after the reload (${after} s)`);
    assert.equal(await page.getByTestId('unlock').isDisabled(), true, 'no attempt during the delay');
  });
});

test('vault: after ten wrong PINs only the password unlocks, and then the device works again', { timeout: 180_000 }, async (t) => {
  // The server tells devices to wait 300 ms (not a minute, then an hour) after the fifth wrong
  // PIN: a test-only setting, so the test reaches the tenth without editing device storage.
  await scenario(
    t,
    async ({ server, page }) => {
      const reference = await rep1Reference(server.url);
      const [o1] = reference.outlets;
      const [p1] = reference.products;
      await page.goto(`${server.url}/`);
      await signIn(page, 'rep1', 'rep1-demo');
      await page.getByTestId('lock-now').click();
      await page.getByTestId('lock-screen').waitFor();

      const failed = (n) => page.waitForFunction((want) => document.querySelector('[data-testid="lock-screen"]')?.dataset.failed === String(want), n);
      for (let i = 1; i <= 10; i++) {
        await page.waitForFunction(() => {
          const b = document.querySelector('[data-testid="unlock"]');
          return b && !b.disabled;
        });
        await page.getByTestId('unlock-pin').fill(`97531${i % 10}`);
        await page.getByTestId('unlock').click();
        await failed(i);
      }
      // The PIN form is gone; the password form is offered with the user's name filled in.
      await page.getByTestId('reauth-form').waitFor();
      assert.equal(await page.getByTestId('unlock-pin').isVisible(), false, 'no more PIN attempts');
      assert.equal(await page.getByTestId('reauth-username').inputValue(), 'rep1');

      // A wrong password is refused and changes nothing; five in a row and the server makes the
      // next attempt wait (429 with Retry-After, shown in words), whatever the password.
      const detail = () => page.evaluate(() => document.querySelector('[data-testid="error-detail"]')?.textContent ?? '');
      for (let i = 1; i <= 6; i++) {
        await page.getByTestId('reauth-password').fill(i === 6 ? 'rep1-demo' : `not-the-password-${i}`);
        await page.getByTestId('reauth-submit').click();
        const want = i === 6 ? /^too_many_attempts: .*too many wrong passwords; try again in 1 s$/ : /^bad_credentials: /;
        await page.waitForFunction((w) => new RegExp(w).test(document.querySelector('[data-testid="error-detail"]')?.textContent ?? '') && !document.querySelector('[data-testid="reauth-submit"]')?.disabled, want.source);
        assert.match(await detail(), want, `attempt ${i}`);
        // Clear the shown error so the next wait sees the next answer.
        await page.evaluate(() => {
          const d = document.querySelector('[data-testid="error-detail"]');
          if (d) d.textContent = '';
        });
      }
      assert.equal(await page.getByTestId('reauth-form').isVisible(), true);
      await page.waitForTimeout(1100);

      // The right password: the server answers 204 No Content, the count clears, the PIN form
      // returns (the workspace stays locked until the PIN opens it).
      await page.getByTestId('reauth-password').fill('rep1-demo');
      await page.getByTestId('reauth-submit').click();
      await page.getByTestId('unlock-pin').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('lock-screen').getAttribute('data-failed'), '0');
      assert.equal(await page.getByTestId('reauth-form').isVisible(), false);
      await unlock(page);

      // The device works: an order taken now reaches the server.
      const order = await takeOrder(page, { outletId: o1.id, lines: [{ sku: p1.sku, quantity: 2 }] });
      await waitForBadge(page, 0, SYNC_TIMEOUT);
      const onServer = (await serverOrders(server.url)).filter((o) => o.order_id === order.orderId);
      assert.equal(onServer.length, 1, 'the order reached the server once');
      assert.equal(onServer[0].total, order.totals.total);
    },
    { serverEnv: { SATCHEL_TEST_PIN_DELAYS: '5:300' } },
  );
});
