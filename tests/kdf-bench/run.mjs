// Measures the two candidate PIN key derivations for the vault (issue 4) in headless Chromium,
// with and without 4x CPU throttling, and prints a table:
//   (a) WebCrypto PBKDF2-HMAC-SHA256, 256-bit output, 600,000 and 1,000,000 iterations
//       (one warm-up, then 5 timed runs);
//   (b) Argon2id compiled to Wasm (the satchel-kdf-bench crate in this directory), OWASP's two
//       variants m=19456 KiB t=2 p=1 and m=47104 KiB t=1 p=1 (one warm-up, then 3 timed runs).
// Before timing anything it checks correctness: `cargo test` (the argon2 crate against RFC 9106's
// Argon2id vector, and the native outputs against expected.json), the Wasm outputs in Chromium
// against expected.json, and the browser's PBKDF2 output against Node's (OpenSSL's).
//
// Usage: node tests/kdf-bench/run.mjs   (from anywhere; ./build.sh bench runs it)
// Builds the Wasm (into target/kdf-bench) when it is missing or older than its sources.
// Uses the machine's Chromium (/usr/bin/chromium, or CHROMIUM_PATH); never downloads a browser.

import { execFileSync } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
// The same Chromium and flags as the end-to-end tests.
import { ARGS, CHROMIUM } from '../e2e/support/browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const TARGET = join(ROOT, 'target', 'kdf-bench');
const PKG = join(TARGET, 'pkg');
const WASM_TARGET = 'wasm32-unknown-unknown';

const EXPECTED = JSON.parse(readFileSync(join(HERE, 'expected.json'), 'utf8'));
const PASSWORD = EXPECTED.password;
const SALT = EXPECTED.salt;
const PBKDF2_ITERATIONS = [600_000, 1_000_000];
const PBKDF2_RUNS = 5;
const ARGON2_SETS = [
  { m: 19456, t: 2, p: 1 },
  { m: 47104, t: 1, p: 1 },
];
const ARGON2_RUNS = 3;
const THROTTLE = 4;
const TARGET_MS = 1500;

const log = (msg) => process.stderr.write(`${msg}\n`);
const cargoEnv = { ...process.env, CARGO_TARGET_DIR: TARGET };
const run = (cmd, args) => execFileSync(cmd, args, { cwd: HERE, env: cargoEnv, stdio: ['ignore', 2, 2] /* keep stdout for the table */ });

