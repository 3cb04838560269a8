// Drives the Satchel PWA the way a rep does, through the data-testid hooks.

import assert from 'node:assert/strict';
import { newPhone } from './browser.mjs';

export const SYNC_TIMEOUT = 60_000; // backoff starts at ~2 s and grows; be generous

const tid = (page, id) => page.getByTestId(id);

/** The PIN the e2e tests choose at sign-in. */
export const TEST_PIN = '246810';

export async function signIn(page, username, password, pin = TEST_PIN) {
  await tid(page, 'username').fill(username);
  await tid(page, 'password').fill(password);
  await tid(page, 'pin').fill(pin);
  await tid(page, 'pin-confirm').fill(pin);
  await tid(page, 'sign-in').click();
  await tid(page, 'pending-badge').waitFor({ timeout: 30_000 });
}

/**
 * rep1 signed in on the scenario's phone and rep2 on a second phone of the same browser (closed
 * with the scenario); returns the second phone (`{ context, page, console }`).
 */
export async function signInTwoReps({ server, browser, page, onCleanup }) {
  const other = await newPhone(browser);
  onCleanup(() => other.context.close());
  await page.goto(`${server.url}/`);
  await signIn(page, 'rep1', 'rep1-demo');
  await other.page.goto(`${server.url}/`);
  await signIn(other.page, 'rep2', 'rep2-demo');
  return other;
}

/** Unlocks the lock screen (after a reload, the workspace opens locked). */
export async function unlock(page, pin = TEST_PIN) {
  await tid(page, 'unlock-pin').fill(pin);
  await tid(page, 'unlock').click();
  await tid(page, 'pending-badge').waitFor({ timeout: 30_000 });
}

/** Waits until a service worker controls the page (its precache is complete by then). */
export async function waitForServiceWorker(page) {
  const controlled = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((res) => navigator.serviceWorker.addEventListener('controllerchange', res, { once: true }));
    }
    return { controlled: Boolean(navigator.serviceWorker.controller), scope: reg.scope };
  });
  assert.equal(controlled.controlled, true, 'a service worker controls the page');
}

/** True if the page can reach the server (used to prove that "offline" really is offline). */
export async function canReachServer(page) {
  return page.evaluate(async () => {
    try {
      const r = await fetch('/healthz', { cache: 'no-store' });
      return r.ok;
    } catch {
      return false;
    }
  });
}

export async function badge(page) {
  return (await tid(page, 'pending-badge').textContent())?.trim();
}

export async function waitForBadge(page, n, timeout = SYNC_TIMEOUT) {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="pending-badge"]')?.textContent?.trim() === want,
    String(n),
    { timeout },
  );
}

export async function pickOutlet(page, outletId) {
  if (await tid(page, 'change-outlet').isVisible()) await tid(page, 'change-outlet').click();
  await tid(page, 'outlet-search').fill(outletId);
  await page.locator(`[data-testid="outlet-item"][data-outlet-id="${outletId}"]`).click();
  await tid(page, 'product-search').waitFor();
}

/** Changes the outlet's contact fields (`phone`, `address`) through its form; resolves once the
 * page reports the number of fields changed. */
export async function editContact(page, outletId, fields) {
  await pickOutlet(page, outletId);
  await tid(page, 'edit-outlet').locator('summary').click();
  if (fields.phone !== undefined) await tid(page, 'edit-phone').fill(fields.phone);
  if (fields.address !== undefined) await tid(page, 'edit-address').fill(fields.address);
  await tid(page, 'save-contact').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid="edit-result"]')?.dataset.changed === String(n), Object.keys(fields).length);
}

export async function addProduct(page, sku, quantity) {
  await tid(page, 'product-search').fill(sku);
  const item = page.locator(`[data-testid="product-item"][data-sku="${sku}"]`);
  await item.getByTestId('add-product').click();
  const qty = page.locator(`[data-testid="order-line"][data-sku="${sku}"] [data-testid="line-qty"]`);
  await qty.fill(String(quantity));
}

/** The totals the order form shows, as the module's decimal strings (the text is formatted). */
async function shownTotals(page) {
  return {
    subtotal: await tid(page, 'totals-subtotal').getAttribute('data-amount'),
    tax: await tid(page, 'totals-tax').getAttribute('data-amount'),
    total: await tid(page, 'totals-total').getAttribute('data-amount'),
  };
}

