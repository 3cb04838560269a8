// The app under its own security headers (issue 15): a strict Content-Security-Policy (no
// inline script or style, WebAssembly only from the app's files), nosniff, no referrer and a
// Permissions-Policy. A rep's order (sign-in, catalog, commit, sync, lock and unlock, a reload
// served by the service worker) and a cashier's sale run with no violation reported.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerDevice } from './support/api.mjs';
import { newPhone } from './support/browser.mjs';
import { signIn, takeOrder, unlock, waitForBadge, waitForServiceWorker, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

/** Records every CSP violation the page sees, across reloads. */
async function recordViolations(context) {
  await context.addInitScript(() => {
    const seen = [];
    Object.defineProperty(window, '__cspViolations', { value: seen });
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
}

const violations = (page) => page.evaluate(() => window.__cspViolations ?? ['no recorder']);

test('security headers: the app runs under a strict CSP with no violation, and every answer carries the headers', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page, onCleanup }) => {
    await recordViolations(context);
    const doc = await page.goto(`${server.url}/`);
    const h = doc.headers();
    assert.match(h['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval';/);
    assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'self'$/);
    assert.doesNotMatch(h['content-security-policy'] ?? '', /unsafe-inline|'unsafe-eval'/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    assert.match(h['permissions-policy'] ?? '', /camera=\(self\)/);
    for (const path of ['/api/v1/reference', '/healthz', '/sw.js', '/app.js']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok(res.headers.get('content-security-policy'), path);
    }

    // A rep's day in small: sign in, an order that syncs, lock, a reload from the service worker.
    const token = await registerDevice(server.url, 'rep1', 'rep1-demo', 'e2e reference');
    const reference = await (await fetch(`${server.url}/api/v1/reference`, { headers: { authorization: `Bearer ${token}` } })).json();
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForServiceWorker(page);
    await takeOrder(page, { outletId: reference.outlets[0].id, lines: [{ sku: reference.products[0].sku, quantity: 2 }] });
    await waitForBadge(page, 0, SYNC_TIMEOUT);
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    await page.reload();
    await unlock(page);
    assert.deepEqual(await violations(page), [], 'no CSP violation for the rep');

    // A cashier's sale on the counter.
    const till = await newPhone(browser);
    onCleanup(() => till.context.close());
    await recordViolations(till.context);
    await till.page.goto(`${server.url}/`);
    await signIn(till.page, 'cashier1', 'cashier1-demo');
    await till.page.getByTestId('open-shift-panel').waitFor();
    await till.page.getByTestId('float-20').fill('5');
    await till.page.getByTestId('open-shift').click();
    await till.page.getByTestId('quick-key').first().click();
    await till.page.waitForFunction(() => !document.querySelector('[data-testid="tender"]')?.disabled);
    await till.page.getByTestId('tender').click();
    await till.page.getByTestId('tender-amount').fill('');
    await till.page.getByTestId('add-cash').click();
    await till.page.waitForFunction(() => !document.querySelector('[data-testid="complete-sale"]')?.disabled);
    await till.page.getByTestId('complete-sale').click();
    await till.page.getByTestId('receipt').waitFor();
    assert.deepEqual(await violations(till.page), [], 'no CSP violation at the counter');

    // The recorder works, and the policy bites: an injected inline script does not run.
    const injected = await till.page.evaluate(async () => {
      const el = document.createElement('script');
      el.textContent = 'window.__inlineRan = true';
      document.head.append(el);
      await new Promise((r) => setTimeout(r, 100));
      return window.__inlineRan === true;
    });
    assert.equal(injected, false, 'an inline script is blocked');
    assert.match((await violations(till.page)).join('\n'), /^script-src-elem /);
  });
});
