// Assembles the npm package `@satchel/engine` in dist/npm from the built modules:
//
//   index.js, index.d.ts      the entry point: the engine module's API and the SatchelError class
//   engine.js, engine.d.ts    wasm-bindgen's glue for the engine module (engine/), with the
//   engine_bg.wasm            declarations generated from the Rust types and doc comments
//   snippets/                 the JavaScript the module imports (the SatchelError class)
//   workspace/                the second entry point, `@satchel/engine/workspace`: the whole
//                             offline workspace (store, vault, sync) = the PWA's module (www/pkg)
//   package.json              name, version (from Cargo), `exports`, ESM
//   README.md, LICENSE
//
// Prints the size of each module raw, gzipped and brotli (docs/embedding.md, "Versioning and
// size"), and writes them to dist/npm/sizes.json.
//
// Usage: node engine/package.mjs   (./build.sh package builds the modules first)
// Needs target/engine-pkg (wasm-bindgen --out-dir target/engine-pkg --out-name engine) and www/pkg.

import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ENGINE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(ENGINE);
const BUILT = join(ROOT, 'target', 'engine-pkg');
const WORKSPACE = join(ROOT, 'www', 'pkg');
const OUT = join(ROOT, 'dist', 'npm');

for (const [dir, how] of [[BUILT, './build.sh package'], [WORKSPACE, './build.sh build']]) {
  if (!existsSync(dir)) {
    console.error(`engine/package.mjs: ${relative(ROOT, dir)} is missing; run ${how}`);
    process.exit(1);
  }
}

/** The workspace's version, the one Cargo builds every crate with. */
function cargoVersion() {
  const toml = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const section = toml.slice(toml.indexOf('[workspace.package]'));
  const m = /^version\s*=\s*"([^"]+)"/m.exec(section);
  if (!m) throw new Error('no [workspace.package] version in Cargo.toml');
  return m[1];
}

/** Every file under `dir`, relative to it. */
function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
cpSync(BUILT, OUT, { recursive: true });
mkdirSync(join(OUT, 'workspace'));
for (const f of ['satchel.js', 'satchel.d.ts', 'satchel_bg.wasm', 'satchel_bg.wasm.d.ts']) {
  cpSync(join(WORKSPACE, f), join(OUT, 'workspace', f));
}
if (existsSync(join(WORKSPACE, 'snippets'))) {
  cpSync(join(WORKSPACE, 'snippets'), join(OUT, 'workspace', 'snippets'), { recursive: true });
}

// The SatchelError class is a snippet the module imports; the entry point re-exports it so that
// `err instanceof SatchelError` works for callers.
const errorSnippet = walk(join(OUT, 'snippets')).find((f) => f.endsWith('error.js'));
if (!errorSnippet) throw new Error('the SatchelError snippet is missing from target/engine-pkg/snippets');
const errorPath = `./snippets/${errorSnippet.split('\\').join('/')}`;

writeFileSync(
  join(OUT, 'index.js'),
  `// @satchel/engine: the engine module's API (engine.js) and its error class.
export * from './engine.js';
export { default } from './engine.js';
export { SatchelError } from '${errorPath}';
`,
);

writeFileSync(
  join(OUT, 'index.d.ts'),
  `// @satchel/engine: the engine module's API (engine.d.ts, generated) and its error class.
export * from './engine.js';
export { default } from './engine.js';
import type { SatchelErrorCode } from './engine.js';

/** Every error the engine throws: \`err instanceof SatchelError\`, with a stable \`code\`. */
export declare class SatchelError extends Error {
  name: 'SatchelError';
  /** \`"validation"\`: the input is invalid; \`"internal"\`: a bug, please report it. */
  code: SatchelErrorCode;
  /**
   * The field at fault, as a path into what was passed: \`"lines[2].quantity"\`,
   * \`"order.lines[0].sku"\`, \`"rules.taxes[1].rates[0].rate"\`, \`"amounts[3]"\`; \`""\` for the
   * whole input. Present when \`code\` is \`"validation"\`.
   */
  field?: string;
  /**
   * The specific rule, stable: \`wrong_type\` (e.g. a number where a decimal string is expected),
   * \`missing_field\`, \`unknown_field\`, \`bad_value\`, \`malformed\`, \`not_a_number\`,
   * \`too_precise\`, \`bad_step\`, \`out_of_range\`, or a tax-engine or sales code
   * (\`unknown_jurisdiction\`, \`invalid_rule\`, \`unknown_product\`, \`no_price\`, …).
   */
  detail?: string;
}
`,
);

const version = cargoVersion();
const pkg = {
  name: '@satchel/engine',
  version,
  description:
    "Satchel's business rules for ERP front-ends: taxes with rule sets as data, order quotes and validation, exact money; and the offline workspace",
  license: 'Apache-2.0',
  type: 'module',
  main: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './engine_bg.wasm': './engine_bg.wasm',
    './workspace': { types: './workspace/satchel.d.ts', default: './workspace/satchel.js' },
    './workspace/satchel_bg.wasm': './workspace/satchel_bg.wasm',
    './package.json': './package.json',
  },
  files: ['*.js', '*.d.ts', '*.wasm', 'snippets/', 'workspace/', 'README.md', 'LICENSE'],
  sideEffects: false,
  keywords: ['tax', 'erpnext', 'odoo', 'offline', 'wasm', 'point-of-sale'],
};
writeFileSync(join(OUT, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
cpSync(join(ENGINE, 'README.md'), join(OUT, 'README.md'));
writeFileSync(
  join(OUT, 'LICENSE'),
  `Copyright 2026 the Satchel authors

Licensed under the Apache License, Version 2.0 (the "License"); you may not use these files
except in compliance with the License. You may obtain a copy of the License at

    https://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software distributed under the
License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either
express or implied. See the License for the specific language governing permissions and
limitations under the License.
`,
);

/** Raw, gzip -9 and brotli q11 sizes of a file, in bytes. */
function sizes(file) {
  const bytes = readFileSync(file);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
const report = {
  version,
  engine: { wasm: sizes(join(OUT, 'engine_bg.wasm')), js: sizes(join(OUT, 'engine.js')) },
  workspace: { wasm: sizes(join(OUT, 'workspace', 'satchel_bg.wasm')), js: sizes(join(OUT, 'workspace', 'satchel.js')) },
};
writeFileSync(join(OUT, 'sizes.json'), JSON.stringify(report, null, 2) + '\n');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const line = (name, s) => `  ${name.padEnd(28)} ${kb(s.raw).padStart(10)} raw ${kb(s.gzip).padStart(10)} gzip ${kb(s.brotli).padStart(10)} brotli`;
console.log(`@satchel/engine ${version} in ${relative(ROOT, OUT)}/`);
console.log(line('engine_bg.wasm', report.engine.wasm));
console.log(line('engine.js', report.engine.js));
console.log(line('workspace/satchel_bg.wasm', report.workspace.wasm));
console.log(line('workspace/satchel.js', report.workspace.js));
