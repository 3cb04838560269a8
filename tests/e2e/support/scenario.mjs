// One scenario = its own server (fresh data dir), its own browser and context; everything is
// cleaned up afterwards, and on failure the server log, the browser console and a screenshot are
// kept for diagnosis.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, newPhone } from './browser.mjs';
import { startServer } from './server.mjs';

const RESULTS = resolve('test-results');

/**
 * @param {import('node:test').TestContext} t
 * @param {(s: { server: Awaited<ReturnType<typeof startServer>>, browser: any, context: any, page: any, onCleanup: (fn: () => Promise<void> | void) => void }) => Promise<void>} body
 * @param {{ serverEnv?: Record<string, string>, wwwDir?: string }} [options] `serverEnv`: extra
 *   environment for the server; `wwwDir`: the built PWA it serves (default: `SATCHEL_WWW_DIR`)
 */
export async function scenario(t, body, { serverEnv = {}, wwwDir } = {}) {
  const cleanups = [];
  const onCleanup = (fn) => cleanups.push(fn);
  let server, browser, phone;
  try {
    server = await startServer({ timeoutMs: 120_000, env: serverEnv, ...(wwwDir ? { wwwDir } : {}) });
    onCleanup(() => server.stop());
    browser = await launchBrowser();
    onCleanup(() => browser.close());
    phone = await newPhone(browser);
    onCleanup(() => phone.context.close());
    await body({ server, browser, context: phone.context, page: phone.page, onCleanup });
    // An uncaught exception in the page is a bug even when the scenario got through.
    const pageErrors = phone.console.filter((line) => line.startsWith('[pageerror]'));
    assert.equal(pageErrors.length, 0, `uncaught exceptions in the page:\n${[...new Set(pageErrors)].slice(0, 5).join('\n')}`);
  } catch (err) {
    const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    try {
      mkdirSync(RESULTS, { recursive: true });
      if (phone) {
        await phone.page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true }).catch(() => {});
        writeFileSync(join(RESULTS, `${name}.console.log`), phone.console.join('\n'));
      }
      if (server) writeFileSync(join(RESULTS, `${name}.server.log`), server.log());
      t.diagnostic(`diagnostics written to ${RESULTS}/${name}.*`);
    } catch {
      // diagnostics are best effort
    }
    throw err;
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        t.diagnostic(`cleanup failed: ${e}`);
      }
    }
  }
}