/**
 * Takes one order through the UI and commits it. Returns the order id the app reported and the
 * totals the UI showed just before the commit.
 */
export async function takeOrder(page, { outletId, lines }) {
  await pickOutlet(page, outletId);
  for (const { sku, quantity } of lines) await addProduct(page, sku, quantity);
  const commit = tid(page, 'commit-order');
  await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.hasAttribute('disabled'));
  const totals = await shownTotals(page);
  for (const [k, v] of Object.entries(totals)) assert.match(v ?? '', /^\d+(\.\d+)?$/, `UI ${k} is a decimal: ${v}`);
  await commit.click();
  const notice = tid(page, 'notice');
  await page.waitForFunction(() => {
    const n = document.querySelector('[data-testid="notice"]');
    return n && !n.hidden && n.textContent?.includes('saved on this device');
  });
  const orderId = await notice.getAttribute('data-order-id');
  assert.ok(orderId, 'the app reports the committed order id');
  // The list of orders refreshes after the commit: wait until it shows this one.
  await page.locator(`[data-testid="order-item"][data-order-id="${orderId}"]`).waitFor({ timeout: 15_000 });
  const documentNumber = await notice.getAttribute('data-document-number');
  assert.match(documentNumber ?? '', /^SO-\d{7}$/, 'the order got a document number from the lease');
  assert.equal(await notice.getAttribute('data-total'), totals.total, 'the committed total is the total the UI showed');
  return { orderId, totals, documentNumber, flagged: (await notice.getAttribute('data-flagged')) === 'true' };
}

export async function orderItems(page) {
  return page.locator('[data-testid="order-item"]').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-order-id'), status: e.getAttribute('data-status'), seq: Number(e.getAttribute('data-seq')) })),
  );
}

/** The task's row in the Tasks card. */
export function taskItem(page, taskId) {
  return page.locator(`[data-testid="task-item"][data-task-id="${taskId}"]`);
}

/** The task ids the Tasks card lists, in order, with their status and completion status. */
export async function taskItems(page) {
  return page.locator('[data-testid="task-item"]').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-task-id'), status: e.getAttribute('data-status'), completion: e.getAttribute('data-completion') })),
  );
}

/**
 * Completes a task through its form: "Complete", the note, the photos (Playwright file payloads
 * `{ name, mimeType, buffer }` or paths), "Complete task". Resolves once the card shows the
 * completion (`data-completion` no longer `none`), or with the error shown next to the field
 * (`{ error, detail }`) when the module refused it.
 */
export async function completeTask(page, taskId, { note = '', files = [] } = {}) {
  const item = taskItem(page, taskId);
  await item.getByTestId('task-complete').click();
  const form = page.locator(`[data-testid="task-form"][data-task-id="${taskId}"]`);
  await form.getByTestId('task-note').fill(note);
  if (files.length > 0) {
    await form.getByTestId('task-photos').setInputFiles(files);
    await page.waitForFunction(
      ({ id, n }) => document.querySelector(`[data-testid="task-form"][data-task-id="${id}"] [data-testid="task-photo-info"]`)?.dataset.count === String(n),
      { id: taskId, n: files.length },
    );
  }
  await form.getByTestId('task-submit').click();
  const outcome = await page.waitForFunction(
    (id) => {
      const item = document.querySelector(`[data-testid="task-item"][data-task-id="${id}"]`);
      if (item && item.getAttribute('data-completion') !== 'none') return { completion: item.getAttribute('data-completion') };
      const error = document.querySelector(`[data-testid="task-form"][data-task-id="${id}"] [data-testid="task-error"]`);
      const submit = document.querySelector(`[data-testid="task-form"][data-task-id="${id}"] [data-testid="task-submit"]`);
      if (error && !error.hidden && submit && !submit.disabled) return { error: error.textContent, detail: error.dataset.detail };
      return false;
    },
    taskId,
    { timeout: 30_000 },
  );
  return outcome.jsonValue();
}

