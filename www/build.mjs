// Builds the PWA into www/dist:
//
//   app.<HASH>.js          www/src/main.ts bundled with the wasm-bindgen glue (ESM, minified)
//   dashboard.<HASH>.js    the supervisor's dashboard, imported on demand (not precached:
//                          the dashboard is online only)
//   styles.<hash>.css      www/styles.css, minified
//   satchel_bg.<hash>.wasm www/pkg/satchel_bg.wasm
//   index.html             www/index.html with the hashed names written in
//   manifest.webmanifest, icons/*
//   sw.js                  service-worker/sw.ts with the precache list injected (never hashed:
//                          the browser finds the worker at /sw.js and re-checks it on navigation)
//   build-report.json      sizes, raw, gzipped and brotli
//   <file>.br, <file>.gz   every text and Wasm file precompressed (brotli 11, gzip 9), which
//                          the server sends by content negotiation (Accept-Encoding); kept
//                          only when smaller than the file
//
// Usage (from anywhere): node www/build.mjs
// Needs www/pkg from `wasm-bindgen --target web --out-dir www/pkg` (./build.sh build runs it).
//
//   SATCHEL_DIST=<dir>       build there instead of www/dist (the update e2e test builds a second
//                            version beside the one the server serves)
//   SATCHEL_BUILD_TAG=<tag>  a label baked into the bundle (`<html data-build>`); a different tag
//                            is a different app.js, hence a new sw.js version: a deploy the
//                            installed app can be shown

import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const WWW = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(WWW);
const PKG = join(WWW, 'pkg');
const DIST = process.env.SATCHEL_DIST ? resolve(process.env.SATCHEL_DIST) : join(WWW, 'dist');
const BUILD_TAG = process.env.SATCHEL_BUILD_TAG ?? '';
const TARGET = 'es2020';

/** Files in dist that are not part of the precached shell. */
const NOT_PRECACHED = new Set(['sw.js', 'build-report.json']);
// Chunks only an online screen loads (the supervisor's dashboard): not in every device's precache.
const ONLINE_ONLY = /^dashboard\.[A-Z0-9]+\.js$/;

function fail(message) {
  console.error(`www/build.mjs: ${message}`);
  process.exit(1);
}

/** What is worth compressing: text and Wasm (PNG icons are compressed already). */
const COMPRESSIBLE = /\.(js|css|wasm|html|webmanifest|json|svg|txt)$/;

const brotli = (bytes) =>
  brotliCompressSync(bytes, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });

const hashOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);

function hashedName(base, ext, bytes) {
  return `${base}.${hashOf(bytes)}.${ext}`;
}

