// The static site (support/static.mjs) and a browser, shared by the tests of the file or the
// `describe` that calls `siteAndBrowser()`: both start before its first test and stop after its
// last. The embedding tests and the drain load the packaged module this way, from another origin
// than the sync server.

import { after, before } from 'node:test';

import { launchBrowser } from './browser.mjs';
import { startStatic } from './static.mjs';

/**
 * @returns {{ site: Awaited<ReturnType<typeof startStatic>>, browser: import('playwright').Browser }}
 *   set once the `before` hook has run.
 */
export function siteAndBrowser() {
  const shared = /** @type {any} */ ({ site: null, browser: null });
  before(async () => {
    shared.site = await startStatic();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.site?.stop();
  });
  return shared;
}
