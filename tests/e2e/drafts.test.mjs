// Drafts survive anything: every edit is saved (sealed) as it happens, so a tab closed in the
// middle of an order comes back with the order as it was, and committing removes the draft.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addProduct, pickOutlet, signIn, takeOrder, unlock, waitForBadge } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

test('drafts: a tab closed mid-order reopens with the draft intact', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await pickOutlet(page, outletId);
    await addProduct(page, 'SKU-00022', 5);
    await addProduct(page, 'SKU-00023', 2);
    // The last edit is on disk (the page says so once the save resolved).
    await page.waitForFunction(() => document.querySelector('[data-testid="order-entry"]')?.dataset.savedLines === '2');
    const draftId = await page.getByTestId('order-entry').getAttribute('data-draft-id');
    assert.ok(draftId);

    // Kill the tab (no unload handler can save anything now) and open the app again.
    await page.close({ runBeforeUnload: false });
    const again = await context.newPage();
    await again.goto(`${server.url}/`);
    await unlock(again);
    await again.getByTestId('order-entry').waitFor({ state: 'visible' });
    assert.equal(await again.getByTestId('order-entry').getAttribute('data-draft-id'), draftId, 'the same draft resumed');
    assert.equal(await again.locator('[data-testid="chosen-outlet"] strong').getAttribute('data-outlet-id'), outletId);
    const lines = await again.locator('[data-testid="order-line"]').evaluateAll((els) =>
      els.map((e) => ({ sku: e.getAttribute('data-sku'), qty: e.querySelector('[data-testid="line-qty"]').value })),
    );
    assert.deepEqual(lines, [
      { sku: 'SKU-00022', qty: '5' },
      { sku: 'SKU-00023', qty: '2' },
    ]);

    // Committing takes the draft with it.
    await again.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.hasAttribute('disabled'));
    await again.getByTestId('commit-order').click();
    await again.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('saved on this device'));
    // The order is on the device (online it may already have synced, so the badge is 1 or 0).
    const committedId = await again.getByTestId('notice').getAttribute('data-order-id');
    await again.locator(`[data-testid="order-item"][data-order-id="${committedId}"]`).waitFor();
    await again.reload();
    await unlock(again);
    assert.equal(await again.getByTestId('order-entry').isVisible(), false, 'no draft left to resume');
    assert.equal(await again.getByTestId('draft-item').count(), 0);

    // A second draft left behind while starting a third shows up in the list.
    const { orderId } = await takeOrder(again, { outletId, lines: [{ sku: 'SKU-00025', quantity: 1 }] });
    assert.ok(orderId);
    await pickOutlet(again, outletId);
    await addProduct(again, 'SKU-00004', 3);
    await again.waitForFunction(() => document.querySelector('[data-testid="order-entry"]')?.dataset.savedLines === '1');
    await again.getByTestId('change-outlet').click();
    await again.getByTestId('draft-item').waitFor();
    assert.equal(await again.getByTestId('draft-item').count(), 1);
    await again.getByTestId('discard-draft').click();
    await again.waitForFunction(() => document.querySelectorAll('[data-testid="draft-item"]').length === 0);
  });
});

test('drafts: signing out asks before deleting an unsent draft, naming its outlet', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await pickOutlet(page, outletId);
    await addProduct(page, 'SKU-00022', 3);
    await page.waitForFunction(() => document.querySelector('[data-testid="order-entry"]')?.dataset.savedLines === '1');
    const outletName = (await page.locator('[data-testid="chosen-outlet"] strong').textContent())?.trim();
    const draftId = await page.getByTestId('order-entry').getAttribute('data-draft-id');
    assert.ok(outletName && draftId);

    // Sign out: the question names the draft, next to the button; nothing is deleted yet.
    await page.getByTestId('sign-out').click();
    const confirm = page.getByTestId('sign-out-confirm');
    await confirm.waitFor({ state: 'visible' });
    const question = (await page.getByTestId('sign-out-question').textContent()) ?? '';
    t.diagnostic(`asked: ${question}`);
    assert.ok(question.includes(outletName), `names the outlet: ${question}`);
    assert.match(question, /1 line\b/);
    assert.equal(await confirm.isVisible(), true);
    assert.equal(await page.getByTestId('username').count(), 0, 'still signed in');

    // Keeping the draft keeps working where the rep was.
    await page.getByTestId('sign-out-keep').click();
    await confirm.waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('order-entry').getAttribute('data-draft-id'), draftId);

    // Asked again and confirmed: signed out, and a reload stays signed out.
    await page.getByTestId('sign-out').click();
    await confirm.waitFor({ state: 'visible' });
    await page.getByTestId('sign-out-discard').click();
    await page.getByTestId('username').waitFor({ state: 'visible' });
    await page.reload();
    await page.getByTestId('username').waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('unlock-pin').count(), 0, 'nothing left to unlock');
  });
});