function newestSource() {
  const files = ['Cargo.toml', 'Cargo.lock', 'src/lib.rs'].map((f) => join(HERE, f));
  return Math.max(...files.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

function buildIfNeeded() {
  log('==> native check: cargo test --release (RFC 9106 vector; expected.json)');
  run('cargo', ['test', '--release', '--locked', '--quiet']);
  const glue = join(PKG, 'satchel_kdf_bench_bg.wasm');
  if (existsSync(glue) && statSync(glue).mtimeMs >= newestSource()) {
    log('==> Wasm up to date: ' + glue);
    return;
  }
  log('==> building the Wasm (cargo build --release --target wasm32-unknown-unknown; wasm-bindgen --target web)');
  run('cargo', ['build', '--release', '--locked', '--target', WASM_TARGET]);
  run('wasm-bindgen', ['--target', 'web', '--out-dir', PKG, join(TARGET, WASM_TARGET, 'release', 'satchel_kdf_bench.wasm')]);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

function serve() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    if (path === '/' || path === '/index.html') file = join(HERE, 'index.html');
    else if (path.startsWith('/pkg/')) {
      const candidate = normalize(join(PKG, path.slice('/pkg/'.length)));
      if (candidate.startsWith(PKG + sep)) file = candidate;
    }
    if (!file || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function measure(browser, url, rate) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.kdfBench, null, { timeout: 30_000 }).catch(() => {
    throw new Error(`the bench page did not start: ${errors.join('; ')}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });

  // Correctness first: the Wasm build must give the native outputs.
  for (const e of EXPECTED.outputs) {
    const got = await page.evaluate(([m, t, p]) => window.kdfBench.argon2Hex(m, t, p), [e.m_kib, e.t, e.p]);
    if (got !== e.hex) throw new Error(`Argon2id in Wasm m=${e.m_kib} t=${e.t} p=${e.p}: got ${got}, native gives ${e.hex}`);
  }

  const rows = [];
  for (const iterations of PBKDF2_ITERATIONS) {
    log(`    PBKDF2-SHA256 ${iterations} (x${rate})`);
    const r = await page.evaluate(([pw, s, i, n]) => window.kdfBench.pbkdf2(pw, s, i, n), [PASSWORD, SALT, iterations, PBKDF2_RUNS]);
    const want = pbkdf2Sync(PASSWORD, SALT, iterations, 32, 'sha256').toString('hex');
    if (r.hex !== want) throw new Error(`PBKDF2 ${iterations}: browser gives ${r.hex}, Node gives ${want}`);
    rows.push({ kdf: `PBKDF2-SHA256 WebCrypto, ${iterations.toLocaleString('en')} it.`, ...r });
  }
  for (const { m, t, p } of ARGON2_SETS) {
    log(`    Argon2id m=${m} t=${t} p=${p} (x${rate})`);
    // A fresh page per parameter set would also pay Wasm memory growth; here the warm-up does.
    const r = await page.evaluate(([m, t, p, n]) => window.kdfBench.argon2(m, t, p, n), [m, t, p, ARGON2_RUNS]);
    rows.push({ kdf: `Argon2id Wasm, m=${m} KiB (${(m / 1024).toFixed(0)} MiB) t=${t} p=${p}`, ...r });
  }
  const info = await page.evaluate(() => ({ ua: window.kdfBench.userAgent, cores: window.kdfBench.hardwareConcurrency }));
  await context.close();
  return { rate, rows, info };
}

const fmt = (ms) => ms.toFixed(0).padStart(6);

function table(result) {
  const head = `CPU throttling ${result.rate}x`;
  const lines = [head, '-'.repeat(head.length)];
  lines.push(`${'KDF'.padEnd(50)} ${'first'.padStart(6)} ${'median'.padStart(6)} ${'max'.padStart(6)}  runs (ms)`);
  for (const r of result.rows) {
    const verdict = result.rate === THROTTLE ? (r.max_ms <= TARGET_MS ? '  <= 1.5 s' : '  > 1.5 s') : '';
    lines.push(`${r.kdf.padEnd(50)} ${fmt(r.first_ms)} ${fmt(r.median_ms)} ${fmt(r.max_ms)}  ${r.runs_ms.map((x) => x.toFixed(0)).join(', ')}${verdict}`);
  }
  return lines.join('\n');
}

buildIfNeeded();
const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const results = [];
  for (const rate of [1, THROTTLE]) {
    log(`==> measuring with CPU throttling ${rate}x`);
    results.push(await measure(browser, url, rate));
  }
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Chromium ${browser.version()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  console.log(`\nKDF bench: ${machine}`);
  console.log('Times in ms. "first" is the warm-up run; median and max are over the timed runs.');
  console.log('Every output was checked: Argon2id (Wasm) against the native argon2 crate (itself checked');
  console.log("against RFC 9106), PBKDF2 (WebCrypto) against Node's crypto.pbkdf2Sync.\n");
  for (const r of results) console.log(table(r) + '\n');
  const ratios = results[0].rows.map((r, i) => `${r.kdf.split(',')[0]}: ${(results[1].rows[i].median_ms / r.median_ms).toFixed(1)}x`);
  console.log(`Throttled / unthrottled median: ${ratios.join('; ')}`);
  mkdirSync(TARGET, { recursive: true });
  writeFileSync(join(TARGET, 'results.json'), JSON.stringify({ machine, results }, null, 2));
  console.log(`(raw figures: ${join('target', 'kdf-bench', 'results.json')})`);
} finally {
  await browser.close();
  server.close();
}
