// Two reps, one outlet, both offline: rep1 changes the phone; rep2 changes the phone and the
// address. After sync the address stands (nobody else touched it), the phone keeps the first
// change that reached the server, and the overlap is recorded as a conflict with both values
// and who changed them, for a supervisor; the reps see the merged outlet after an update.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerDevice } from './support/api.mjs';
import { editContact, signInTwoReps, waitForBadge, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

test('conflicts: non-overlapping fields merge, the overlapping one is recorded for review', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page, onCleanup }) => {
    const other = await signInTwoReps({ server, browser, page, onCleanup });
    // An outlet on route R2, which both reps cover.
    const outletId = await page.evaluate(() => {
      const item = [...document.querySelectorAll('[data-testid="outlet-item"]')].find((e) => e.textContent?.includes('R2'));
      return item?.getAttribute('data-outlet-id');
    });
    assert.ok(outletId, 'a shared outlet');

    await context.setOffline(true);
    await other.context.setOffline(true);
    await editContact(page, outletId, { phone: '+1 416 555 0101' });
    await editContact(other.page, outletId, { phone: '+1 416 555 0199', address: '99 New Road' });

    // rep1's change reaches the server first, then rep2's.
    await context.setOffline(false);
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await other.context.setOffline(false);
    await waitForBadge(other.page, 0, SYNC_TIMEOUT);

    const supervisor = await registerDevice(server.url, 'super', 'super-demo', 'e2e supervisor');
    const ref = await (await fetch(`${server.url}/api/v1/reference`, { headers: { authorization: `Bearer ${supervisor}` } })).json();
    const outlet = ref.sales.outlets.find((o) => o.id === outletId);
    assert.equal(outlet.address, '99 New Road', "rep2's address stands: nobody else changed it");
    assert.equal(outlet.phone, '+1 416 555 0101', "the phone keeps the change that arrived first");
    assert.ok(outlet.version >= 2, `the record's version moved: ${outlet.version}`);
    const res = await fetch(`${server.url}/api/v1/conflicts?status=open`, { headers: { authorization: `Bearer ${supervisor}` } });
    assert.equal(res.status, 200);
    const conflicts = (await res.json()).items.filter((c) => c.outlet_id === outletId);
    assert.equal(conflicts.length, 1, 'one conflict, on the phone');
    const c = conflicts[0];
    assert.equal(c.field, 'phone');
    assert.equal(c.ours.value, '+1 416 555 0101');
    assert.equal(c.ours.changed_by, 'rep1');
    assert.equal(c.theirs.value, '+1 416 555 0199');
    assert.equal(c.theirs.by, 'rep2');

    // rep2 updates its data and sees the merged outlet.
    await other.page.getByTestId('refresh-reference').click();
    await other.page.waitForFunction(() => document.querySelector('[data-testid="reference-as-of"]')?.dataset.refreshed);
    const meta = await other.page.getByTestId('chosen-meta').textContent();
    assert.match(meta ?? '', /99 New Road/);
    assert.match(meta ?? '', /555 0101/);
  });
});
