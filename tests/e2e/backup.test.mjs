// Nothing lost when the browser wipes storage (issue 20), through the app:
// 0. the server knows what it should have: orders whose pushes reached the server but failed
//    there are named to the rep after "Clear site data" and a new sign-in, and listed to the
//    supervisor, from the high-water marks every push carries;
// 1. a rep exports their unsynced work as a file, the site's data is cleared, they sign in on a
//    fresh profile and import it: every order reaches the server once; importing it again
//    changes nothing; a tampered file is refused with a clear message;
// 2. only IndexedDB is deleted while the app is closed: the outbox's second copy (Cache
//    Storage) survives, and after signing in again its orders reach the server once.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { countBy, getJson, serverOrders, supervisorToken } from './support/api.mjs';
import { newPhone } from './support/browser.mjs';
import { clearSiteData, damagePushes, signIn, takeOrder, waitForBadge } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

/** Two orders taken offline; their document numbers. */
async function twoOrdersOffline(page, context) {
  const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
  await context.setOffline(true);
  const a = await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00022', quantity: 1 }] });
  const b = await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00023', quantity: 2 }] });
  await waitForBadge(page, 2);
  return [a.documentNumber, b.documentNumber];
}

async function importFile(page, file) {
  const result = page.getByTestId('import-result');
  await page.evaluate(() => {
    const r = document.querySelector('[data-testid="import-result"]');
    if (r) delete r.dataset.ok;
  });
  await page.getByTestId('import-file').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('[data-testid="import-result"]')?.dataset.ok !== undefined, null, { timeout: 30_000 });
  return { ok: (await result.getAttribute('data-ok')) === 'true', applied: Number(await result.getAttribute('data-applied')), duplicate: Number(await result.getAttribute('data-duplicate')), text: (await result.textContent()) ?? '' };
}

test('backup: export unsynced work, lose the site data, import the file on a fresh profile: each order once', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    const numbers = await twoOrdersOffline(page, context);

    await page.getByTestId('backup').locator('summary').click();
    assert.match((await page.getByTestId('export-backup').textContent()) ?? '', /2 changes/);
    const downloading = page.waitForEvent('download');
    await page.getByTestId('export-backup').click();
    const download = await downloading;
    const path = join(mkdtempSync(join(tmpdir(), 'satchel-backup-')), download.suggestedFilename());
    await download.saveAs(path);
    const text = readFileSync(path, 'utf8');
    const file = JSON.parse(text);
    assert.equal(file.format, 'satchel-backup');
    assert.equal(file.entries.length, 2);
    assert.match(download.suggestedFilename(), /^satchel-unsynced-rep1-\d{8}-\d{6}\.json$/);
    for (const plain of ['SKU-00022', 'SKU-00023', ...numbers]) assert.ok(!text.includes(plain), `the file is sealed: ${plain} is not readable in it`);
    await page.getByTestId('export-result').filter({ hasText: /2 changes saved/ }).waitFor();

    // The browser's "Clear site data": the database, the caches, everything.
    await clearSiteData(context, page, server.url);
    await context.close();

    // A fresh profile, online: sign in, import the file.
    const fresh = await newPhone(browser);
    try {
      await fresh.page.goto(`${server.url}/`);
      await signIn(fresh.page, 'rep1', 'rep1-demo');
      await fresh.page.getByTestId('backup').locator('summary').click();
      const first = await importFile(fresh.page, path);
      t.diagnostic(`first import: ${first.text}`);
      assert.deepEqual([first.ok, first.applied, first.duplicate], [true, 2, 0], first.text);
      const again = await importFile(fresh.page, path);
      assert.deepEqual([again.ok, again.applied, again.duplicate], [true, 0, 2], `importing it twice changes nothing: ${again.text}`);

      // One hex digit changed inside an entry's sealed box: refused, nothing applied.
      const tampered = structuredClone(file);
      const s = tampered.entries[1].sealed;
      const i = Math.floor(s.length / 2);
      tampered.entries[1].sealed = s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
      const bad = await importFile(fresh.page, { name: 'tampered.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tampered)) });
      t.diagnostic(`tampered: ${bad.text}`);
      assert.equal(bad.ok, false);
      assert.match(bad.text, /changed|not made by/i);
      // An entry removed: refused before anything is sent.
      const gap = await importFile(fresh.page, { name: 'cut.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...file, entries: [file.entries[0], { ...file.entries[1], seq: file.entries[1].seq + 1 }] })) });
      assert.equal(gap.ok, false, gap.text);
      const notBackup = await importFile(fresh.page, { name: 'photo.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
      assert.equal(notBackup.ok, false);
      assert.match(notBackup.text, /not a Satchel backup/i);

      const held = countBy(await serverOrders(server.url), 'document_number');
      for (const n of numbers) assert.equal(held.get(n), 1, `${n} is on the server exactly once`);
    } finally {
      await fresh.context.close();
    }
  });
});

test('backup: IndexedDB deleted while the app is closed; the second copy sends the orders once after signing in', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, browser, onCleanup }) => {
    const phone = await newPhone(browser);
    onCleanup(() => phone.context.close());
    const { context, page } = phone;
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    const numbers = await twoOrdersOffline(page, context);
    // Let the copy's writes land, then close the app.
    await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('satchel-outbox-')), null, { timeout: 10_000 });
    await page.close();

    // Only the database goes (an eviction of IndexedDB, or a user deleting it).
    const blank = await context.newPage();
    await clearSiteData(context, blank, server.url, 'indexeddb');
    // (`/api/` so the service worker lets Playwright answer it with a blank page.)
    // What a service worker of earlier builds did next (its background sync opened the database
    // without a version): an empty version-1 database, which the app then could not upgrade.
    await blank.route(`${server.url}/api/__blank`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
    await blank.goto(`${server.url}/api/__blank`);
    await blank.waitForFunction(async () => !(await indexedDB.databases()).some((d) => d.name === 'satchel'), null, { timeout: 10_000 });
    const version = await blank.evaluate(() => new Promise((resolve, reject) => {
      const req = indexedDB.open('satchel');
      req.onsuccess = () => {
        const v = req.result.version;
        req.result.close();
        resolve(v);
      };
      req.onerror = () => reject(req.error);
    }));
    assert.equal(version, 1, 'an empty database at version 1');
    await blank.close();
    await context.setOffline(false);

    const next = await context.newPage();
    await next.goto(`${server.url}/`);
    await signIn(next, 'rep1', 'rep1-demo');
    const notice = next.getByTestId('copy-recovery');
    await notice.waitFor({ timeout: 30_000 });
    t.diagnostic(`shown: ${await notice.textContent()}`);
    assert.equal(await notice.getAttribute('data-applied'), '2');
    assert.match((await notice.textContent()) ?? '', /2 unsynced changes survived/);
    const held = countBy(await serverOrders(server.url), 'document_number');
    for (const n of numbers) assert.equal(held.get(n), 1, `${n} is on the server exactly once`);
    const copies = await next.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('satchel-outbox-')));
    assert.deepEqual(copies, [], 'the old copy is gone once the server took it (and the new device has nothing waiting)');
  });
});

