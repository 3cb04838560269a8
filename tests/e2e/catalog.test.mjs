// The catalog after an unlock (issue 17): the workspace shows the day's outlets before the
// products are decrypted, the page opens them in slices afterwards, and a rep who searches at
// once still finds every product, priced, because any read of the catalog opens the rest first.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rep1Reference } from './support/api.mjs';
import { pickOutlet, putRawRecord, signIn, unlock } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

const PRODUCTS = 3000;

const waitForCatalogOpen = (page) => page.waitForFunction(() => document.getElementById('app')?.dataset.catalog === 'open', undefined, { timeout: 60_000 });

/** Searches `sku` in the order form; answers the product item's SKU and price as shown. */
async function find(page, sku) {
  await page.getByTestId('product-search').fill(sku);
  const item = page.locator(`[data-testid="product-item"][data-sku="${sku}"]`);
  await item.waitFor({ timeout: 30_000 });
  return { sku: await item.getAttribute('data-sku'), price: await item.getAttribute('data-price') };
}

test('catalog: the products open after the first screen, and a search typed before then finds them', { timeout: 240_000 }, async (t) => {
  await scenario(
    t,
    async ({ server, context, page }) => {
      const reference = await rep1Reference(server.url);
      assert.equal(reference.products.length, PRODUCTS);
      const outlet = reference.outlets[0].id;
      // Products from across the catalog (IndexedDB keeps them in the order of their keyed hashes).
      const skus = [0, 1, 2, 3, 4].map((i) => reference.products[Math.floor((i * (PRODUCTS - 1)) / 4)].sku);

      await page.goto(`${server.url}/`);
      await signIn(page, 'rep1', 'rep1-demo');
      await waitForCatalogOpen(page); // after the sign-in's pull nothing is sealed
      await pickOutlet(page, outlet);
      const before = [];
      for (const sku of skus) before.push(await find(page, sku));
      assert.ok(before.every((p) => /^\d+(\.\d+)?$/.test(p.price ?? '')), `every product is priced: ${JSON.stringify(before)}`);

      // Every value the page gives #app[data-catalog] from the next load on.
      await page.addInitScript(() => {
        window.__catalog = [];
        document.addEventListener('DOMContentLoaded', () => {
          const app = document.getElementById('app');
          if (!app) return;
          new MutationObserver(() => window.__catalog.push(app.dataset.catalog ?? '')).observe(app, { attributes: true, attributeFilter: ['data-catalog'] });
        });
      });
      await page.reload();
      await page.getByTestId('lock-screen').waitFor();
      // A cheap phone.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await unlock(page);
      await pickOutlet(page, outlet);
      const after = [];
      for (const sku of skus) after.push(await find(page, sku));
      assert.deepEqual(after, before, 'the same products at the same prices as before the reload');
      await waitForCatalogOpen(page);
      const seen = await page.evaluate(() => window.__catalog);
      assert.deepEqual(seen, ['opening', 'open'], 'the page opened the catalog after the unlock');

      // Locked with the order form open; on unlock the rep searches in the very task that shows
      // the workspace again, before the first slice: the search opens the whole catalog.
      await page.getByTestId('lock-now').click();
      await page.getByTestId('lock-screen').waitFor();
      await page.evaluate((sku) => {
        window.__catalog = [];
        const app = document.getElementById('app');
        new MutationObserver((_, observer) => {
          const input = document.querySelector('[data-testid="product-search"]');
          if (!input?.isConnected) return;
          observer.disconnect();
          window.__atSearch = app.dataset.catalog;
          input.value = sku;
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }).observe(app, { childList: true });
      }, skus[4]);
      await unlock(page);
      const item = page.locator(`[data-testid="product-item"][data-sku="${skus[4]}"]`);
      await item.waitFor();
      assert.equal(await page.evaluate(() => window.__atSearch), 'opening', 'the search ran before the first slice');
      assert.equal(await item.getAttribute('data-price'), before[4].price, 'and found the product at its price');
      await waitForCatalogOpen(page);
      assert.deepEqual(await page.evaluate(() => window.__catalog), ['opening', 'open'], 'the catalog is open after it');
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      assert.deepEqual(await find(page, skus[0]), before[0], 'and the next search finds the same products');

      // A product record that cannot be read is counted once the catalog is open, and skipped.
      await putRawRecord(page, 'products', 'garbage', '{not json');
      await page.reload();
      await unlock(page);
      await waitForCatalogOpen(page);
      await page.waitForFunction(() => document.querySelector('[data-testid="storage-report"]')?.dataset.unreadable === '1', undefined, { timeout: 30_000 });
      await pickOutlet(page, outlet);
      assert.deepEqual(await find(page, skus[2]), before[2], 'the other products still open');
    },
    { serverEnv: { SATCHEL_DEMO_PRODUCTS: String(PRODUCTS) } },
  );
});
