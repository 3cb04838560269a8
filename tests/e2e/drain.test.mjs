// A day's backlog drained by the module's own sync loop in the browser (issue 16), through the
// packaged workspace on an integrator's page and the real server:
//
// - 160 orders wait, every other one a wholesale order of 60 lines (about 22 KB sealed each: 100
//   of them would make a body over the server's 1 MiB, refused whole on every retry);
// - the loop drains them in several pushes, each under the body limit, never two in flight at
//   once, each entry sent once and in order (the next batch is read while one is in flight and
//   the answers settled while the next one is);
// - the outbox empties, every order reads `synced` or `flagged` as the server has it, with the
//   total it was committed with, and the server holds each order once with that same total and
//   line count.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { serverOrders } from './support/api.mjs';
import { startServer } from './support/server.mjs';
import { siteAndBrowser } from './support/site.mjs';

const WORKSPACE = '/node_modules/@satchel/engine/workspace/satchel.js';

const shared = siteAndBrowser();

test('a backlog of large and small orders drains in pipelined pushes the server takes, each order once', { timeout: 240_000 }, async () => {
  const server = await startServer({ env: { SATCHEL_ALLOWED_ORIGINS: shared.site.origin } });
  const context = await shared.browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`${shared.site.url}/plain/empty.html`);
    const r = await page.evaluate(
      async ({ pkg, serverUrl }) => {
        const m = await import(pkg);
        await m.default();
        const ws = await m.Workspace.open({ base_url: serverUrl, db_name: 'drain' });
        await ws.signIn('rep1', 'rep1-demo', '246810');
        const outlet = ws.outlets()[0];
        const skus = ws.searchProducts('SKU', 60, outlet.id).map((p) => p.sku);
        const today = new Date().toISOString().slice(0, 10);
        // Returns: no credit or van stock to run out of, however many lines.
        const committed = [];
        for (let i = 0; i < 160; i++) {
          const lines = (i % 2 === 0 ? skus : skus.slice(i % 50, (i % 50) + 2)).map((sku, k) => ({ sku, quantity: String(1 + ((i + k) % 3)) }));
          const c = await ws.commitOrder({ outlet_id: outlet.id, kind: 'return', business_date: today, lines }, undefined, undefined);
          committed.push({ order_id: c.order_id, seq: c.seq, total: c.total, lines: lines.length });
        }
        // The outbox's second copy (Cache Storage): one entry per queued order, written after
        // each commit; emptied again as the answers come (a push's deletes go together).
        const copyEntries = async () => {
          const names = (await caches.keys()).filter((k) => k.startsWith('satchel-outbox-'));
          let n = 0;
          for (const name of names) n += (await (await caches.open(name)).keys()).length;
          return n;
        };
        const copyUntil = async (want) => {
          for (let i = 0; i < 100 && (await copyEntries()) !== want; i++) await new Promise((res) => setTimeout(res, 100));
          return copyEntries();
        };
        const copyBefore = await copyUntil(committed.length);
        // Every push as it goes: its size, its entries, how many were in flight with it.
        const pushes = [];
        let inFlight = 0;
        let mostInFlight = 0;
        const original = globalThis.fetch;
        globalThis.fetch = async (...args) => {
          const url = String(args[0]?.url ?? args[0]);
          if (!url.endsWith('/api/v1/sync/push')) return original(...args);
          // The module sends a Request (its body inside), not a URL and options.
          const body = args[0] instanceof Request ? await args[0].clone().text() : String(args[1]?.body ?? '');
          pushes.push({ bytes: new TextEncoder().encode(body).length, seqs: JSON.parse(body).sealed.map((e) => e.seq) });
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          try {
            return await original(...args);
          } finally {
            inFlight -= 1;
          }
        };
        ws.startSync();
        for (let i = 0; i < 120 && (await ws.pendingCount()) > 0; i++) {
          await ws.syncNow().catch(() => {});
          if ((await ws.pendingCount()) > 0) await new Promise((res) => setTimeout(res, 250));
        }
        const orders = await ws.orders();
        const copyAfter = await copyUntil(0);
        return { committed, pushes, mostInFlight, pending: await ws.pendingCount(), orders, status: await ws.status(), copyBefore, copyAfter };
      },
      { pkg: WORKSPACE, serverUrl: server.url },
    );
    assert.equal(r.pending, 0, `the outbox emptied (${JSON.stringify(r.status)})`);
    assert.equal(r.mostInFlight, 1, 'one push in flight at a time');
    assert.equal(r.copyBefore, r.committed.length, "the outbox's second copy held every queued order");
    assert.equal(r.copyAfter, 0, "the second copy let go of every answered entry");
    const sent = r.pushes.flatMap((p) => p.seqs);
    assert.deepEqual(sent, [...sent].sort((a, b) => a - b), 'entries went in sequence order');
    assert.equal(new Set(sent).size, sent.length, 'no entry was sent twice');
    for (const c of r.committed) assert.ok(sent.includes(c.seq), `entry ${c.seq} went`);
    assert.ok(r.pushes.length >= 3, `several pushes (${r.pushes.map((p) => p.seqs.length)})`);
    for (const p of r.pushes) assert.ok(p.bytes <= 1 << 20, `a push of ${p.seqs.length} entries is ${p.bytes} bytes, over the server's 1 MiB`);
    assert.ok(r.pushes.some((p) => p.seqs.length < 100 && p !== r.pushes.at(-1)), 'large orders cut a batch short of 100');

    const mine = new Map(r.orders.map((o) => [o.order_id, o]));
    const held = await serverOrders(server.url);
    for (const c of r.committed) {
      const status = mine.get(c.order_id)?.status;
      assert.ok(['synced', 'flagged'].includes(status), `order ${c.order_id} left pending (${status})`);
      assert.equal(String(mine.get(c.order_id).total), String(c.total));
      const there = held.filter((o) => o.order_id === c.order_id);
      assert.equal(there.length, 1, `the server holds order ${c.order_id} once`);
      assert.equal(String(there[0].total), String(c.total), 'with the total the device committed');
      assert.equal(there[0].line_count, c.lines);
      // Repeats of the same lines for one outlet are flagged as likely duplicates: the device
      // shows the server's word on each.
      assert.equal(status === 'flagged', there[0].flagged, `order ${c.order_id}: the device's flag is the server's`);
    }
  } finally {
    await context.close();
    await server.stop();
  }
});
