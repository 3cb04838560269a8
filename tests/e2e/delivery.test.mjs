// The delivery day on a 360x740 phone, offline from the start of the day to its end: the van
// load accepted as sent, 8 planned stops and 1 unplanned; 6 invoices billed from their stops
// with the task's goods prefilled; 5 collections (one partial, one cheque, one mobile money);
// proof of delivery (recipient, signature, photo) on each delivered stop; one stop failed with
// its goods back on the van and one skipped; the van counted at the end with one variance. Then
// online: the server holds every record once, its recomputed settlement equals the device's to
// the cent, and the supervisor sees the variance and approves the day.
//
// A second scenario: an invoice the supervisor refuses holds the collection against it,
// visibly, on the crew's phone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelTask, getJson, supervisorToken } from './support/api.mjs';
import { assertAccessible } from './support/axe.mjs';
import { newPhone } from './support/browser.mjs';
import { commitShownOrder, signIn, unlock, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const tid = (page, id) => page.getByTestId(id);
const stop = (page, taskId) => page.locator(`[data-testid="stop"][data-task="${taskId}"]`);
// A small valid JPEG is not needed: the module stores and uploads the bytes as they are.
const PHOTO = Buffer.from('\xff\xd8\xff\xe0 proof of delivery photo bytes', 'latin1');

async function stopIds(page) {
  return page.locator('[data-testid="stop"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')));
}

async function waitForState(page, taskId, state) {
  await page.waitForFunction(({ id, want }) => document.querySelector(`[data-testid="stop"][data-task="${id}"]`)?.getAttribute('data-state') === want, { id: taskId, want: state }, { timeout: 15_000 });
}

/** Draws a stroke across a signature canvas, as a finger would. */
async function sign(page, testid) {
  const canvas = tid(page, testid);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box, `the ${testid} pad is on screen`);
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 20 + i * ((box.width - 40) / 10), box.y + box.height / 2 + (i % 2 ? -20 : 20));
  await page.mouse.up();
}

/** Bills a stop: the order form opens prefilled with what its task asks for; commits it. */
async function bill(page, taskId, items) {
  await stop(page, taskId).getByTestId('stop-bill').click();
  await tid(page, 'product-search').waitFor();
  // Prefilled: one line per item the task asks for, with its quantity.
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="order-line"]').length === n, items.length);
  const order = await commitShownOrder(page);
  assert.equal(order.taskId, taskId, 'the invoice is billed from its stop');
  await stop(page, taskId).getByTestId('stop-billed').waitFor();
  return order;
}

async function deliver(page, taskId, recipient) {
  await stop(page, taskId).getByTestId('stop-deliver').click();
  await tid(page, 'proof-panel').waitFor();
  await tid(page, 'proof-recipient').fill(recipient);
  await sign(page, 'proof-signature');
  await tid(page, 'proof-photos').setInputFiles([{ name: 'door.jpg', mimeType: 'image/jpeg', buffer: PHOTO }]);
  await tid(page, 'proof-confirm').click();
  await waitForState(page, taskId, 'done');
}

async function notDone(page, taskId, kind, reason) {
  await stop(page, taskId).getByTestId(kind === 'failed' ? 'stop-fail' : 'stop-skip').click();
  await tid(page, 'reason-choice').selectOption(reason);
  await tid(page, 'reason-confirm').click();
  await waitForState(page, taskId, kind);
}

/** Collects at a stop: `[method, amount, allocations by invoice number, cheque/mm details]`. */
async function collect(page, taskId, { method = 'cash', amount, against = {}, cheque, reference }) {
  await stop(page, taskId).getByTestId('stop-collect').click();
  await tid(page, 'collect-panel').waitFor();
  await tid(page, 'collect-method').selectOption(method);
  await tid(page, 'collect-amount').fill(amount);
  if (cheque) {
    await tid(page, 'cheque-number').fill(cheque.number);
    await tid(page, 'cheque-bank').fill(cheque.bank);
    await tid(page, 'cheque-date').fill(cheque.date);
  }
  if (reference) await tid(page, 'mm-reference').fill(reference);
  for (const [number, part] of Object.entries(against)) await tid(page, `alloc-${number}`).fill(part);
  const before = await tid(page, 'collection').count();
  await tid(page, 'collect-record').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="collection"]').length === n + 1, before, { timeout: 10_000 });
}