/** Waits until the task's completion shows `status` (`pending`, `synced`, `rejected`, ...). */
export async function waitForTaskCompletion(page, taskId, status, timeout = SYNC_TIMEOUT) {
  await page.waitForFunction(
    ({ id, want }) => document.querySelector(`[data-testid="task-item"][data-task-id="${id}"]`)?.getAttribute('data-completion') === want,
    { id: taskId, want: status },
    { timeout },
  );
}

/** Waits until the order's row shows `status` (`synced`, `held`, `discarded`, ...). */
export async function waitForOrderStatus(page, orderId, status, timeout = SYNC_TIMEOUT) {
  await page.waitForFunction(
    ({ id, want }) => document.querySelector(`[data-testid="order-item"][data-order-id="${id}"]`)?.getAttribute('data-status') === want,
    { id: orderId, want: status },
    { timeout },
  );
}

/**
 * "Take order" on a task: the order form opens at the task's outlet, billed from the task; adds
 * `lines` and commits. Returns what the app reported, as `takeOrder` does.
 */
export async function takeOrderFromTask(page, taskId, lines) {
  await taskItem(page, taskId).getByTestId('task-take-order').click();
  await tid(page, 'product-search').waitFor();
  for (const { sku, quantity } of lines) await addProduct(page, sku, quantity);
  return commitShownOrder(page);
}

/** Commits the order on screen (lines already there); returns the notice's figures. */
export async function commitShownOrder(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="commit-order"]')?.hasAttribute('disabled'));
  const total = await tid(page, 'totals-total').getAttribute('data-amount');
  await tid(page, 'commit-order').click();
  await page.waitForFunction(() => {
    const n = document.querySelector('[data-testid="notice"]');
    return n && !n.hidden && n.textContent?.includes('saved on this device');
  });
  const notice = tid(page, 'notice');
  const orderId = await notice.getAttribute('data-order-id');
  assert.ok(orderId, 'the app reports the committed order id');
  await page.locator(`[data-testid="order-item"][data-order-id="${orderId}"]`).waitFor({ timeout: 15_000 });
  return {
    orderId,
    total,
    documentNumber: await notice.getAttribute('data-document-number'),
    taskId: await notice.getAttribute('data-task-id'),
    text: (await notice.textContent())?.trim(),
  };
}

/**
 * The device comes back online, its push hangs (the server never answers) and the tab is killed
 * mid-round; the next start unlocks and syncs. Returns that next page. The context must run
 * without a service worker: Playwright's routing does not see a worker's requests.
 */
export async function killTabMidPush(context, page, baseUrl) {
  await page.route('**/api/v1/sync/push', () => {});
  const pushing = page.waitForRequest('**/api/v1/sync/push');
  await context.setOffline(false);
  await pushing;
  await page.close();
  const next = await context.newPage();
  await next.goto(`${baseUrl}/`);
  await unlock(next);
  await waitForBadge(next, 0, SYNC_TIMEOUT);
  return next;
}

/** The browser's "Clear site data" for the app's origin (`storageTypes`: CDP's list, e.g. `all`). */
export async function clearSiteData(context, page, baseUrl, storageTypes = 'all') {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(baseUrl).origin, storageTypes });
}

/** From now on every push of `page` reaches the server damaged (one hex digit of its first
 * entry changed), which the server refuses whole: a push that reaches the server and fails. */
export async function damagePushes(page) {
  await page.route('**/api/v1/sync/push', async (route) => {
    const body = JSON.parse(route.request().postData() ?? '{}');
    if (Array.isArray(body.sealed) && body.sealed.length > 0) {
      const s = body.sealed[0].sealed;
      const i = Math.floor(s.length / 2);
      body.sealed[0].sealed = s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
    }
    await route.fulfill({ response: await route.fetch({ postData: JSON.stringify(body) }) });
  });
}

/** Writes `value` under `key` into the app's IndexedDB store `store` as it is, past the module
 * (a disk error, a meddling extension). */
export async function putRawRecord(page, store, key, value) {
  await page.evaluate(
    ([store, key, value]) =>
      new Promise((res, rej) => {
        const open = indexedDB.open('satchel');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction(store, 'readwrite');
          tx.objectStore(store).put(value, key);
          tx.oncomplete = () => {
            open.result.close();
            res();
          };
          tx.onabort = () => rej(tx.error);
        };
      }),
    [store, key, value],
  );
}
