// A hostile network between three phones and the server. Every page is loaded through a
// fault-injecting proxy on loopback that, by a seeded per-device schedule, drops push requests,
// drops the server's answers after it committed, sends pushes twice and answers bursts of 503;
// once, while the three phones' pushes are in flight, the server is killed (SIGKILL) and started
// again on the same port and data directory. Orders are taken online and offline. When the
// network is healed every badge returns to 0, and the server holds every order exactly once, with
// the device's total, document number and sequence number, and nothing else.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { countBy, serverOrders } from './support/api.mjs';
import { canReachServer, orderItems, signIn, takeOrder, waitForBadge } from './support/app.mjs';
import { newPhone } from './support/browser.mjs';
import { startProxy } from './support/proxy.mjs';
import { scenario } from './support/scenario.mjs';

const RESULTS = resolve('test-results');
const SEED = Number(process.env.SATCHEL_FAULT_SEED ?? 20_251); // set it to replay another rotation
if (!Number.isSafeInteger(SEED) || SEED < 0) throw new Error(`SATCHEL_FAULT_SEED must be a non-negative integer, not ${process.env.SATCHEL_FAULT_SEED}`);
const PHASE_TIMEOUT = 120_000; // a few faults in a row put the client's backoff at 8-30 s

// The three failing kinds, in a rotation decided by the seed and the device's index (devices are
// numbered by their first push): each kind is the first fault of exactly one device.
const FAILING = ['drop_request', 'drop_response', { mode: 'burst_5xx', times: 2 }];
const rotation = (device) => {
  const k = (SEED + device) % FAILING.length;
  return [...FAILING.slice(k), ...FAILING.slice(0, k)];
};
// Before the crash: a device's first push meets its first failing kind and its retry is sent
// twice (`duplicate`, a success for the device), so all four kinds take effect in phase 1. The
// other two kinds follow for a device that pushes more often than once per order and retry.
const scheduleFor = (device) => {
  const [k1, k2, k3] = rotation(device);
  return [k1, 'duplicate', k2, k3];
};
// After the crash: one more failing fault for each device's first push (so each device meets a
// fault against the restarted server), a duplicated push, then seeded random faults (never more
// than two failing ones in a row for a device) until the network is healed.
const afterCrashFor = (device) => [rotation(device + 1)[0], 'duplicate'];
const AFTER_CRASH_RANDOM = {
  seed: SEED,
  weights: { pass: 3, drop_request: 1, drop_response: 1, duplicate: 1, burst_5xx: 1 },
  maxFaultsInARow: 2,
};
const FAULT_WINDOW = 20_000; // how long the random faults go on once the last orders are taken

// Each phone's four orders: plain products only; the middle two are taken offline.
const ordersFor = (outlets, i) => [
  { outletId: outlets[0], lines: [{ sku: 'SKU-00001', quantity: 2 + i }] },
  { outletId: outlets[1], lines: [{ sku: 'SKU-00004', quantity: 1 }, { sku: 'SKU-00022', quantity: 2 + i }] },
  { outletId: outlets[2], lines: [{ sku: 'SKU-00023', quantity: 3 }] },
  { outletId: outlets[3], lines: [{ sku: 'SKU-00025', quantity: 1 + i }, { sku: 'SKU-00007', quantity: 2 }] },
];

async function metric(baseUrl, name) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  assert.ok(line, `/metrics has ${name}`);
  return Number(line.split(' ').pop());
}
const DUPLICATES = 'satchel_mutations_total{outcome="duplicate"}';

/** What a phone shows about its sync, for failure messages. */
async function syncState(p) {
  const text = async (id) => (await p.page.getByTestId(id).textContent({ timeout: 1_000 }).catch(() => '?'))?.trim();
  const items = await orderItems(p.page).catch(() => []);
  return `${p.name}: badge ${await text('pending-badge')}, "${await text('sync-text')}", orders ${JSON.stringify(items)}`;
}

/** Waits for the badge of phone `p` to show `n`; on timeout says what the phone shows. */
async function badgeOf(p, n, timeout) {
  try {
    await waitForBadge(p.page, n, timeout);
  } catch (err) {
    throw new Error(`${p.name}: the badge did not reach ${n} within ${timeout} ms (${await syncState(p)})`, { cause: err });
  }
}

/** Waits until every order phone `p` lists shows the server's acceptance (synced, or flagged for review). */
async function allSynced(p) {
  try {
    await p.page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="order-item"]')].every((e) => ['synced', 'flagged'].includes(e.getAttribute('data-status'))),
      null,
      { timeout: 15_000 },
    );
  } catch (err) {
    throw new Error(`${p.name}: not every order shows synced within 15 s of the badge reaching 0 (${await syncState(p)})`, { cause: err });
  }
}

