// The baseline a team would write by hand instead of the module: Dexie over IndexedDB, WebCrypto
// AES-GCM for encryption at rest, an outbox record, and the order's totals in JavaScript Numbers
// (one flat tax rate, no validation, no duplicate check, no document numbers). It commits the
// same 10-line orders as the module in `tests/bench/commit.mjs`, with the same guarantee on disk:
// one read-write transaction, durability "strict".
//
// Loaded into the benchmark page as an ES module; Dexie is served from node_modules.

import Dexie from '/__bench/dexie.mjs';

const enc = new TextEncoder();

/** Opens the baseline's database and makes its key; returns `commit(order, prices)`. */
export async function openBaseline(name) {
  const db = new Dexie(name, { chromeTransactionDurability: 'strict' });
  db.version(1).stores({ meta: 'key', orders: 'id', outbox: 'seq' });
  await db.open();
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const seal = async (value) => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, enc.encode(JSON.stringify(value)));
    return { iv, data };
  };
  /** `order`: `{ outlet_id, lines: [{ sku, quantity }] }`; `prices`: SKU → price (Number). */
  return async function commit(order, prices) {
    let untaxed = 0;
    for (const line of order.lines) untaxed += prices.get(line.sku) * Number(line.quantity);
    const tax = Math.round(untaxed * 0.13 * 100) / 100;
    const doc = { ...order, order_id: crypto.randomUUID(), untaxed, tax, total: untaxed + tax, committed_at: new Date().toISOString() };
    const sealedOrder = await seal(doc);
    const sealedEntry = await seal({ kind: 'sales_order.create', payload: doc });
    return db.transaction('rw', db.meta, db.orders, db.outbox, async () => {
      const last = await db.meta.get('seq');
      const seq = (last?.value ?? 0) + 1;
      await db.orders.add({ id: doc.order_id, ...sealedOrder });
      await db.outbox.add({ seq, id: crypto.randomUUID(), ...sealedEntry });
      await db.meta.put({ key: 'seq', value: seq });
      return seq;
    });
  };
}
