// Lighthouse performance of a first visit to the app, as issue 17 measures it: Lighthouse's
// mobile defaults (simulated slow 4G, 4x CPU, a 412x823 phone), performance only, a fresh
// profile per run. Side by side with an earlier build when SATCHEL_BEFORE_WWW_DIR names one
// (the runs alternate). Targets (#17): score at least 0.95, interactive under 3 s.
//
// Lighthouse and puppeteer-core are installed on first use into ~/.cache/satchel-lighthouse, as
// for tests/bench/lighthouse.mjs. Run by `./build.sh bench`, or after a build:
//   SATCHEL_SERVER_BIN=target/debug/satchel-server node tests/bench/lighthouse-perf.mjs

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';
import { startServer } from '../e2e/support/server.mjs';

const PREFIX = process.env.LIGHTHOUSE_PREFIX ?? join(homedir(), '.cache', 'satchel-lighthouse');
if (!existsSync(join(PREFIX, 'node_modules', 'lighthouse')) || !existsSync(join(PREFIX, 'node_modules', 'puppeteer-core'))) {
  mkdirSync(PREFIX, { recursive: true });
  execFileSync('npm', ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', 'lighthouse@12', 'puppeteer-core@24'], { stdio: 'inherit' });
}
const req = createRequire(join(PREFIX, 'package.json'));
const lighthouse = (await import(pathToFileURL(req.resolve('lighthouse')).href)).default;
const puppeteer = (await import(pathToFileURL(req.resolve('puppeteer-core')).href)).default;

const RUNS = 3;
const builds = [['this build', process.env.SATCHEL_WWW_DIR]];
if (process.env.SATCHEL_BEFORE_WWW_DIR) builds.unshift(['before', process.env.SATCHEL_BEFORE_WWW_DIR]);
const results = new Map();

const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  for (let run = 0; run < RUNS; run++) {
    for (const [label, wwwDir] of builds) {
      const server = await startServer({ timeoutMs: 120_000, wwwDir });
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        const config = { extends: 'lighthouse:default', settings: { onlyCategories: ['performance'], formFactor: 'mobile' } };
        const { lhr } = await lighthouse(`${server.url}/`, { logLevel: 'error' }, config, page);
        const ms = (id) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
        results.set(label, [
          ...(results.get(label) ?? []),
          { score: lhr.categories.performance.score, fcp: ms('first-contentful-paint'), lcp: ms('largest-contentful-paint'), tti: ms('interactive'), tbt: ms('total-blocking-time') },
        ]);
      } finally {
        await context.close();
        await server.stop();
      }
    }
  }
} finally {
  await browser.close();
}
for (const [label, runs] of results) {
  const median = (key) => [...runs].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const score = median('score');
  const tti = median('tti');
  console.log(
    `LIGHTHOUSE performance (${label}), mobile defaults: score ${score} (${runs.map((r) => r.score).join(', ')}); FCP ${median('fcp')} ms, LCP ${median('lcp')} ms, interactive ${tti} ms, TBT ${median('tbt')} ms` +
      ` (targets 0.95 and under 3 s: ${score >= 0.95 ? 'met' : 'NOT met'}, ${tti < 3000 ? 'met' : 'NOT met'})`,
  );
}