function write(name, bytes) {
  const path = join(DIST, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

const toUrlPath = (abs) => `/${relative(DIST, abs).split(sep).join('/')}`;

async function main() {
  for (const f of ['satchel.js', 'satchel_bg.wasm']) {
    if (!existsSync(join(PKG, f))) {
      fail(
        `${relative(ROOT, join(PKG, f))} is missing. Build the Wasm module first: ` +
          '`./build.sh build` (it runs `wasm-bindgen --target web --out-dir www/pkg`).',
      );
    }
  }

  // The output directory is emptied first: refuse one that holds something other than a build.
  if (existsSync(DIST) && readdirSync(DIST).length > 0 && !existsSync(join(DIST, 'build-report.json'))) {
    fail(`${DIST} is not empty and holds no earlier build (no build-report.json); refusing to empty it`);
  }
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  /** URL paths of the files named by their content. */
  const contentNamed = new Set();

  // The Wasm module, under a content-hashed name the app is told at bundle time.
  const wasm = readFileSync(join(PKG, 'satchel_bg.wasm'));
  const wasmName = hashedName('satchel_bg', 'wasm', wasm);
  write(wasmName, wasm);

  // The app bundle, split: a module the app imports dynamically (the supervisor's dashboard)
  // is a chunk of its own that only the screens needing it download. Names carry esbuild's
  // content hash.
  const app = await esbuild.build({
    entryPoints: [join(WWW, 'src', 'main.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    target: TARGET,
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: DIST,
    entryNames: 'app.[hash]',
    chunkNames: '[name].[hash]',
    define: { __WASM_URL__: JSON.stringify(`/${wasmName}`), __BUILD_TAG__: JSON.stringify(BUILD_TAG) },
    logLevel: 'warning',
  });
  const appJs = app.outputFiles.find((f) => f.path.endsWith('.js') && basename(f.path).startsWith('app.'));
  if (!appJs) fail('esbuild produced no JavaScript for www/src/main.ts');
  for (const f of app.outputFiles) {
    write(relative(DIST, f.path), f.contents);
    contentNamed.add(toUrlPath(f.path));
  }
  const appName = relative(DIST, appJs.path).split(sep).join('/');

  // Styles.
  const css = await esbuild.transform(readFileSync(join(WWW, 'styles.css'), 'utf8'), {
    loader: 'css',
    minify: true,
    target: TARGET,
  });
  const cssName = hashedName('styles', 'css', css.code);
  write(cssName, css.code);

  // The page, pointing at the hashed files. The Wasm is not preloaded: on a slow network its
  // download took the bandwidth the script and the stylesheet need for the first screen
  // (www/src/main.ts starts it once that screen is painted).
  let html = readFileSync(join(WWW, 'index.html'), 'utf8');
  const swaps = [
    ['src="/app.js"', `src="/${appName}"`],
    ['href="/styles.css"', `href="/${cssName}"`],
  ];
  for (const [from, to] of swaps) {
    if (!html.includes(from)) fail(`www/index.html must reference ${from}`);
    html = html.replace(from, to);
  }
  write('index.html', html);

  // Static files.
  copyFileSync(join(WWW, 'manifest.webmanifest'), join(DIST, 'manifest.webmanifest'));
  const iconDir = join(WWW, 'icons');
  for (const icon of readdirSync(iconDir)) write(join('icons', icon), readFileSync(join(iconDir, icon)));

  // The precache list: every shell file with its content hash; the version hashes them all.
  // `immutable`: named by its content, so the service worker may take it from the HTTP cache
  // (where the page's own download has just put it) instead of downloading it a second time.
  contentNamed.add(`/${cssName}`);
  contentNamed.add(`/${wasmName}`);
  const entries = listFiles(DIST)
    .map((abs) => {
      const url = toUrlPath(abs);
      return { url, revision: hashOf(readFileSync(abs)), ...(contentNamed.has(url) ? { immutable: true } : {}) };
    })
    .filter((e) => !NOT_PRECACHED.has(e.url.slice(1)) && !ONLINE_ONLY.test(e.url.slice(1)))
    .sort((a, b) => a.url.localeCompare(b.url));
  const version = hashOf(entries.map((e) => `${e.url} ${e.revision}`).join('\n'));

  const sw = await esbuild.build({
    entryPoints: [join(ROOT, 'service-worker', 'sw.ts')],
    bundle: true,
    format: 'iife',
    target: TARGET,
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    write: false,
    outfile: join(DIST, 'sw.js'),
    define: { __SATCHEL_PRECACHE__: JSON.stringify({ version, entries }) },
    logLevel: 'warning',
  });
  const swJs = sw.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!swJs) fail('esbuild produced no JavaScript for service-worker/sw.ts');
  if (!swJs.text.includes(version)) fail('the precache list was not injected into sw.js');
  write('sw.js', swJs.contents);

  // Sizes, and the precompressed copies the server sends to browsers that accept them. What goes
  // over the wire is the smallest the browser accepts: brotli, else gzip, else the file.
  const files = listFiles(DIST)
    .filter((abs) => !abs.endsWith('build-report.json'))
    .map((abs) => {
      const bytes = readFileSync(abs);
      const path = relative(DIST, abs).split(sep).join('/');
      if (!COMPRESSIBLE.test(abs)) return { path, bytes: bytes.length, gzip_bytes: bytes.length, brotli_bytes: bytes.length };
      const gz = gzipSync(bytes, { level: 9 });
      const br = brotli(bytes);
      if (gz.length < bytes.length) writeFileSync(`${abs}.gz`, gz);
      if (br.length < bytes.length) writeFileSync(`${abs}.br`, br);
      return { path, bytes: bytes.length, gzip_bytes: Math.min(gz.length, bytes.length), brotli_bytes: Math.min(br.length, bytes.length) };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  const wasmRow = files.find((f) => f.path === wasmName);
  const sum = (key) => files.reduce((n, f) => n + f[key], 0);
  const report = {
    version,
    build_tag: BUILD_TAG,
    files,
    wasm: { bytes: wasmRow.bytes, gzip_bytes: wasmRow.gzip_bytes, brotli_bytes: wasmRow.brotli_bytes },
    // Everything a first visit downloads: every file in dist/ (the Wasm and sw.js included), as
    // sent to a browser that accepts gzip, or brotli.
    shell_total: { bytes: sum('bytes'), gzip_bytes: sum('gzip_bytes'), brotli_bytes: sum('brotli_bytes') },
  };
  writeFileSync(join(DIST, 'build-report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
  const width = Math.max(...files.map((f) => f.path.length), 'shell total'.length);
  console.log(`${relative(ROOT, DIST) || DIST} (version ${version}${BUILD_TAG ? `, build tag ${BUILD_TAG}` : ''})`);
  console.log(`  ${'file'.padEnd(width)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)} ${'brotli'.padStart(10)}`);
  for (const f of files) console.log(`  ${f.path.padEnd(width)} ${kb(f.bytes)} ${kb(f.gzip_bytes)} ${kb(f.brotli_bytes)}`);
  const t = report.shell_total;
  console.log(`  ${'shell total'.padEnd(width)} ${kb(t.bytes)} ${kb(t.gzip_bytes)} ${kb(t.brotli_bytes)}`);
  console.log(`  precached: ${entries.length} files; report: ${relative(ROOT, join(DIST, 'build-report.json'))}`);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
