// The per-crate size report `./build.sh build` prints (www/wasm-size.mjs), read from the module
// this build made: every byte of code is counted once, and the crates land where they belong.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { crateOf, kindOf, sizeReport } from '../../www/wasm-size.mjs';

const MODULE = new URL('../../target/wasm32-unknown-unknown/wasm-release/satchel.wasm', import.meta.url);

test('size report: mangled names map to their crate', () => {
  assert.equal(crateOf('_ZN12satchel_core3tax6result8assemble17h0123456789abcdefE'), 'satchel_core');
  assert.equal(crateOf('_ZN98_$LT$$RF$mut$u20$serde_json..de..Deserializer$LT$R$GT$$u20$as$u20$serde_core..de..Deserializer$GT$18deserialize_struct17hbdf439ec5d5d3f97E'), 'serde_json');
  assert.equal(crateOf('_ZN111_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$alloc..vec..spec_from_iter_nested..SpecFromIterNested$LT$T$C$I$GT$$GT$9from_iter17h9641d5001950345dE'), 'alloc');
  assert.equal(crateOf('__wbindgen_describe___wbg_revocable_2f260caf89c87a9c'), 'wasm_bindgen (glue)');
});

test('size report: cross-crate kinds (a decoder counts as decoding in whichever crate defines it)', () => {
  assert.equal(kindOf('_ZN98_$LT$$RF$mut$u20$serde_json..de..Deserializer$LT$R$GT$$u20$as$u20$serde_core..de..Deserializer$GT$18deserialize_struct17hbdf439ec5d5d3f97E'), 'JSON decoding (serde Deserialize)');
  assert.equal(kindOf('_ZN6js_sys7futures17future_to_promise28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE'), 'async exports (future_to_promise bodies)');
  assert.equal(kindOf('_ZN16curve25519_dalek7backend6serial3u6414field5FieldElement51square17h0123456789abcdefE'), 'crypto (X25519, AES-GCM, SHA-2, HKDF)');
  assert.equal(kindOf('_ZN12satchel_core3tax6result8assemble17h0123456789abcdefE'), 'the rest');
});

test('size report: the workspace module, every function counted once', { skip: !existsSync(MODULE) && 'the module is built by ./build.sh first' }, () => {
  const bytes = readFileSync(MODULE);
  const report = sizeReport(bytes);
  const total = report.crates.reduce((sum, c) => sum + c.bytes, 0);
  assert.equal(total, report.code_bytes, 'the crates add up to the code section');
  assert.equal(report.kinds.reduce((sum, k) => sum + k.bytes, 0), report.code_bytes, 'the kinds add up to the code section');
  assert.ok(report.kinds.find((k) => k.kind.startsWith('JSON decoding')).bytes > 0, 'the decoders are found');
  assert.ok(report.code_bytes < bytes.length, 'the code is part of the file');
  const crates = new Map(report.crates.map((c) => [c.crate, c.bytes]));
  for (const crate of ['satchel', 'satchel_core', 'serde_json', 'rust_decimal']) assert.ok(crates.get(crate) > 0, `${crate} is in the module`);
  assert.ok(report.largest[0].bytes >= report.largest[1].bytes, 'largest first');
});