/** What an invoice billed at the stop still owes, as the stop shows it. */
async function owes(page, taskId, number) {
  const li = stop(page, taskId).locator(`[data-testid="stop-invoices"] li[data-number="${number}"]`);
  return (await li.count()) ? li.getAttribute('data-outstanding') : null;
}

test('delivery day: offline from start to end at 360x740, then the server settles the day to the cent', { timeout: 600_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page, onCleanup }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'driver1', 'driver1-demo');
    await waitForServiceWorker(page);
    await tid(page, 'day-start').waitFor();
    await assertAccessible(page, 'delivery: start of the day');

    // Offline from the start of the day to its end.
    await context.setOffline(true);
    await tid(page, 'day-odometer').fill('48210');
    await tid(page, 'day-float').fill('50');
    await tid(page, 'start-day').click();
    await tid(page, 'stops').waitFor();
    let ids = await stopIds(page);
    assert.equal(ids.length, 8, 'the route plans 8 stops');
    // Reordered: the first stop goes second.
    await stop(page, ids[0]).getByTestId('stop-down').click();
    await page.waitForFunction((first) => document.querySelectorAll('[data-testid="stop"]')[1]?.getAttribute('data-task') === first, ids[0]);
    ids = await stopIds(page);
    // An unplanned stop, added at the end of the route.
    await page.locator('summary', { hasText: 'Add an unplanned stop' }).click();
    await tid(page, 'unplanned-add').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="stop"]').length === 9);
    const unplanned = (await stopIds(page))[8];
    await assertAccessible(page, 'delivery: the route');

    // 6 invoices billed from their stops, each delivered with proof.
    const invoices = [];
    for (const id of ids.slice(0, 6)) {
      const items = await stop(page, id).getByTestId('stop-items').textContent();
      assert.match(items ?? '', /Asks for: /);
      const n = ((items ?? '').match(/×/g) ?? []).length;
      invoices.push({ taskId: id, ...(await bill(page, id, new Array(n).fill(0))) });
      await deliver(page, id, `Receiver ${invoices.length}`);
    }
    // The 7th fails (its goods stay on the van), the 8th is skipped; the unplanned one is delivered.
    await notDone(page, ids[6], 'failed', 'Shop closed');
    await notDone(page, ids[7], 'skipped', 'Out of time');
    assert.equal(await stop(page, ids[7]).getByTestId('stop-bill').isDisabled(), true, 'a skipped stop cannot be billed');
    await deliver(page, unplanned, 'Walk-in receiver');

    // 5 collections: paid in full in cash, a partial payment, a cheque, mobile money, and cash
    // against two invoices at once where the customer owes an older one too (else in full).
    const [a, b, c, d, e] = invoices;
    await collect(page, a.taskId, { amount: a.total, against: { [a.documentNumber]: a.total } });
    assert.equal(await owes(page, a.taskId, a.documentNumber), null, 'paid in full: no longer open');
    await collect(page, b.taskId, { amount: '5.00', against: { [b.documentNumber]: '5.00' } });
    const left = await owes(page, b.taskId, b.documentNumber);
    assert.ok(left && Number(left) > 0, 'a partial payment leaves the rest open');
    await collect(page, c.taskId, { method: 'cheque', amount: c.total, against: { [c.documentNumber]: c.total }, cheque: { number: '000123', bank: 'Northern Bank', date: '2026-12-05' } });
    await collect(page, d.taskId, { method: 'mobile_money', amount: d.total, against: { [d.documentNumber]: d.total }, reference: 'MM-7781' });
    await collect(page, e.taskId, { amount: e.total, against: { [e.documentNumber]: e.total } });
    // More than owed is refused by core's rule, nothing recorded.
    await stop(page, a.taskId).getByTestId('stop-collect').click();
    await tid(page, 'collect-amount').fill('100000');
    await tid(page, 'collect-record').click();
    await tid(page, 'collect-error').waitFor();
    assert.match((await tid(page, 'collect-error').textContent()) ?? '', /owe|more than|advance|add up to/i);
    await tid(page, 'panel-close').click();
    assert.equal(await tid(page, 'collection').count(), 5);

    // The end: the van counted with one SKU short, the cash as expected.
    await tid(page, 'day-end-start').click();
    await tid(page, 'day-end').waitFor();
    const skus = await page.locator('[data-testid^="count-"]').evaluateAll((els) => els.map((x) => x.getAttribute('data-testid').slice('count-'.length)).filter((s) => s !== 'cash'));
    const short = skus[0];
    const expected = await tid(page, `count-${short}`).inputValue();
    await tid(page, `count-${short}`).fill(String(Number(expected) - 1));
    await page.waitForFunction((sku) => document.querySelector(`[data-testid="variance-${sku}"]`)?.getAttribute('data-variance')?.startsWith('-1'), short);
    assert.equal(await tid(page, 'end-summary-van-variances').textContent(), '1');
    assert.match((await tid(page, 'end-summary-stops').textContent()) ?? '', /7 stops delivered, 1 not delivered, 1 skipped, 1 unplanned/);
    await assertAccessible(page, 'delivery: end of the day');
    await tid(page, 'end-odometer').fill('48342');
    await sign(page, 'end-signature');
    await tid(page, 'end-confirm').click();
    await tid(page, 'day-ended').waitFor();
    const device = {
      invoiced: await tid(page, 'ended-summary-invoiced').getAttribute('data-amount'),
      expectedCash: await tid(page, 'ended-summary-expected-cash').getAttribute('data-amount'),
    };
    // The day closed: the workspace locks.
    await tid(page, 'unlock-pin').waitFor({ timeout: 10_000 });

    // Online while still locked: the sealed outbox goes at once (the push needs no key), but
    // the pull and the photo uploads need the unlocked workspace. The driver unlocks only after
    // the server holds the day; unlocking must then send the waiting uploads (it once did not:
    // the loop stayed idle until something else woke it, and the day's end never settled).
    await context.setOffline(false);
    const token = await supervisorToken(server.url);
    let days = [];
    for (const until = Date.now() + SYNC_TIMEOUT * 2; days.length === 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 200));
      ({ days } = await getJson(server.url, '/api/v1/days', token));
    }
    assert.equal(days.length, 1, 'the locked phone pushed the day');
    await unlock(page);
    await waitForBadge(page, 0, SYNC_TIMEOUT * 2);
    assert.equal(days.length, 1);
    // The outbox is empty once the pushes are answered (the stops with photos and signatures, and
    // the end with its signature, answered `deferred`); they settle on the server as their
    // uploads complete, a moment later. The phone shows the uploads still waiting; once it
    // shows none, the server holds the day's end (a slow upload under a loaded machine once
    // left the day unended here when the test read it straight after the badge).
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="uploads-progress"]');
      return el !== null && (el.hidden || el.dataset.count === '0');
    }, null, { timeout: SYNC_TIMEOUT * 2 });
    let detail = await getJson(server.url, `/api/v1/days/${days[0].day_id}`, token);
    for (const until = Date.now() + SYNC_TIMEOUT; detail.day.ended_at === null && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      detail = await getJson(server.url, `/api/v1/days/${days[0].day_id}`, token);
    }
    assert.notEqual(detail.day.ended_at, null, "the day's end (waiting for its signature upload) settled on the server");
    assert.equal(detail.server_settlement.uploads_pending, 0, 'every upload reached the server');
    const { day } = detail;
    assert.deepEqual(day.differences, [], 'the server settlement equals the device settlement');
    assert.equal(day.flagged, false);
    const server_ = detail.server_settlement;
    assert.deepEqual(server_, { ...detail.device_settlement, uploads_pending: server_.uploads_pending }, 'to the cent, figure by figure');
    assert.equal(server_.invoices, 6);
    assert.equal(server_.invoiced, device.invoiced);
    assert.equal(server_.expected_cash, device.expectedCash);
    assert.equal(server_.van_variances, 1);
    assert.equal(Number(server_.van.find((l) => l.sku === short).variance), -1);
    assert.deepEqual([server_.done, server_.failed, server_.skipped, server_.unplanned], [7, 1, 1, 1]);
    assert.deepEqual(Object.keys(server_.collected).sort(), ['cash', 'cheque', 'mobile_money']);
    assert.equal(detail.collections.length, 5);
    assert.equal(detail.invoices.length, 6);
    const delivered = detail.stops.filter((s) => s.outcome?.outcome === 'done');
    assert.equal(delivered.length, 7);
    for (const s of delivered) {
      assert.ok(s.signature, `stop ${s.task_id} has its signature`);
      assert.equal(s.photos, 1, `stop ${s.task_id} has its photo`);
    }
    const failed = detail.stops.find((s) => s.outcome?.outcome === 'failed');
    assert.ok(Object.keys(failed.goods_back).length > 0, "the failed stop's goods are back on the van");

    // The supervisor sees the day with its variance in the browser and approves it.
    const sup = await newPhone(browser);
    onCleanup(() => sup.context.close());
    await sup.page.goto(`${server.url}/`);
    await signIn(sup.page, 'super', 'super-demo');
    const card = sup.page.getByTestId('days');
    await sup.page.waitForFunction(() => document.querySelector('[data-testid="days-count"]')?.dataset.count === '1');
    await card.locator('summary').click();
    const item = sup.page.locator(`[data-testid="day-item"][data-day-id="${day.day_id}"]`);
    await item.waitFor();
    assert.equal(await item.getByTestId('day-van-variances').getAttribute('data-count'), '1');
    assert.equal(await item.getAttribute('data-flagged'), 'false');
    await item.getByTestId('day-approve').click();
    await sup.page.waitForFunction((id) => document.querySelector(`[data-testid="day-item"][data-day-id="${id}"]`)?.getAttribute('data-approved') === 'true', day.day_id);
    const after = await getJson(server.url, `/api/v1/days/${day.day_id}`, token);
    assert.equal(after.day.approved, true);
    assert.equal(after.day.approved_by, 'super');
  });
});

