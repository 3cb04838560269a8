// axe-core (node_modules/axe-core) run in the page: the serious and critical violations on a
// screen must be none.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the whole page; fails on any serious or critical violation of `screen`.
 * Resolves with every violation (minor and moderate included) for diagnostics. */
export async function assertAccessible(page, screen) {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
  // govern: a <script> tag with inline content would be (rightly) blocked by it.
  await page.evaluate(`${AXE}\n;undefined`);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' ') }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe-core on ${screen}: ${JSON.stringify(bad)}`);
  return result;
}
