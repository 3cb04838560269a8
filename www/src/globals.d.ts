// Values esbuild injects at bundle time (see www/build.mjs).

/** URL of the content-hashed Wasm module, e.g. "/satchel_bg.3f2a9c1d.wasm". */
declare const __WASM_URL__: string;
