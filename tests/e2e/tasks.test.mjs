// Tasks and the orders billed from them. The office assigns tasks (visits, deliveries, shelf
// checks); the rep sees hers, completes them and can bill an order "from the task": the order
// then depends on the task's completion, so the server applies it only after the completion, and
// holds it if the completion is refused.
//
// 1. Refused: the office withdraws TASK-0007 while the rep is offline (she has not pulled the
//    cancellation); she completes it and bills an order from it. Back online the completion is
//    rejected `task_closed` (shown with the reason), the order is held with a reason naming the
//    task (shown, with "Edit and resubmit" and "Discard") and the server has not applied it.
//    "Edit and resubmit" opens it as a draft; committed, it is a new order the server applies,
//    and the held one shows discarded.
// 2. Happy path: a task completed and an order billed from it: both applied, the order synced.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelTask, registerDevice, serverOrders, serverTasks, supervisorToken } from './support/api.mjs';
import {
  addProduct,
  canReachServer,
  commitShownOrder,
  completeTask,
  signIn,
  takeOrderFromTask,
  taskItem,
  taskItems,
  waitForBadge,
  waitForOrderStatus,
  waitForTaskCompletion,
  SYNC_TIMEOUT,
} from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const CANCELLED = 'TASK-0007'; // rep1's, at OUT-0009 (server/src/seed.rs: CANCELLABLE_TASK)
const HAPPY = 'TASK-0001'; // rep1's delivery at OUT-0001

const orderRow = (page, orderId) => page.locator(`[data-testid="order-item"][data-order-id="${orderId}"]`);

/** rep1's tasks straight from the server. */
async function rep1Tasks(baseUrl) {
  const token = await registerDevice(baseUrl, 'rep1', 'rep1-demo', 'e2e tasks');
  return serverTasks(baseUrl, token);
}

