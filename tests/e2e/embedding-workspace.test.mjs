// The package's second entry point, `@satchel/engine/workspace`, run by an integrator's page on
// another origin than the sync server (issue 19): the page is served by a static site beside the
// packaged files (dist/npm), the server is the reference one on its own port.
//
// - without the page's origin in SATCHEL_ALLOWED_ORIGINS, sign-in is refused and the workspace
//   says so (`cors_refused`, naming the origin and the setting), not "the server could not be
//   reached";
// - with it, the page signs in, reads the route's outlets, gets a refusal naming the field for a
//   number quantity, commits an order and syncs it: the server holds it once.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { serverOrders } from './support/api.mjs';
import { startServer } from './support/server.mjs';
import { siteAndBrowser } from './support/site.mjs';

const WORKSPACE = '/node_modules/@satchel/engine/workspace/satchel.js';

describe('the offline workspace from another origin, from the packaged files', () => {
  const shared = siteAndBrowser();

  /** Runs `steps` (a function of the module, the server URL and a fresh db name) in the page. */
  async function inPage(serverUrl, body) {
    const context = await shared.browser.newContext({ serviceWorkers: 'block' });
    try {
      const page = await context.newPage();
      await page.goto(`${shared.site.url}/plain/empty.html`);
      return await page.evaluate(
        async ({ pkg, serverUrl, body }) => {
          const m = await import(pkg);
          await m.default();
          // eslint-disable-next-line no-new-func
          return new Function('m', 'serverUrl', `return (async () => { ${body} })()`)(m, serverUrl);
        },
        { pkg: WORKSPACE, serverUrl, body },
      );
    } finally {
      await context.close();
    }
  }

  test('an origin the server does not allow is told so, naming the origin and the setting', async () => {
    const server = await startServer();
    try {
      const r = await inPage(
        server.url,
        `const ws = await m.Workspace.open({ base_url: serverUrl, db_name: 'refused' });
         try { await ws.signIn('rep1', 'rep1-demo', '246810'); return null; }
         catch (e) { return { name: e.name, code: e.code, message: e.message }; }`,
      );
      assert.equal(r?.name, 'SatchelError');
      assert.equal(r.code, 'cors_refused', r.message);
      assert.ok(r.message.includes(shared.site.origin) && r.message.includes('SATCHEL_ALLOWED_ORIGINS'), r.message);
    } finally {
      await server.stop();
    }
  });

  test('an allowed origin signs in, orders and syncs exactly once', async () => {
    const server = await startServer({ env: { SATCHEL_ALLOWED_ORIGINS: `https://erp.example.com,${shared.site.origin}` } });
    try {
      const r = await inPage(
        server.url,
        `const ws = await m.Workspace.open({ base_url: serverUrl, db_name: 'allowed' });
         const session = await ws.signIn('rep1', 'rep1-demo', '246810');
         ws.startSync(); // the page starts the sync loop (one leader tab pushes and pulls)
         const outlet = ws.outlets()[0];
         const product = ws.searchProducts('SKU', 1, outlet.id)[0];
         const today = new Date().toISOString().slice(0, 10);
         let numberRefused = null;
         try { ws.quote({ outlet_id: outlet.id, business_date: today, lines: [{ sku: product.sku, quantity: 2 }] }); }
         catch (e) { numberRefused = { code: e.code, field: e.field, detail: e.detail }; }
         const committed = await ws.commitOrder({ outlet_id: outlet.id, business_date: today, lines: [{ sku: product.sku, quantity: '2' }] }, undefined, undefined);
         for (let i = 0; i < 40 && (await ws.pendingCount()) > 0; i++) { await ws.syncNow().catch(() => {}); await new Promise((r) => setTimeout(r, 250)); }
         return { username: session.username, outlets: ws.outlets().length, numberRefused, orderId: committed.order_id, pending: await ws.pendingCount() };`,
      );
      assert.equal(r.username, 'rep1');
      assert.ok(r.outlets > 0, 'the route came down');
      assert.deepEqual(r.numberRefused, { code: 'validation', field: 'lines[0].quantity', detail: 'wrong_type' });
      assert.equal(r.pending, 0, 'the order synced');
      const held = (await serverOrders(server.url)).filter((o) => o.order_id === r.orderId || o.id === r.orderId);
      assert.equal(held.length, 1, 'the server holds the order once');
    } finally {
      await server.stop();
    }
  });
});
