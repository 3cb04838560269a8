// Where a Wasm module's code goes, by crate: `node www/wasm-size.mjs <module.wasm> [--json out]`.
//
// Reads the module as cargo leaves it (before wasm-opt, which strips the names): each function's
// body size from the code section, its name from the `name` section, and the crate from the
// (legacy-mangled) name. A generic function counts for the crate that defines it (a `Vec<Order>`
// method is `alloc`), as twiggy counts. `./build.sh build` prints it for the workspace module and
// the engine module so that growth is seen on every change.

import { readFileSync, writeFileSync } from 'node:fs';

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/** Section id (or custom section name) → [start, end) of its contents. */
function sections(bytes) {
  const out = new Map();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    const [size, start] = leb(bytes, at);
    if (id === 0) {
      const [len, nameAt] = leb(bytes, start);
      out.set(new TextDecoder().decode(bytes.subarray(nameAt, nameAt + len)), [nameAt + len, start + size]);
    } else {
      out.set(id, [start, start + size]);
    }
    at = start + size;
  }
  return out;
}

function importedFunctions(bytes, [start]) {
  let [count, at] = leb(bytes, start);
  let functions = 0;
  for (; count > 0; count--) {
    for (let k = 0; k < 2; k++) {
      const [len, next] = leb(bytes, at);
      at = next + len;
    }
    const kind = bytes[at++];
    if (kind === 0) {
      functions++;
      [, at] = leb(bytes, at);
    } else if (kind === 1) {
      at++; // reftype
      const flags = bytes[at++];
      [, at] = leb(bytes, at);
      if (flags & 1) [, at] = leb(bytes, at);
    } else if (kind === 2) {
      const flags = bytes[at++];
      [, at] = leb(bytes, at);
      if (flags & 1) [, at] = leb(bytes, at);
    } else if (kind === 3) {
      at += 2; // valtype, mutability
    } else if (kind === 4) {
      at++;
      [, at] = leb(bytes, at);
    } else {
      throw new Error(`unknown import kind ${kind}`);
    }
  }
  return functions;
}

function functionNames(bytes, [start, end]) {
  const names = new Map();
  let at = start;
  while (at < end) {
    const sub = bytes[at++];
    const [size, body] = leb(bytes, at);
    if (sub === 1) {
      let [count, p] = leb(bytes, body);
      for (; count > 0; count--) {
        const [index, q] = leb(bytes, p);
        const [len, r] = leb(bytes, q);
        names.set(index, new TextDecoder().decode(bytes.subarray(r, r + len)));
        p = r + len;
      }
    }
    at = body + size;
  }
  return names;
}

/** The crate a legacy-mangled (`_ZN…E`) or plain name belongs to. */
export function crateOf(name) {
  if (!name.startsWith('_ZN')) {
    if (name.startsWith('__wbindgen') || name.startsWith('__wbg')) return 'wasm_bindgen (glue)';
    return name.includes('::') ? name.split('::')[0] : '(other)';
  }
  const digits = name.slice(3).match(/^\d+/)?.[0] ?? '';
  const at = 3 + digits.length;
  let first = name.slice(at, at + Number(digits || 0));
  // `<T as Trait>` and `impl` blocks: the first path inside, minus references and `mut`.
  first = first
    .replace(/^_/, '')
    .replace(/^\$LT\$/, '')
    .replace(/^(\$RF\$|\*const\$u20\$|\*mut\$u20\$|mut\$u20\$|\$u5b\$|\$LP\$)+/, '');
  const crate = first.split(/\.\.|\$/)[0];
  if (crate === '' || /^[A-Z]|^u\d|^i\d|^f\d|^str$|^bool$|^usize$|^isize$/.test(crate)) return 'core (primitives)';
  return crate;
}

/**
 * What kind of code a function is, whatever crate it counts for: the costs that cut across
 * crates (a type's JSON decoder is partly serde_json's `deserialize_struct`, partly the derive's
 * visitor in the type's own crate). The first rule that matches wins.
 */