test('faults: orders from three phones reach the server exactly once through dropped, duplicated and refused pushes and a server crash', { timeout: 360_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page, onCleanup }) => {
    const began = Date.now();
    const phase = (what) => t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s: ${what}`);
    const proxy = await startProxy(server.url);
    onCleanup(() => proxy.close());
    proxy.setPushPlan({ perDevice: true, schedule: scheduleFor, then: 'pass' });
    t.diagnostic(`seed ${SEED}; schedules by device index: ${JSON.stringify([0, 1, 2].map(scheduleFor))}`);
    t.diagnostic(`after the crash: ${JSON.stringify([0, 1, 2].map(afterCrashFor))}, then ${JSON.stringify(AFTER_CRASH_RANDOM)}`);

    // Three phones: rep1, rep2, and rep1 again on a second device. The first is the scenario's own
    // page (its diagnostics come with the scenario); the other two are watched here.
    const extra = [await newPhone(browser), await newPhone(browser)];
    for (const p of extra) onCleanup(() => p.context.close());
    const phones = [
      { name: 'rep1-a', user: 'rep1', context, page, console: null },
      { name: 'rep2', user: 'rep2', ...extra[0] },
      { name: 'rep1-b', user: 'rep1', ...extra[1] },
    ];
    const each = (fn) => Promise.all(phones.map((p, i) => fn(p, i)));

    try {
      await each(async (p) => {
        await p.page.goto(`${proxy.url}/`); // the page's origin is the proxy: all its API calls go through it
        await signIn(p.page, p.user, `${p.user}-demo`);
        await badgeOf(p, 0, 30_000);
        p.outlets = await p.page.getByTestId('outlet-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-outlet-id')));
      });
      // No outlet gets orders from two phones (rep1 and rep2 share a route, and rep1 is on two
      // phones): the server's duplicate-order rule would flag one of them, depending on timing.
      const used = new Set();
      for (const p of phones) {
        p.outlets = p.outlets.filter((o) => !used.has(o)).slice(0, 4);
        for (const o of p.outlets) used.add(o);
        assert.equal(p.outlets.length, 4, `${p.name} has four outlets of its own (${p.outlets})`);
      }
      phones.forEach((p, i) => (p.plan = ordersFor(p.outlets, i)));
      t.diagnostic(`outlets: ${phones.map((p) => `${p.name} ${p.outlets.join(',')}`).join('; ')}`);
      for (const p of phones) p.taken = [];
      phase('three phones signed in');

      // Phase 1, online: one order each. Each device's first push meets its first fault, then a
      // duplicated push.
      await each(async (p) => p.taken.push(await takeOrder(p.page, p.plan[0])));
      await each((p) => badgeOf(p, 0, PHASE_TIMEOUT));
      phase(`phase 1 synced; proxy fired ${JSON.stringify(proxy.counters.fired)}`);
      const duplicatesBeforeCrash = await metric(server.url, DUPLICATES);

      // Phase 2, offline: two orders each, nothing reaches the proxy.
      await each((p) => p.context.setOffline(true));
      for (const p of phones) assert.equal(await canReachServer(p.page), false, `${p.name} is offline`);
      const pushesBeforeOffline = proxy.counters.pushRequests;
      await each(async (p) => {
        p.taken.push(await takeOrder(p.page, p.plan[1]));
        p.taken.push(await takeOrder(p.page, p.plan[2]));
        await badgeOf(p, 2, 10_000);
      });
      assert.equal(proxy.counters.pushRequests, pushesBeforeOffline, 'no push got through while the phones were offline');
      phase('phase 2: six orders taken offline');

      // Back online together. The first pushes (each a batch of two orders) are held until three
      // are in flight, then forwarded together; as soon as the server has answered the first of
      // them (so it committed that one and is busy with the others) it is killed and started
      // again on the same port and data directory. Whatever it committed, the answers are lost.
      const crash = proxy.armRestart({
        inFlight: 3,
        maxWaitMs: 5_000,
        after: 'first_answer',
        restart: () => server.restart({ signal: 'SIGKILL', downtimeMs: 500 }),
      });
      crash.catch(() => {}); // (handled below; this only keeps a late failure from going unhandled)
      await each((p) => p.context.setOffline(false));
      let noPush;
      await Promise.race([
        crash,
        new Promise((_, rej) => (noPush = setTimeout(() => rej(new Error('no push reached the proxy within 60 s of going online')), 60_000))),
      ]).finally(() => clearTimeout(noPush));
      const firedBeforeCrash = { ...proxy.counters.fired };
      proxy.setPushPlan({ perDevice: true, schedule: afterCrashFor, then: AFTER_CRASH_RANDOM });
      phase(`phase 2: server crashed and restarted; ${JSON.stringify(proxy.counters.restart)}`);

      // Phase 3, while phase 2's batches are still being retried against the restarted server:
      // the last order each. The faults go on for a while (or until everything is through), then
      // the network is healed and every outbox must drain.
      await each(async (p) => p.taken.push(await takeOrder(p.page, p.plan[3])));
      phase('phase 3: last orders taken');
      // The fault window: until every badge is 0 or FAULT_WINDOW has passed, whichever is first.
      await each((p) => waitForBadge(p.page, 0, FAULT_WINDOW).catch(() => {})); // either way, go on
      const firedAfterCrash = Object.fromEntries(Object.entries(proxy.counters.fired).map(([k, v]) => [k, v - firedBeforeCrash[k]]));
      phase(`phase 3: healing the proxy; after the crash it fired ${JSON.stringify(firedAfterCrash)}`);
      proxy.heal();
      await each((p) => badgeOf(p, 0, PHASE_TIMEOUT));
      await each((p) => allSynced(p));
      phase('every badge is 0');

      // --- What the phones say.
      const shown = await each((p) => orderItems(p.page));
      phones.forEach((p, i) => {
        assert.equal(p.taken.length, 4, `${p.name} took four orders`);
        assert.deepEqual(new Set(shown[i].map((o) => o.id)), new Set(p.taken.map((o) => o.orderId)), `${p.name} lists exactly its orders`);
        p.shown = new Map(shown[i].map((o) => [o.id, o]));
      });

      // --- The faults really happened.
      const c = proxy.counters;
      t.diagnostic(`proxy counters: ${JSON.stringify(c)}`);
      for (const e of proxy.events) t.diagnostic(`push event: ${e.t} ms #${e.n} device ${e.device} (${e.from ?? '-'}) ${e.mode}: ${e.outcome}`);
      assert.equal(c.devices.length, 3, `three devices pushed: ${c.devices}`);
      for (const kind of ['drop_request', 'drop_response', 'duplicate', 'burst_5xx']) {
        assert.ok(firedBeforeCrash[kind] >= 1, `fault ${kind} took effect before the crash (${JSON.stringify(firedBeforeCrash)})`);
      }
      assert.ok(firedBeforeCrash.burst_5xx >= 2, `a burst of 503s (${firedBeforeCrash.burst_5xx})`);
      // Each device's first push to the restarted server met a failing fault.
      const failingAfterCrash = firedAfterCrash.drop_request + firedAfterCrash.drop_response + firedAfterCrash.burst_5xx;
      assert.ok(failingAfterCrash >= 3, `faults against the restarted server (${JSON.stringify(firedAfterCrash)})`);
      assert.equal(server.restarts(), 1, 'the server was restarted once');
      assert.equal(c.restart.triggered, 1, 'the crash was triggered once');
      assert.equal(c.restart.completed, 1, 'the crash completed');
      const heldDevices = new Set(proxy.events.filter((e) => e.outcome === 'held for the restart').map((e) => e.device));
      assert.ok(heldDevices.size >= 2, `pushes of several devices were in flight at the crash (${c.restart.held} pushes of devices ${[...heldDevices]})`);
      assert.equal(c.restart.answeredBeforeCrash + c.restart.lostInCrash, c.restart.held, 'every push in flight at the crash was settled');
      assert.ok(c.restart.answeredBeforeCrash >= 1, `the server committed a push whose answer the crash lost (${c.restart.answeredBeforeCrash})`);

      // The server answered replays as duplicates: at least once per push whose mutations it had
      // applied but whose answer the device never saw, and once per duplicated push. (Metrics
      // restart with the process, so the first process's count was read before the crash.)
      const duplicates = duplicatesBeforeCrash + (await metric(server.url, DUPLICATES));
      const mustBeDuplicates = c.fired.duplicate + c.fired.drop_response + c.restart.answeredBeforeCrash;
      t.diagnostic(`duplicates answered: ${duplicatesBeforeCrash} before the crash + ${duplicates - duplicatesBeforeCrash} after; at least ${mustBeDuplicates} expected`);
      assert.ok(duplicates >= 1, `the server answered duplicates (${duplicates})`);
      assert.ok(duplicates >= mustBeDuplicates, `duplicates answered ${duplicates} >= replays sent ${mustBeDuplicates}`);
      // The restarted process knew, from the data directory alone, what the crashed one committed.
      assert.ok(
        duplicates - duplicatesBeforeCrash >= c.restart.answeredBeforeCrash,
        `the restarted server answered the replays of what was committed before the crash as duplicates (${duplicates - duplicatesBeforeCrash} >= ${c.restart.answeredBeforeCrash})`,
      );

      // --- Straight from the server: every order once, as the device committed it, nothing else.
      const orders = await serverOrders(server.url);
      const taken = phones.flatMap((p) => p.taken.map((o) => ({ ...o, phone: p })));
      assert.equal(new Set(taken.map((o) => o.orderId)).size, 12, 'twelve distinct order ids on the phones');
      for (const [id, n] of countBy(orders, 'order_id')) assert.equal(n, 1, `order ${id} stored once`);
      assert.equal(orders.length, 12, `server holds exactly 12 orders: ${JSON.stringify(orders.map((o) => o.order_id))}`);
      const flagged = orders.filter((o) => o.flagged).map((o) => `${o.order_id} (${o.outlet_id})`);
      if (flagged.length) t.diagnostic(`flagged by the server: ${flagged.join(', ')}`);
      for (const { orderId, totals, documentNumber, phone } of taken) {
        const stored = orders.find((o) => o.order_id === orderId);
        assert.ok(stored, `order ${orderId} of ${phone.name} reached the server`);
        assert.equal(stored.username, phone.user, `user of ${orderId}`);
        assert.equal(String(stored.total), totals.total, `total of ${orderId}`);
        assert.equal(stored.document_number, documentNumber, `document number of ${orderId}`);
        assert.equal(stored.seq, phone.shown.get(orderId).seq, `sequence number of ${orderId}`);
        // The phone shows the order as the server judged it: flagged for review exactly when the
        // server flagged it, even when the answer that carried the flag was lost (a replay of a
        // flagged order is answered `flagged` again).
        const status = phone.shown.get(orderId).status;
        assert.ok(['synced', 'flagged'].includes(status), `${orderId} shows accepted on ${phone.name}: ${status}`);
        assert.equal(status === 'flagged', Boolean(stored.flagged), `${orderId} shows ${status} on ${phone.name}; the server flagged it: ${stored.flagged}`);
        assert.ok(c.devices.includes(stored.device_id), `device of ${orderId} is one that pushed through the proxy`);
      }
      for (const p of phones) {
        const ids = new Set(orders.filter((o) => p.taken.some((x) => x.orderId === o.order_id)).map((o) => o.device_id));
        assert.equal(ids.size, 1, `${p.name}'s orders all came from one device`);
        p.deviceId = [...ids][0];
      }
      assert.equal(new Set(phones.map((p) => p.deviceId)).size, 3, 'three distinct devices');
      for (const [key, n] of countBy(orders.map((o) => ({ key: `${o.device_id}#${o.seq}` })), 'key')) assert.equal(n, 1, `${key} stored once`);
      assert.equal(new Set(orders.map((o) => o.document_number)).size, 12, 'twelve distinct document numbers');

      // An uncaught exception in any page is a bug (the scenario checks its own page).
      for (const p of phones.slice(1)) {
        const errors = p.console.filter((l) => l.startsWith('[pageerror]'));
        assert.equal(errors.length, 0, `uncaught exceptions in ${p.name}:\n${[...new Set(errors)].slice(0, 5).join('\n')}`);
      }
      phase('all assertions passed');
    } catch (err) {
      // The scenario keeps the first phone's console and screenshot and the server log; keep the
      // other two phones' and what the proxy did.
      const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      try {
        mkdirSync(RESULTS, { recursive: true });
        for (const p of phones.slice(1)) {
          await p.page.screenshot({ path: join(RESULTS, `${name}.${p.name}.png`), fullPage: true }).catch(() => {});
          writeFileSync(join(RESULTS, `${name}.${p.name}.console.log`), p.console.join('\n'));
        }
        writeFileSync(
          join(RESULTS, `${name}.proxy.json`),
          JSON.stringify({ seed: SEED, schedules: [0, 1, 2].map(scheduleFor), counters: proxy.counters, events: proxy.events }, null, 2),
        );
        t.diagnostic(`proxy counters: ${JSON.stringify(proxy.counters)}`);
      } catch {
        // diagnostics are best effort
      }
      throw err;
    }
  });
});
