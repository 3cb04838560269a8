// A supervisor who can decide, in the browser: two reps change one outlet's phone offline (a
// conflict) and rep1 takes an order over the outlet's credit limit (flagged). The supervisor
// signs in on a third phone, sees both counts on the collapsed cards, reads the flagged order's
// lines, rejects it with a note after a confirmation, and settles the conflict with one tap on
// rep2's value. The server's API confirms each decision.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJson, supervisorToken } from './support/api.mjs';
import { assertAccessible } from './support/axe.mjs';
import { newPhone } from './support/browser.mjs';
import { addProduct, editContact, pickOutlet, signIn, signInTwoReps, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { overLimitOrder, salesReference } from './support/sales.mjs';
import { scenario } from './support/scenario.mjs';

const REP1_PHONE = '+1 416 555 0101';
const REP2_PHONE = '+1 416 555 0199';

/** Waits until the card's count (`review-count`, `conflicts-count`) shows `n`. */
async function waitForCount(page, testid, n) {
  await page.waitForFunction(
    ({ id, want }) => document.querySelector(`[data-testid="${id}"]`)?.dataset.count === want,
    { id: testid, want: String(n) },
    { timeout: 30_000 },
  );
}

test('supervisor: reads the flagged order with its lines, rejects it with a note, settles a conflict with one tap', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page, onCleanup }) => {
    const other = await signInTwoReps({ server, browser, page, onCleanup });

    // The conflict: both reps change the phone of an outlet on route R2, offline; rep1's change
    // reaches the server first.
    const outletId = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="outlet-item"]')].find((e) => e.textContent?.includes('R2'))?.getAttribute('data-outlet-id'),
    );
    assert.ok(outletId, 'a shared outlet');
    await context.setOffline(true);
    await other.context.setOffline(true);
    await editContact(page, outletId, { phone: REP1_PHONE });
    await editContact(other.page, outletId, { phone: REP2_PHONE });
    await context.setOffline(false);
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await other.context.setOffline(false);
    await waitForBadge(other.page, 0, SYNC_TIMEOUT);

    // The flagged order: over the outlet's credit limit, two lines.
    const order = overLimitOrder(await salesReference(server.url));
    await pickOutlet(page, order.outlet.id);
    for (const line of order.lines) await addProduct(page, line.sku, line.quantity);
    await page.locator('[data-testid="finding"][data-rule="credit_limit"]').waitFor();
    await page.getByTestId('commit-order').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.dataset.flagged === 'true');
    const orderId = await page.getByTestId('notice').getAttribute('data-order-id');
    const documentNumber = await page.getByTestId('notice').getAttribute('data-document-number');
    await waitForBadge(page, 0, SYNC_TIMEOUT);

    // The supervisor, on a phone of their own.
    const sup = await newPhone(browser);
    onCleanup(() => sup.context.close());
    await sup.page.goto(`${server.url}/`);
    await signIn(sup.page, 'super', 'super-demo');
    const token = await supervisorToken(server.url);

    // Both counts show on the collapsed cards.
    await waitForCount(sup.page, 'review-count', 1);
    await waitForCount(sup.page, 'conflicts-count', 1);
    assert.equal(await sup.page.getByTestId('review').evaluate((d) => d.open), false, 'the review card is collapsed');
    assert.ok(await sup.page.getByTestId('review-count').isVisible(), 'its count is visible anyway');
    assert.match((await sup.page.getByTestId('review').locator('summary').textContent()) ?? '', /Review · 1/);

    // The flagged order, with its lines.
    await sup.page.getByTestId('review').locator('summary').click();
    const item = sup.page.locator(`[data-testid="review-item"][data-order-id="${orderId}"]`);
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    assert.ok(text.includes(documentNumber ?? '?'), `the document number: ${text}`);
    assert.ok(text.includes(order.outlet.name), `the outlet: ${text}`);
    assert.ok(text.includes('rep1'), `the rep: ${text}`);
    assert.match(text, /credit/i, 'the reason');
    const lines = await item.getByTestId('review-line').evaluateAll((els) => els.map((e) => ({ sku: e.dataset.sku, quantity: e.dataset.quantity })));
    assert.deepEqual(lines, order.lines.map((l) => ({ sku: l.sku, quantity: String(l.quantity) })), 'the order lines, in order');

    // Reject needs a note and a confirmation.
    await item.getByTestId('review-reject').click();
    const confirm = item.getByTestId('review-reject-confirm');
    await confirm.waitFor();
    assert.equal(await confirm.isDisabled(), true, 'no rejection without a note');
    assert.equal(await item.getByTestId('review-approve').isVisible(), false, 'the confirmation replaces the actions');
    await sup.page.screenshot({ path: 'test-results/supervisor-reject.png', fullPage: true }).catch(() => {});
    await tapTargetsAreLarge(sup.page);
    const note = 'Outlet is on stop; call the office before delivering.';
    await item.getByTestId('review-reject-note').fill(note);
    await confirm.click();
    await item.waitFor({ state: 'detached' });
    await waitForCount(sup.page, 'review-count', 0);
    assert.match((await sup.page.getByTestId('review-message').textContent()) ?? '', /rejected/);
    const rejected = await getJson(server.url, '/api/v1/review?status=rejected', token);
    const decided = rejected.items.find((x) => x.order_id === orderId);
    assert.ok(decided, 'the server recorded the rejection');
    assert.equal(decided.note, note);
    assert.equal(decided.resolved_by, 'super');

    // The conflict: both values with their authors, one tap.
    await sup.page.getByTestId('conflicts').locator('summary').click();
    const conflict = sup.page.locator(`[data-testid="conflict-item"][data-outlet-id="${outletId}"]`);
    await conflict.waitFor();
    const shown = (await conflict.textContent()) ?? '';
    for (const s of [REP1_PHONE, REP2_PHONE, 'rep1', 'rep2']) assert.ok(shown.includes(s), `${s} in ${shown}`);
    await sup.page.screenshot({ path: 'test-results/supervisor-conflict.png', fullPage: true }).catch(() => {});
    await tapTargetsAreLarge(sup.page);
    await assertAccessible(sup.page, "the supervisor's review and conflicts");
    const conflictId = await conflict.getAttribute('data-conflict-id');
    const use = conflict.locator('[data-testid="conflict-choose"][data-choice="theirs"]');
    assert.equal((await use.textContent())?.trim(), `Use ${REP2_PHONE} (rep2)`);
    await use.click();
    await conflict.waitFor({ state: 'detached' });
    await waitForCount(sup.page, 'conflicts-count', 0);
    assert.match((await sup.page.getByTestId('conflicts-message').textContent()) ?? '', new RegExp(`now ${REP2_PHONE.replace(/\+/g, '\\+')}`));
    const resolved = await getJson(server.url, '/api/v1/conflicts?status=resolved', token);
    const settled = resolved.items.find((c) => c.id === conflictId);
    assert.ok(settled, 'the server recorded the resolution');
    assert.equal(settled.resolved_by, 'super');
    assert.equal(settled.resolution.choice, 'theirs');
    assert.equal(settled.resolution.value, REP2_PHONE);
    const reference = await getJson(server.url, '/api/v1/reference', token);
    assert.equal(reference.sales.outlets.find((o) => o.id === outletId).phone, REP2_PHONE, 'the outlet took the value');

    const errors = sup.console.filter((l) => l.startsWith('[pageerror]'));
    assert.equal(errors.length, 0, `uncaught exceptions on the supervisor's phone:\n${errors.join('\n')}`);
  });
});

/** Every visible button and input of the supervisor's cards is at least 48 px high. */
async function tapTargetsAreLarge(page) {
  const small = await page.getByTestId('supervisor').evaluate((root) =>
    [...root.querySelectorAll('button, input, textarea')]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => ({ what: e.dataset.testid ?? e.textContent, height: e.getBoundingClientRect().height }))
      .filter((e) => e.height < 48),
  );
  assert.deepEqual(small, [], 'tap targets of at least 48 px');
}
