// A day on the route: 40 orders across outlets taken offline, the tab killed in the middle of
// one and reopened (the draft intact), then sync: every order on the server once, with the
// device's totals to the cent. And an order over the outlet's credit limit: allowed with a
// warning that says how old the balance is, then in the supervisor's review queue.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBy, registerDevice, serverOrders } from './support/api.mjs';
import { addProduct, badge, canReachServer, pickOutlet, signIn, takeOrder, unlock, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { cents, easyProducts, salesReference } from './support/sales.mjs';
import { scenario } from './support/scenario.mjs';

test('orders: 40 offline orders, a killed tab mid-order, all on the server once with equal totals', { timeout: 600_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    const sales = await salesReference(server.url);
    const products = easyProducts(sales);
    assert.ok(products.length >= 10, 'enough plain products');
    // Outlets with room on their credit, so no order of this test is flagged.
    const outlets = sales.outlets.filter((o) => !o.credit || cents(o.credit.limit) - cents(o.credit.outstanding) > 100000n).slice(0, 8);
    assert.ok(outlets.length >= 4);

    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await context.setOffline(true);
    assert.equal(await canReachServer(page), false);

    const taken = [];
    let current = page;
    for (let i = 0; i < 40; i++) {
      const outlet = outlets[i % outlets.length];
      const lines = [
        { sku: products[i % products.length].sku, quantity: (i % 3) + 1 },
        { sku: products[(i * 7 + 3) % products.length].sku, quantity: 2 },
      ].filter((l, k, all) => all.findIndex((x) => x.sku === l.sku) === k);
      if (i === 20) {
        // Mid-order: outlet picked, two lines typed... and the tab is killed.
        await pickOutlet(current, outlet.id);
        for (const l of lines) await addProduct(current, l.sku, l.quantity);
        await current.waitForFunction((n) => document.querySelector('[data-testid="order-entry"]')?.dataset.savedLines === String(n), lines.length);
        await current.close({ runBeforeUnload: false });
        current = await context.newPage();
        await current.goto(`${server.url}/`); // offline: from the service worker
        await unlock(current);
        await current.getByTestId('order-entry').waitFor({ state: 'visible' });
        const restored = await current.locator('[data-testid="order-line"]').evaluateAll((els) =>
          els.map((e) => ({ sku: e.getAttribute('data-sku'), quantity: Number(e.querySelector('[data-testid="line-qty"]').value) })),
        );
        assert.deepEqual(restored, lines, 'the draft came back exactly');
        await current.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.hasAttribute('disabled'));
        const total = await current.getByTestId('totals-total').getAttribute('data-amount');
        await current.getByTestId('commit-order').click();
        await current.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved on this device'));
        const notice = current.getByTestId('notice');
        taken.push({ orderId: await notice.getAttribute('data-order-id'), total, documentNumber: await notice.getAttribute('data-document-number') });
        continue;
      }
      const o = await takeOrder(current, { outletId: outlet.id, lines });
      taken.push({ orderId: o.orderId, total: o.totals.total, documentNumber: o.documentNumber });
    }
    assert.equal(await badge(current), '40');
    assert.equal(new Set(taken.map((o) => o.documentNumber)).size, 40, 'forty distinct document numbers');

    await context.setOffline(false);
    await waitForBadge(current, 0, SYNC_TIMEOUT * 2);
    const onServer = await serverOrders(server.url);
    const counts = countBy(onServer, 'order_id');
    for (const o of taken) {
      assert.equal(counts.get(o.orderId), 1, `order ${o.orderId} is on the server once`);
      const stored = onServer.find((s) => s.order_id === o.orderId);
      assert.equal(String(stored.total), o.total, `server total equals device total for ${o.documentNumber}`);
      assert.equal(stored.document_number, o.documentNumber);
    }
  });
});

test('orders: over the credit limit is allowed with a dated warning, then in the review queue', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, page }) => {
    const sales = await salesReference(server.url);
    const withCredit = sales.outlets.filter((o) => o.credit);
    assert.ok(withCredit.length > 0);
    // The outlet with the least room left.
    withCredit.sort((a, b) => Number(cents(a.credit.limit) - cents(a.credit.outstanding) - (cents(b.credit.limit) - cents(b.credit.outstanding))));
    const outlet = withCredit[0];
    const room = cents(outlet.credit.limit) - cents(outlet.credit.outstanding);
    const product = easyProducts(sales).sort((a, b) => Number(cents(sales.price_lists[0].prices[b.sku]) - cents(sales.price_lists[0].prices[a.sku])))[0];
    const price = cents(sales.price_lists[0].prices[product.sku]);
    const quantity = Number(room / price) + 2; // enough to go over, before tax even

    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await pickOutlet(page, outlet.id);
    await addProduct(page, product.sku, quantity);
    const finding = page.locator('[data-testid="finding"][data-rule="credit_limit"]');
    await finding.waitFor();
    assert.equal(await finding.getAttribute('data-severity'), 'warn_and_flag', 'the default policy warns and flags');
    assert.match((await finding.textContent()) ?? '', /credit as of/i, 'the warning says how old the balance is');
    assert.equal(await page.getByTestId('commit-order').isDisabled(), false, 'allowed under the default policy');
    await page.getByTestId('commit-order').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.dataset.flagged === 'true');
    const orderId = await page.getByTestId('notice').getAttribute('data-order-id');

    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="order-item"][data-order-id="${id}"]`)?.getAttribute('data-status') === 'flagged',
      orderId,
      { timeout: 15_000 },
    );
    // The supervisor sees it in the review queue with the reason.
    const supervisor = await registerDevice(server.url, 'super', 'super-demo', 'e2e supervisor');
    const res = await fetch(`${server.url}/api/v1/review?status=open`, { headers: { authorization: `Bearer ${supervisor}` } });
    assert.equal(res.status, 200);
    const body = await res.json();
    const items = body.items ?? body.review ?? body;
    const item = items.find((x) => x.order_id === orderId);
    assert.ok(item, `the order is in the review queue: ${JSON.stringify(body).slice(0, 400)}`);
    assert.ok(JSON.stringify(item.reasons).includes('credit_limit'), 'with the credit reason');

    // And in the PWA, signed in as the supervisor on another phone: listed, then approved.
    const supPage = await page.context().browser().newPage();
    await supPage.goto(`${server.url}/`);
    await signIn(supPage, 'super', 'super-demo');
    await supPage.getByTestId('review').locator('summary').click();
    const row = supPage.locator(`[data-testid="review-item"][data-order-id="${orderId}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /credit/i);
    await row.getByTestId('review-approve').click();
    await supPage.waitForFunction((id) => !document.querySelector(`[data-testid="review-item"][data-order-id="${id}"]`), orderId);
    const after = await (await fetch(`${server.url}/api/v1/review?status=approved`, { headers: { authorization: `Bearer ${supervisor}` } })).json();
    assert.ok(after.items.some((x) => x.order_id === orderId && x.resolved_by), 'approved by the supervisor');
    await supPage.close();
  });
});