const KINDS = [
  ['JSON decoding (serde Deserialize)', /deserializ|Deserializ|visit_|Visitor|MapAccess|SeqAccess|EnumAccess/],
  ['JSON encoding (serde Serialize)', /serializ|Serializ/],
  ['async exports (future_to_promise bodies)', /future_to_promise/],
  ['BTreeMap/BTreeSet', /btree/],
  ['formatting (core::fmt)', /core\.\.fmt|Display|Debug/],
  ['drop and clone glue', /drop_in_place|[Cc]lone/],
  ['crypto (X25519, AES-GCM, SHA-2, HKDF)', /^_ZN\d+(curve25519_dalek|x25519_dalek|aes|aes_gcm|ghash|polyval|sha2|hkdf|hmac|digest|cipher|ctr|universal_hash|aead)\d|as\$u20\$(aes|sha2|polyval|digest)\.\./],
];

export function kindOf(name) {
  for (const [kind, re] of KINDS) if (re.test(name)) return kind;
  return 'the rest';
}

export function sizeReport(bytes) {
  const secs = sections(bytes);
  if (!secs.has('name')) throw new Error('the module has no name section (run this before wasm-opt)');
  const imported = secs.has(2) ? importedFunctions(bytes, secs.get(2)) : 0;
  const names = functionNames(bytes, secs.get('name'));
  const [codeStart] = secs.get(10);
  let [count, at] = leb(bytes, codeStart);
  const functions = [];
  for (let k = 0; k < count; k++) {
    const [size, body] = leb(bytes, at);
    const name = names.get(imported + k) ?? `func${imported + k}`;
    functions.push({ name, crate: crateOf(name), bytes: body + size - at });
    at = body + size;
  }
  const byCrate = new Map();
  const byKind = new Map();
  for (const f of functions) {
    byCrate.set(f.crate, (byCrate.get(f.crate) ?? 0) + f.bytes);
    const kind = kindOf(f.name);
    byKind.set(kind, (byKind.get(kind) ?? 0) + f.bytes);
  }
  const code = functions.reduce((sum, f) => sum + f.bytes, 0);
  const [dataStart, dataEnd] = secs.get(11) ?? [0, 0];
  return {
    code_bytes: code,
    data_bytes: dataEnd - dataStart,
    crates: [...byCrate].map(([crate, b]) => ({ crate, bytes: b })).sort((a, b) => b.bytes - a.bytes),
    kinds: [...byKind].map(([kind, b]) => ({ kind, bytes: b })).sort((a, b) => b.bytes - a.bytes),
    largest: functions.sort((a, b) => b.bytes - a.bytes).slice(0, 10),
  };
}

function shortName(name) {
  return name
    .replace(/17h[0-9a-f]{16}E$/, '')
    .replace(/\$LT\$/g, '<')
    .replace(/\$GT\$/g, '>')
    .replace(/\$u20\$/g, ' ')
    .replace(/\$RF\$/g, '&')
    .replace(/\$u7b\$/g, '{')
    .replace(/\$u7d\$/g, '}')
    .replace(/\$C\$/g, ',')
    .replace(/\.\./g, '::')
    .replace(/^_ZN/, '')
    .replace(/\d+([A-Za-z_<&])/g, '::$1')
    .replace(/^::/, '')
    .slice(0, 90);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, flag, out] = process.argv.slice(2);
  const report = sizeReport(readFileSync(file));
  const kb = (n) => `${(n / 1024).toFixed(1).padStart(8)} KB`;
  console.log(`code by crate, before wasm-opt (${file.split('/').pop()}): ${kb(report.code_bytes).trim()} of code, ${kb(report.data_bytes).trim()} of data`);
  for (const { crate, bytes } of report.crates.slice(0, 14)) {
    console.log(`  ${crate.padEnd(28)}${kb(bytes)} ${((100 * bytes) / report.code_bytes).toFixed(1).padStart(5)} %`);
  }
  console.log('  by kind, across crates:');
  for (const { kind, bytes } of report.kinds) {
    console.log(`  ${kind.padEnd(44)}${kb(bytes)} ${((100 * bytes) / report.code_bytes).toFixed(1).padStart(5)} %`);
  }
  console.log('  largest functions:');
  for (const f of report.largest.slice(0, 6)) console.log(`  ${kb(f.bytes)}  ${shortName(f.name)}`);
  if (flag === '--json' && out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
}
