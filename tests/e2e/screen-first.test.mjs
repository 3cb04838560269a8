// A screen before the module: on a cheap phone the Wasm module takes seconds to download and
// compile, and the page paints the screen it last showed (sign-in, or the lock screen) from its
// script meanwhile. The module is held back here until the user has typed and submitted; the
// submit then completes once it arrives. Nothing of the business is shown before the module:
// the lock screen says whose workspace it is only once the module has read it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_PIN } from './support/app.mjs';
import { PHONE } from './support/browser.mjs';
import { scenario } from './support/scenario.mjs';

test('screen first: sign-in and the lock screen are painted and usable before the module has loaded', { timeout: 180_000 }, (t) =>
  scenario(t, async ({ server, browser, onCleanup }) => {
    // No service worker: it would serve the module from its cache, past the hold.
    const context = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
    onCleanup(() => context.close());
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    let release = () => {};
    let held = Promise.resolve();
    const hold = () => {
      held = new Promise((res) => {
        release = res;
      });
    };
    // Resolves when the page asks for the module (it does once the first screen is painted).
    let asked = Promise.resolve();
    let onAsk = () => {};
    const expectAsk = () => {
      asked = new Promise((res) => {
        onAsk = res;
      });
    };
    await page.route(/\.wasm$/, async (route) => {
      onAsk();
      await held;
      await route.continue();
    });
    const wasAsked = () => Promise.race([asked.then(() => true), new Promise((res) => setTimeout(() => res(false), 30_000))]);
    const app = page.locator('#app');
    const tid = (id) => page.getByTestId(id);

    // First start: the sign-in form, typed into and submitted while the module is held.
    hold();
    expectAsk();
    await page.goto(`${server.url}/`);
    await tid('username').fill('rep1');
    await tid('password').fill('rep1-demo');
    await tid('pin').fill(TEST_PIN);
    await tid('pin-confirm').fill(TEST_PIN);
    await tid('sign-in').click();
    assert.ok(await wasAsked(), 'the module was asked for');
    assert.equal(await app.getAttribute('data-screen'), 'early', 'the sign-in screen is the one painted before the module');
    assert.equal(await tid('sign-in').textContent(), 'Signing in…', 'the submit waits for the module');
    release();
    await tid('pending-badge').waitFor({ timeout: 60_000 });
    assert.equal(await app.getAttribute('data-screen'), 'module');

    // A reload opens locked: the lock screen is painted before the module, without a name.
    hold();
    expectAsk();
    await page.reload();
    await tid('unlock-pin').fill(TEST_PIN);
    assert.ok(await wasAsked(), 'the module was asked for');
    assert.equal(await app.getAttribute('data-screen'), 'early');
    assert.equal(await tid('lock-whose').textContent(), 'Enter your PIN.', 'no name before the module has read it');
    await tid('unlock').click();
    assert.equal(await tid('unlock').isDisabled(), true, 'Unlock waits for the module');
    release();
    await tid('pending-badge').waitFor({ timeout: 60_000 });
    assert.equal(await app.getAttribute('data-screen'), 'module');

    // Locked again: now the module is there, and the lock screen names the workspace.
    await tid('lock-now').click();
    await tid('lock-whose').waitFor();
    assert.match((await tid('lock-whose').textContent()) ?? '', /^Satchel of .+\. Enter your PIN to continue\.$/);
    assert.deepEqual(pageErrors, []);
  }),
);