test('delivery day: an invoice the server refuses holds the collection against it, visibly', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    const TASK = 'DEL-0003';
    await page.goto(`${server.url}/`);
    await signIn(page, 'driver1', 'driver1-demo');
    await tid(page, 'day-start').waitFor();
    await tid(page, 'day-odometer').fill('1200');
    // The load counted at the depot, one product short of what was sent.
    await tid(page, 'load-as-sent').uncheck();
    assert.equal(await tid(page, 'load-sheet-box').evaluate((d) => d.open), true, 'counting opens the load sheet');
    await tid(page, 'load-SKU-00023').fill('29');
    await tid(page, 'start-day').click();
    await stop(page, TASK).waitFor();
    await waitForBadge(page, 0, SYNC_TIMEOUT);

    // On the road, out of signal; meanwhile the office withdraws the delivery.
    await context.setOffline(true);
    const supervisor = await supervisorToken(server.url);
    const cancelled = await cancelTask(server.url, supervisor, TASK);
    assert.equal(cancelled.status, 'cancelled');

    // The crew bills it anyway and collects cash against the new invoice.
    const invoice = await bill(page, TASK, [0, 0, 0]);
    await collect(page, TASK, { amount: '20.00', against: { [invoice.documentNumber]: '20.00' } });
    const row = tid(page, 'collection').first();
    assert.equal(await row.getAttribute('data-state'), 'queued');

    // Online: the server refuses the invoice; the collection that rests on it is held, with the
    // invoice's refusal as its reason, and the day counts neither.
    await context.setOffline(false);
    await page.waitForFunction(() => document.querySelector('[data-testid="collection"]')?.getAttribute('data-state') === 'held', null, { timeout: SYNC_TIMEOUT });
    const reason = (await tid(page, 'collection-reason').textContent()) ?? '';
    t.diagnostic(`collection shown: ${reason}`);
    assert.ok(reason.includes(invoice.documentNumber) && /refused/.test(reason), `the reason names the refused invoice: ${reason}`);
    assert.equal(await tid(page, 'collection-reason').isVisible(), true);
    await stop(page, TASK).locator('[data-testid="stop-billed"] [data-status="rejected"]').waitFor();
    assert.match((await tid(page, 'day-progress').textContent()) ?? '', /0 invoices/);
    // The server holds neither: no receivable paid, no collection.
    const { days } = await getJson(server.url, '/api/v1/days', supervisor);
    const detail = await getJson(server.url, `/api/v1/days/${days[0].day_id}`, supervisor);
    assert.equal(detail.invoices.length, 0);
    assert.equal(detail.collections.length, 0);
    assert.equal(detail.loaded['SKU-00023'], '29', 'the day starts with the load as counted');
    assert.equal(detail.day.route, 'D1');
  });
});
