// The one error class the engine throws: `err instanceof SatchelError`, `err.code`, and for
// "validation" the `field` at fault and the `detail` rule. Constructed by the Wasm module
// (engine/src/lib.rs); re-exported by the package's index.js.
export class SatchelError extends Error {
  constructor(message, code, field, detail) {
    super(message);
    this.name = 'SatchelError';
    this.code = code;
    if (field !== undefined) this.field = field;
    if (detail !== undefined) this.detail = detail;
  }
}