test('backup: site data cleared with orders queued; the rep is told which never arrived, and the supervisor sees them', { timeout: 240_000 }, async (t) => {
  await scenario(t, async ({ server, browser, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    // Pushes reach the server but fail there: each arrives damaged (one hex digit of its first
    // entry changed), which the server refuses whole; a push refused for any reason is the same
    // case. Their high-water marks are recorded before the batch is tried.
    await damagePushes(page);
    const a = await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00022', quantity: 1 }] });
    const b = await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00023', quantity: 2 }] });
    await waitForBadge(page, 2);
    const numbers = [a.documentNumber, b.documentNumber];

    // The supervisor's list (the API) names them once the marks are in.
    const token = await supervisorToken(server.url);
    let listed;
    for (let i = 0; i < 60 && !listed; i++) {
      const { devices } = await getJson(server.url, '/api/v1/devices/missing', token);
      listed = devices.find((d) => d.username === 'rep1' && Number(d.documents_total) === 2);
      if (!listed) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(listed, 'the supervisor list shows rep1 with 2 documents missing');
    assert.deepEqual(listed.documents, numbers);

    // "Clear site data", then a new sign-in.
    await clearSiteData(context, page, server.url);
    await context.close();
    const fresh = await newPhone(browser);
    try {
      await fresh.page.goto(`${server.url}/`);
      await signIn(fresh.page, 'rep1', 'rep1-demo');
      const notice = fresh.page.getByTestId('missing-work');
      await notice.waitFor();
      const text = (await notice.textContent()) ?? '';
      t.diagnostic(`told: ${text}`);
      assert.equal(await notice.getAttribute('data-documents'), '2');
      for (const n of numbers) assert.ok(text.includes(n), `the notice names ${n}`);
      assert.match(text, /2 orders/);
    } finally {
      await fresh.context.close();
    }

    // The supervisor's card in the app.
    const sup = await newPhone(browser);
    try {
      await sup.page.goto(`${server.url}/`);
      await signIn(sup.page, 'super', 'super-demo');
      await sup.page.waitForFunction(() => Number(document.querySelector('[data-testid="missing-count"]')?.dataset.count ?? '0') >= 1, null, { timeout: 30_000 });
      await sup.page.getByTestId('missing').locator('summary').click();
      const item = sup.page.locator('[data-testid="missing-item"][data-documents="2"]');
      await item.waitFor();
      const shown = (await item.textContent()) ?? '';
      for (const n of numbers) assert.ok(shown.includes(n), `the supervisor's card names ${n}`);
      assert.match(shown, /rep1/);
    } finally {
      await sup.context.close();
    }
  });
});

test('backup: storage nearly full with an order waiting; the banner offers the export and Export now saves it', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, context, page }) => {
    await page.goto(`${server.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    assert.equal(await page.getByTestId('backup-advice').isVisible(), false, 'nothing waits: no banner');
    // The browser reports the origin's storage as nearly full (a cheap phone short of space). The
    // quota cannot be lowered in Playwright's ephemeral profile (CDP's overrideQuotaForOrigin is
    // ignored there), so the page's estimate() reports the real usage against a quota 10 % above.
    await page.evaluate(() => {
      const real = navigator.storage.estimate.bind(navigator.storage);
      navigator.storage.estimate = async () => {
        const e = await real();
        return { ...e, quota: Math.ceil((e.usage ?? 0) * 1.1) };
      };
    });
    const outletId = await page.getByTestId('outlet-item').first().getAttribute('data-outlet-id');
    await context.setOffline(true);
    await takeOrder(page, { outletId, lines: [{ sku: 'SKU-00022', quantity: 1 }] });
    const banner = page.getByTestId('backup-advice');
    await banner.waitFor({ timeout: 15_000 });
    t.diagnostic(`banner: ${await banner.textContent()}`);
    assert.equal(await banner.getAttribute('data-reason'), 'nearly_full');
    assert.match((await banner.textContent()) ?? '', /% full and 1 change waits/);
    const downloading = page.waitForEvent('download');
    await page.getByTestId('advice-export').click();
    const download = await downloading;
    const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(file.entries.length, 1, 'the export holds the waiting order');
  });
});
