// Values esbuild injects at bundle time (see www/build.mjs).

/** URL of the content-hashed Wasm module, e.g. "/satchel_bg.3f2a9c1d.wasm". */
declare const __WASM_URL__: string;

/** `SATCHEL_BUILD_TAG` at build time ('' when unset); shown as `<html data-build>`. */
declare const __BUILD_TAG__: string;
