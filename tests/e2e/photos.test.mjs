// Photos of a task completion travel in chunks that resume. The page is loaded through the
// fault-injecting proxy; the rep completes a shelf check with a 1.5 MB photo (six 256 KiB chunks)
// and the proxy lets the first two chunks through, then drops every further chunk request. The
// completion waits (the server holds it until the photo is whole), the photo is counted as
// waiting for upload; when the network is healed the upload resumes from the server's offset
// (never from 0), the blob is complete on the server with the very bytes of the file, and the
// completion is applied. A 9 MB photo is refused on the device (`photo_too_large`), shown next
// to the field, and nothing is queued.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { getJson, serverTasks, supervisorToken } from './support/api.mjs';
import { badge, completeTask, signIn, taskItem, waitForBadge, waitForTaskCompletion, SYNC_TIMEOUT } from './support/app.mjs';
import { startProxy } from './support/proxy.mjs';
import { scenario } from './support/scenario.mjs';

const TASK = 'TASK-0002'; // rep1's shelf check at OUT-0005 ("photograph the shelf")
const CHUNK = 256 * 1024; // BLOB_CHUNK_BYTES (core/src/sync/protocol.rs)

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function until(what, check, timeout = SYNC_TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(200);
  }
}

test('photos: a photo upload interrupted and resumed', { timeout: 300_000 }, async (t) => {
  await scenario(t, async ({ server, page, onCleanup }) => {
    const proxy = await startProxy(server.url);
    onCleanup(() => proxy.close());
    await page.goto(`${proxy.url}/`); // every API call of the page goes through the proxy
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    await taskItem(page, TASK).waitFor();

    // A "JPEG" of 1.5 MB: six chunks; the proxy passes two, then drops every chunk request.
    const photo = randomBytes(1536 * 1024);
    const hash = sha256(photo);
    proxy.failBlobChunksAfter(2, 'drop_request');

    const done = await completeTask(page, TASK, {
      note: 'Six facings of the Maple range; photo attached.',
      files: [{ name: 'shelf.jpg', mimeType: 'image/jpeg', buffer: photo }],
    });
    assert.ok(['pending', 'waiting'].includes(done.completion), `stored on the device: ${JSON.stringify(done)}`);
    const info = page.locator(`[data-testid="task-item"][data-task-id="${TASK}"] [data-testid="task-completion"]`);
    assert.match((await info.textContent()) ?? '', /with 1 photo/);

    // The interruption: two chunks on the server, later ones refused (and retried, refused...).
    await until('a refused chunk', () => proxy.blobChunks.some((c) => c.outcome?.startsWith('dropped')));
    await until('a second refused chunk (a retry after backing off)', () => proxy.blobChunks.filter((c) => c.outcome?.startsWith('dropped')).length >= 2);
    const supervisor = await supervisorToken(server.url);
    const partial = await getJson(server.url, `/api/v1/blobs/${hash}`, supervisor);
    t.diagnostic(`blob while interrupted: ${JSON.stringify(partial)}`);
    assert.equal(partial.complete, false);
    assert.equal(partial.size, photo.length);
    assert.equal(partial.received, 2 * CHUNK, 'the server holds exactly the two chunks that got through');
    // The completion waits for its photo; the page says a photo waits for upload.
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-uploads"]')?.dataset.count === '1', null, { timeout: SYNC_TIMEOUT });
    assert.match((await page.getByTestId('uploads-progress').textContent()) ?? '', /Photos waiting for upload: 1/);
    const serverTaskBefore = (await serverTasks(server.url, supervisor)).find((x) => x.id === TASK);
    assert.equal(serverTaskBefore.status, 'open', 'not applied before the photo is whole');
    const waitingState = await taskItem(page, TASK).getAttribute('data-completion');
    assert.ok(['pending', 'waiting'].includes(waitingState), `still waiting on the device: ${waitingState}`);

    // Healed: the upload resumes where the server's copy ends.
    const healedAt = proxy.blobChunks.length;
    proxy.healBlobs();
    await page.getByTestId('sync-now').click();
    await waitForTaskCompletion(page, TASK, 'synced', SYNC_TIMEOUT * 2);

    const chunks = proxy.blobChunks.filter((c) => c.sha256 === hash);
    t.diagnostic(`chunks seen: ${JSON.stringify(chunks.map((c) => [c.offset, c.outcome, c.status]))}`);
    const resumed = proxy.blobChunks.slice(healedAt).filter((c) => c.outcome === 'forwarded');
    assert.ok(resumed.length > 0, 'chunks were sent after the heal');
    assert.ok(resumed[0].offset > 0, `the resumed upload did not start over: first offset ${resumed[0].offset}`);
    assert.equal(resumed[0].offset, 2 * CHUNK, 'it resumed at the end of the server\'s copy');
    const forwarded = chunks.filter((c) => c.outcome === 'forwarded');
    assert.deepEqual(
      forwarded.map((c) => c.offset),
      Array.from({ length: Math.ceil(photo.length / CHUNK) }, (_, i) => i * CHUNK),
      'every chunk reached the server exactly once, in order: nothing was sent twice',
    );
    assert.ok(chunks.filter((c) => c.offset === 0).length === 1, 'offset 0 was sent once');

    // On the server: the blob is whole and is the file, byte for byte; the task is done.
    const status = await getJson(server.url, `/api/v1/blobs/${hash}`, supervisor);
    assert.equal(status.complete, true);
    assert.equal(status.received, photo.length);
    const res = await fetch(`${server.url}/api/v1/blobs/${hash}/content`, { headers: { authorization: `Bearer ${supervisor}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const stored = Buffer.from(await res.arrayBuffer());
    assert.equal(stored.length, photo.length);
    assert.equal(sha256(stored), hash, 'the server holds the very bytes of the file');
    const serverTask = (await serverTasks(server.url, supervisor)).find((x) => x.id === TASK);
    assert.equal(serverTask.status, 'done', 'the completion was applied once the photo was whole');
    assert.ok(JSON.stringify(serverTask.photos).includes(hash), `the task names the photo: ${JSON.stringify(serverTask.photos)}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-uploads"]')?.dataset.count === '0', null, { timeout: 15_000 });
    assert.equal(await page.getByTestId('uploads-progress').isVisible(), false);
    assert.equal(await badge(page), '0');
  });
});

test('photos: a 9 MB photo is refused on the device (photo_too_large) and nothing is queued', { timeout: 180_000 }, async (t) => {
  await scenario(t, async ({ server, page, onCleanup }) => {
    const proxy = await startProxy(server.url);
    onCleanup(() => proxy.close());
    await page.goto(`${proxy.url}/`);
    await signIn(page, 'rep1', 'rep1-demo');
    await waitForBadge(page, 0);
    await taskItem(page, TASK).waitFor();

    const big = randomBytes(9 * 1024 * 1024);
    const outcome = await completeTask(page, TASK, { note: 'too big', files: [{ name: 'shelf.jpg', mimeType: 'image/jpeg', buffer: big }] });
    t.diagnostic(`refusal shown: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.detail, 'photo_too_large');
    assert.match(outcome.error ?? '', /too large/i);
    assert.match(outcome.error ?? '', /shelf\.jpg/);
    // Shown next to the photo field, which is marked invalid; the form stays open to fix it.
    const form = page.locator(`[data-testid="task-form"][data-task-id="${TASK}"]`);
    assert.equal(await form.getByTestId('task-error').isVisible(), true);
    assert.equal(await form.getByTestId('task-photos').getAttribute('aria-invalid'), '');
    assert.match((await form.getByTestId('task-photo-info').textContent()) ?? '', /1 photo, 9\.0 MB/);

    // Nothing queued: no completion, nothing waiting, no upload even after a sync.
    assert.equal(await taskItem(page, TASK).getAttribute('data-completion'), 'none');
    await page.getByTestId('sync-now').click();
    await waitForBadge(page, 0);
    await page.waitForFunction(() => document.querySelector('[data-testid="sync-phase"]')?.dataset.phase === 'idle', null, { timeout: SYNC_TIMEOUT });
    assert.equal(await page.getByTestId('panel-uploads').getAttribute('data-count'), '0');
    assert.equal(proxy.blobChunks.length, 0, 'no chunk was ever sent');
    const supervisor = await supervisorToken(server.url);
    const res = await fetch(`${server.url}/api/v1/blobs/${sha256(big)}`, { headers: { authorization: `Bearer ${supervisor}` } });
    assert.equal(res.status, 404, 'the server never heard of it');
    assert.equal((await serverTasks(server.url, supervisor)).find((x) => x.id === TASK).status, 'open');
  });
});