test('tasks: a task and the invoice billed from it, with the task rejected (the invoice is held and the rep sees why)', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    const assigned = await rep1Tasks(server.url);
    const openIds = assigned.filter((x) => x.status === 'open').map((x) => x.id);
    assert.ok(openIds.includes(CANCELLED), `the seeded cancellable task is rep1's and open: ${openIds}`);
    const cancelled = assigned.find((x) => x.id === CANCELLED);

    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);

    // She sees her seeded tasks (and only hers), open, with outlet, title, details and due date.
    await taskItem(page, CANCELLED).waitFor({ timeout: 30_000 });
    const shown = await taskItems(page);
    assert.deepEqual(new Set(shown.map((x) => x.id)), new Set(openIds), 'the card lists exactly her open tasks');
    assert.ok(shown.every((x) => x.status === 'open' && x.completion === 'none'));
    const row = taskItem(page, CANCELLED);
    assert.equal((await row.getByTestId('task-title').textContent())?.trim(), cancelled.title);
    assert.equal(await row.getByTestId('task-outlet').getAttribute('data-outlet-id'), cancelled.outlet_id);
    assert.notEqual((await row.getByTestId('task-outlet').textContent())?.trim(), cancelled.outlet_id, 'the outlet is shown by name');
    assert.equal((await row.getByTestId('task-details').textContent())?.trim(), cancelled.details);
    assert.equal(await row.getByTestId('task-due').getAttribute('data-due'), cancelled.due_date);

    // Offline (proved), then the office withdraws the task: she cannot have pulled that.
    await context.setOffline(true);
    assert.equal(await canReachServer(page), false, 'the phone is offline');
    const supervisor = await supervisorToken(server.url);
    const afterCancel = await cancelTask(server.url, supervisor, CANCELLED);
    assert.equal(afterCancel.status, 'cancelled');

    // She completes it and bills an order from it.
    const done = await completeTask(page, CANCELLED, { note: 'Agreement collected, signed by the owner.' });
    assert.equal(done.completion, 'pending', `completed on the device: ${JSON.stringify(done)}`);
    await taskItem(page, CANCELLED).getByTestId('task-take-order').click();
    await page.getByTestId('product-search').waitFor();
    assert.equal(await page.locator('[data-testid="chosen-outlet"] strong').getAttribute('data-outlet-id'), cancelled.outlet_id, 'the outlet of the task is preset');
    const billed = page.getByTestId('billed-from-task');
    assert.equal(await billed.isVisible(), true);
    assert.equal((await billed.textContent())?.trim(), `Billed from task: ${cancelled.title}`);
    const lines = [{ sku: 'SKU-00001', quantity: 3 }, { sku: 'SKU-00022', quantity: 2 }];
    for (const l of lines) await addProduct(page, l.sku, l.quantity);
    const held = await commitShownOrder(page);
    assert.equal(held.taskId, CANCELLED, 'committed with the task id');
    assert.equal(await orderRow(page, held.orderId).getAttribute('data-task-id'), CANCELLED);
    await waitForBadge(page, 2, 10_000); // the completion and the order wait in the outbox

    // Back online: the completion is refused, the order held, both shown with their reasons.
    await context.setOffline(false);
    await waitForTaskCompletion(page, CANCELLED, 'rejected');
    const completion = taskItem(page, CANCELLED).getByTestId('task-completion');
    const refusal = (await completion.textContent())?.trim() ?? '';
    t.diagnostic(`completion shown: ${refusal}`);
    assert.match(refusal, /^Refused by the server: .+/);
    assert.equal(await completion.isVisible(), true);

    await waitForOrderStatus(page, held.orderId, 'held');
    const heldRow = orderRow(page, held.orderId);
    const reason = heldRow.getByTestId('order-reason');
    assert.equal(await reason.isVisible(), true, 'the reason is on screen');
    const reasonText = (await reason.textContent())?.trim() ?? '';
    t.diagnostic(`held order shown: ${reasonText}`);
    assert.match(reasonText, /^Held: /);
    assert.ok(reasonText.includes(CANCELLED) || reasonText.includes(cancelled.title), `the reason names the refused task: ${reasonText}`);
    assert.equal(await heldRow.getByTestId('held-edit').isVisible(), true);
    assert.equal(await heldRow.getByTestId('held-discard').isVisible(), true);
    await waitForBadge(page, 0);
    const attention = page.getByTestId('panel-attention');
    assert.equal(await attention.getAttribute('data-held'), '1');
    assert.equal(await attention.getAttribute('data-rejected-tasks'), '1');
    assert.ok(Number(await attention.getAttribute('data-count')) >= 2, `needs attention: ${await attention.textContent()}`);

    // The server did not apply it, and the task stays cancelled.
    const before = await serverOrders(server.url);
    assert.ok(!before.some((o) => o.order_id === held.orderId), 'the held order is not among the server\'s orders');
    const onServer = (await serverTasks(server.url, supervisor)).find((x) => x.id === CANCELLED);
    assert.equal(onServer.status, 'cancelled', 'the refused completion did not reopen or close the task');
    // The pull brought the cancellation: the task shows withdrawn, no longer completable.
    await page.waitForFunction((id) => document.querySelector(`[data-testid="task-item"][data-task-id="${id}"]`)?.getAttribute('data-status') === 'cancelled', CANCELLED, { timeout: SYNC_TIMEOUT });
    assert.equal(await taskItem(page, CANCELLED).getByTestId('task-complete').count(), 0);

    // "Edit and resubmit": the order comes back as a draft, without the task.
    await heldRow.getByTestId('held-edit').click();
    await page.getByTestId('order-entry').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-testid="chosen-outlet"] strong').getAttribute('data-outlet-id'), cancelled.outlet_id);
    const restored = await page.locator('[data-testid="order-line"]').evaluateAll((els) =>
      els.map((e) => ({ sku: e.getAttribute('data-sku'), quantity: Number(e.querySelector('[data-testid="line-qty"]').value) })),
    );
    assert.deepEqual(restored, lines, 'the held order\'s lines, as they were');
    assert.equal(await page.getByTestId('billed-from-task').isVisible(), false, 'no longer billed from the refused task');
    assert.match((await page.getByTestId('resubmits').textContent()) ?? '', new RegExp(held.documentNumber));
    await waitForOrderStatus(page, held.orderId, 'discarded', 15_000);
    const again = await commitShownOrder(page);
    assert.notEqual(again.orderId, held.orderId);
    assert.notEqual(again.documentNumber, held.documentNumber, 'a new number');
    assert.equal(again.taskId, null, 'not billed from a task');
    assert.equal(again.total, held.total, 'the same lines, the same total');

    await waitForBadge(page, 0);
    await waitForOrderStatus(page, again.orderId, 'synced');
    const discardedRow = orderRow(page, held.orderId);
    assert.equal(await discardedRow.getAttribute('data-status'), 'discarded');
    assert.equal(await discardedRow.getByTestId('held-edit').count(), 0, 'nothing left to do on it');
    assert.match((await discardedRow.getByTestId('order-reason').textContent()) ?? '', /replaced/i);
    assert.equal(await page.getByTestId('panel-attention').getAttribute('data-held'), '0');

    const after = await serverOrders(server.url);
    const resubmitted = after.filter((o) => o.order_id === again.orderId);
    assert.equal(resubmitted.length, 1, 'the resubmitted order is on the server once');
    assert.equal(String(resubmitted[0].total), again.total);
    assert.equal(resubmitted[0].document_number, again.documentNumber);
    assert.ok(!after.some((o) => o.order_id === held.orderId), 'the held one was never applied');
  });
});

test('tasks: a task completed with an order billed from it: both applied, the order synced', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    await taskItem(page, HAPPY).waitFor({ timeout: 30_000 });
    const title = (await taskItem(page, HAPPY).getByTestId('task-title').textContent())?.trim();

    const done = await completeTask(page, HAPPY, { note: 'Two cases delivered; note signed.' });
    assert.ok(['pending', 'waiting', 'synced'].includes(done.completion), JSON.stringify(done));
    const order = await takeOrderFromTask(page, HAPPY, [{ sku: 'SKU-00001', quantity: 2 }]);
    assert.equal(order.taskId, HAPPY);
    assert.match(order.text ?? '', new RegExp(`billed from task "${title}"`));

    await waitForBadge(page, 0);
    await waitForTaskCompletion(page, HAPPY, 'synced');
    await waitForOrderStatus(page, order.orderId, 'synced');
    assert.match((await taskItem(page, HAPPY).getByTestId('task-completion').textContent()) ?? '', /^Completed/);
    assert.equal(await page.getByTestId('panel-attention').textContent(), 'nothing');

    const supervisor = await supervisorToken(server.url);
    const task = (await serverTasks(server.url, supervisor)).find((x) => x.id === HAPPY);
    assert.equal(task.status, 'done', 'the server applied the completion');
    // `completed_by` is the completion's mutation (server/src/api/task_complete.rs).
    assert.equal(task.completed_by, await taskItem(page, HAPPY).getAttribute('data-completion-id'));
    assert.equal(task.note, 'Two cases delivered; note signed.');
    const orders = (await serverOrders(server.url)).filter((o) => o.order_id === order.orderId);
    assert.equal(orders.length, 1, 'the order is on the server once');
    assert.equal(String(orders[0].total), order.total);
  });
});
