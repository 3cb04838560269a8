// The first download of a large catalog is interrupted and resumes where it stopped. The
// server's demo is grown to 6,000 products (rep1 then has about 12,000 changes to pull: products,
// prices, her van, her outlets and tasks, in pages of 2,000). The page lets two pull pages through
// and then loses the network for pulls; sign-in still stands, the workspace says how much is left
// to download, and once pulls get through again the next request carries the checkpoint of the
// last page stored (never a restart from nothing), and every outlet of rep1's routes arrives.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerDevice } from './support/api.mjs';
import { signIn, SYNC_TIMEOUT } from './support/app.mjs';
import { scenario } from './support/scenario.mjs';

test('pull: an interrupted first download resumes from its checkpoint', { timeout: 300_000 }, async (t) => {
  await scenario(
    t,
    async ({ server, page }) => {
      /** Every pull request: the checkpoint it asked from and what became of it. */
      const pulls = [];
      let passes = 2;
      await page.route('**/api/v1/sync/pull**', async (route) => {
        const asked = new URL(route.request().url()).searchParams.get('checkpoint');
        if (passes <= 0) {
          pulls.push({ asked, outcome: 'cut' });
          return route.abort('internetdisconnected');
        }
        passes -= 1;
        const response = await route.fetch();
        const body = await response.json();
        pulls.push({ asked, outcome: 'answered', checkpoint: body.checkpoint, has_more: body.has_more, changes: body.changes.length });
        return route.fulfill({ response, json: body });
      });
      await page.goto(`${server.url}/`);
      await signIn(page, 'rep1', 'rep1-demo');

      // Signed in with part of the data, and told so.
      const progress = page.getByTestId('reference-progress');
      await progress.waitFor({ state: 'visible', timeout: SYNC_TIMEOUT });
      const left = Number(await progress.getAttribute('data-remaining'));
      assert.ok(left > 0, `the workspace says changes are left to download (${left})`);
      const answered = pulls.filter((p) => p.outcome === 'answered');
      assert.equal(answered.length, 2);
      assert.equal(answered[0].asked, null, 'the first download starts from the beginning');
      assert.ok(answered.every((p) => p.has_more), 'both pages said more was waiting');
      assert.ok(pulls.some((p) => p.outcome === 'cut'), 'a pull was cut');

      // The network for pulls comes back; the loop retries (backoff, or the button).
      passes = Infinity;
      const cutAt = pulls.length;
      await page.getByTestId('refresh-reference').click().catch(() => {});
      await page.waitForFunction(
        () => document.querySelector('[data-testid="reference-progress"]')?.hidden === true,
        null,
        { timeout: SYNC_TIMEOUT },
      );
      const resumed = pulls.slice(cutAt).filter((p) => p.outcome === 'answered');
      assert.ok(resumed.length > 0, 'pulls went through after the heal');
      assert.equal(resumed[0].asked, answered[1].checkpoint, 'the download resumed at the checkpoint of the last page stored');
      assert.ok(resumed.every((p) => p.asked !== null), 'it never started over');
      assert.equal(resumed[resumed.length - 1].has_more, false);

      // Exactly what a fresh device would get, each change once: nothing lost, nothing twice.
      const token = await registerDevice(server.url, 'rep1', 'rep1-demo', 'e2e check');
      let fresh = 0;
      for (let checkpoint = null; ; ) {
        const q = checkpoint === null ? '' : `&checkpoint=${encodeURIComponent(checkpoint)}`;
        const res = await fetch(`${server.url}/api/v1/sync/pull?limit=2000${q}`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        const body = await res.json();
        fresh += body.changes.length;
        if (!body.has_more) break;
        checkpoint = body.checkpoint;
      }
      const received = pulls.filter((p) => p.outcome === 'answered').reduce((n, p) => n + p.changes, 0);
      assert.equal(received, fresh, 'the device received every change exactly once');
      assert.equal(await page.getByTestId('panel-reference').getAttribute('data-complete'), 'true');
      t.diagnostic(`pull requests: ${pulls.length} (${answered.length} before the cut, ${resumed.length} after); ${left} changes were left at the cut; ${received} changes in all`);
    },
    { serverEnv: { SATCHEL_DEMO_PRODUCTS: '6000' } },
  );
});
