// The sales data the scenarios pick outlets and products from, read from the server directly.

import assert from 'node:assert/strict';
import { registerDevice } from './api.mjs';

/** rep1's sales reference, straight from the server. */
export async function salesReference(baseUrl) {
  const token = await registerDevice(baseUrl, 'rep1', 'rep1-demo', 'e2e reference');
  const res = await fetch(`${baseUrl}/api/v1/reference`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(body.sales, 'the server sends the v2 sales data');
  return body.sales;
}

/** Decimal string → integer cents, exactly (test bookkeeping only, never shown). */
export const cents = (s) => {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2)) * (s.startsWith('-') ? -1n : 1n);
};

/** Products rep1 can order in single units (no pack, no minimum above 1), with stock. */
export function easyProducts(sales) {
  const list = sales.price_lists[0];
  return sales.products
    .filter((p) => !p.pack_size || p.pack_size === '1')
    .filter((p) => !p.min_order_quantity || p.min_order_quantity === '1')
    .filter((p) => p.quantity_places === 0 && list.prices[p.sku] !== undefined)
    .filter((p) => !sales.van_stock[p.sku] || cents(sales.van_stock[p.sku].available) >= 10000n);
}

/**
 * An order that goes over an outlet's credit limit before tax: the rep1 outlet with the least
 * room left, its dearest easy product in a quantity past the room, and a second, cheap line.
 */
export function overLimitOrder(sales) {
  const withCredit = sales.outlets.filter((o) => o.credit);
  assert.ok(withCredit.length > 0, 'outlets with credit terms');
  const room = (o) => cents(o.credit.limit) - cents(o.credit.outstanding);
  withCredit.sort((a, b) => Number(room(a) - room(b)));
  const outlet = withCredit[0];
  const prices = sales.price_lists[0].prices;
  const byPrice = easyProducts(sales).sort((a, b) => Number(cents(prices[b.sku]) - cents(prices[a.sku])));
  const [dear, cheap] = [byPrice[0], byPrice[byPrice.length - 1]];
  const quantity = Number(room(outlet) / cents(prices[dear.sku])) + 2; // enough to go over, before tax even
  return { outlet, room: room(outlet), product: dear, quantity, lines: [{ sku: dear.sku, quantity }, { sku: cheap.sku, quantity: 1 }] };
}
