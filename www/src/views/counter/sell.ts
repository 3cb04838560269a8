// Selling: the product search (typed, or a scanner's burst anywhere on the screen), the quick
// keys, the customer, and the cart with the module's taxes and total.

import type { ProductHit } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { money, quantity } from '../../format.ts';
import type { Counter } from '../../counter/state.ts';
import { plainError } from '../format.ts';
import { renderCamera } from './camera.ts';

export function renderSell(c: Counter, currency: () => string | undefined): HTMLElement {
  const { ws } = c;
  const search = h('input', { type: 'search', 'data-testid': 'counter-search', placeholder: 'Scan or search products', autocomplete: 'off', 'aria-label': 'Scan or search products' });
  const hits = h('ul', { class: 'list hits', 'data-testid': 'counter-hits' });
  const quick = h('div', { class: 'quick-keys', 'data-testid': 'quick-keys' });
  const camera = renderCamera((code) => {
    const p = ws.productByCode(code, c.s.outletId);
    if (!p) {
      c.unknownCode(code);
      return false;
    }
    c.add(p);
    return true;
  });
  const customer = h('select', { 'data-testid': 'customer-select', 'aria-label': 'Customer' });
  const lines = h('ul', { class: 'list cart-lines', 'data-testid': 'counter-cart' });
  const totals = h('div', { class: 'totals', 'data-testid': 'counter-totals' });
  const problem = h('p', { class: 'error', role: 'alert', 'data-testid': 'cart-problem', hidden: true });
  const tender = h('button', { type: 'button', class: 'primary big', 'data-testid': 'tender', onclick: () => c.startTender() }, 'Tender');
  const parkLabel = h('input', { type: 'text', 'data-testid': 'park-label', placeholder: 'Label (optional)', autocomplete: 'off', 'aria-label': 'Parked cart label' });
  const park = h('button', { type: 'button', 'data-testid': 'park', onclick: () => void c.park(parkLabel.value).then(() => (parkLabel.value = '')) }, 'Park');
  const voidCart = h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'void-cart', onclick: () => c.voidCart() }, 'Void cart');
  const parked = h('ul', { class: 'list parked', 'data-testid': 'parked' });
  const returning = h('p', { class: 'confirm', 'data-testid': 'return-banner', hidden: true }, 'Return without a receipt: the goods come back and the money goes out. Void the cart to cancel.');
  // The total and Tender, in thumb reach: fixed at the bottom of a phone, at the cart's foot on
  // a tablet.
  const barTotal = h('strong', { class: 'bar-total', 'data-testid': 'bar-total' });
  const bar = h('div', { class: 'counter-bar' }, h('div', { class: 'bar-figures' }, h('span', { class: 'muted' }, 'Total'), barTotal), tender);
  const orderDiscount = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'cart-discount', autocomplete: 'off', 'aria-label': 'Cart discount %', placeholder: 'Cart discount %' });
  orderDiscount.addEventListener('change', () => {
    c.s.orderDiscount = orderDiscount.value;
    c.requote();
  });

  const showHits = (list: ProductHit[]): void => {
    replaceChildren(
      hits,
      ...list.map((p) =>
        h('li', {}, h('button', { type: 'button', class: 'hit', 'data-testid': 'counter-hit', 'data-sku': p.sku, onclick: () => {
          c.add(p);
          search.value = '';
          replaceChildren(hits);
          search.focus();
        } }, h('span', {}, p.name), h('small', {}, ` ${p.sku} · ${money(p.unit_price, currency())}${p.quantity_places > 0 ? ` / ${p.unit}` : ''}${p.stock !== undefined ? ` · ${quantity(p.stock)} in stock` : ''}`))),
      ),
    );
  };
  // Searched once typing pauses: a scanner's burst into the box is not 13 searches of the
  // whole catalog.
  let pending: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      const q = search.value.trim();
      showHits(q.length < 2 ? [] : ws.searchProducts(q, 8, c.s.outletId));
    }, 120);
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    clearTimeout(pending);
    const q = search.value.trim();
    // A code typed or scanned into the box: the product whose barcode or SKU it is; else the
    // only hit of the search.
    const byCode = ws.productByCode(q, c.s.outletId);
    const list = byCode ? [] : ws.searchProducts(q, 2, c.s.outletId);
    const exact = byCode ?? (list.length === 1 ? list[0] : undefined);
    if (exact) {
      ev.preventDefault();
      c.add(exact);
      search.value = '';
      replaceChildren(hits);
    }
  });
  customer.addEventListener('change', () => {
    c.s.outletId = customer.value;
    c.requote();
  });

  let shownParked: unknown;
  c.watch((s) => {
    // Quick keys and customers change only with the reference data.
    if (quick.childElementCount === 0 && s.view.settings) {
      for (const sku of s.view.settings.quick_keys) {
        const p = ws.productByCode(sku, s.outletId);
        if (p) quick.append(h('button', { type: 'button', class: 'quick', 'data-testid': 'quick-key', 'data-sku': sku, onclick: () => c.add(p) }, p.name));
      }
    }
    if (customer.childElementCount === 0) {
      for (const o of ws.outlets()) customer.append(h('option', { value: o.id }, o.name));
    }
    customer.value = s.outletId;
    orderDiscount.value = s.orderDiscount;
    renderLines(c, lines, currency);
    renderTotals(c, totals, currency);
    problem.hidden = s.problem === undefined;
    problem.textContent = s.problem === undefined ? '' : plainError(s.problem);
    tender.disabled = s.lines.length === 0 || s.problem !== undefined || s.quote?.total === undefined;
    tender.textContent = s.returning ? 'Pay back' : 'Tender';
    returning.hidden = !s.returning;
    park.hidden = s.returning;
    parkLabel.hidden = s.returning;
    barTotal.textContent = money(s.quote?.total, currency());
    barTotal.setAttribute('data-amount', s.quote?.total ?? '');
    park.disabled = s.lines.length === 0;
    if (shownParked === s.view.parked) return;
    shownParked = s.view.parked;
    replaceChildren(
      parked,
      ...s.view.parked.map((p, i) =>
        h('li', { class: 'row' }, h('button', { type: 'button', 'data-testid': `resume-${i}`, onclick: () => c.resume(p.id) }, `Resume ${p.label || `cart ${i + 1}`} (${p.order.lines.length})`),
          h('button', { type: 'button', class: 'ghost-dark', 'data-testid': `drop-${i}`, onclick: () => void c.run('Parked cart dropped', () => ws.dropParked(p.id)) }, 'Drop')),
      ),
    );
  });

  return h(
    'div',
    { class: 'order-panes counter-sell', 'data-testid': 'counter-sell' },
    h('section', { class: 'pane pane-list card' }, h('h2', {}, 'Products'), search, camera, hits, h('h3', {}, 'Quick keys'), quick),
    h(
      'section',
      { class: 'pane pane-detail card' },
      returning,
      h('div', { class: 'row' }, h('label', {}, 'Customer ', customer)),
      lines,
      h('label', {}, 'Cart discount % ', orderDiscount),
      totals,
      problem,
      bar,
      h('div', { class: 'row actions' }, parkLabel, park, voidCart),
      h('h3', {}, 'Parked carts'),
      parked,
    ),
  );
}

interface Row {
  sku: string;
  el: HTMLElement;
  qty: HTMLInputElement;
  disc: HTMLInputElement;
  net: HTMLElement;
  taxes: HTMLElement;
}

const rowsOf = new WeakMap<HTMLElement, Row[]>();

/** The cart's rows, kept in place: a scan appends one row (40 lines are not rebuilt per scan),
 * a void or a resumed cart rebuilds them, and a field being typed in is never overwritten. */
function renderLines(c: Counter, el: HTMLElement, currency: () => string | undefined): void {
  const lines = c.s.lines;
  let rows = rowsOf.get(el) ?? [];
  const samePrefix = rows.length <= lines.length && rows.every((r, i) => r.sku === lines[i]?.product.sku);
  if (!samePrefix) {
    rows = [];
    replaceChildren(el);
  }
  el.querySelector('.empty')?.remove();
  for (let i = rows.length; i < lines.length; i++) {
    const row = makeRow(c, i);
    rows.push(row);
    el.append(row.el);
  }
  rowsOf.set(el, rows);
  const q = c.s.quote;
  for (const [i, row] of rows.entries()) {
    const l = lines[i]!;
    if (document.activeElement !== row.qty && row.qty.value !== l.quantity) row.qty.value = l.quantity;
    if (document.activeElement !== row.disc && row.disc.value !== l.discount) row.disc.value = l.discount;
    const net = q?.lines[i]?.net ?? '';
    // Only what changed is written: a scan onto 40 lines touches the new row, not all 41.
    if (row.net.getAttribute('data-amount') !== net || row.net.textContent === '—') {
      row.net.textContent = net ? money(net, currency()) : '—';
      row.net.setAttribute('data-amount', net);
    }
    // The engine's taxes of the line, by code.
    const taxes = (q?.lines[i]?.taxes ?? []).map((t) => `${t.code} ${money(t.amount, currency())}`).join(' · ');
    if (row.taxes.textContent !== taxes) row.taxes.textContent = taxes;
  }
  if (lines.length === 0) el.append(h('li', { class: 'muted empty' }, 'Scan a product to start a sale.'));
}

function makeRow(c: Counter, i: number): Row {
  const l = c.s.lines[i]!;
  const name = l.product.name;
  const qty = h('input', { type: 'text', inputmode: 'decimal', value: l.quantity, 'data-testid': 'line-qty', autocomplete: 'off', 'aria-label': `Quantity of ${name}`, placeholder: l.product.quantity_places > 0 ? l.product.unit : '' });
  const disc = h('input', { type: 'text', inputmode: 'decimal', value: l.discount, 'data-testid': 'line-discount', autocomplete: 'off', 'aria-label': `Discount % of ${name}`, placeholder: '%' });
  qty.addEventListener('change', () => c.setLine(i, { quantity: qty.value }));
  disc.addEventListener('change', () => c.setLine(i, { discount: disc.value }));
  const net = h('span', { class: 'amount', 'data-testid': 'line-net', 'data-amount': '' }, '—');
  const taxes = h('small', { class: 'line-taxes muted', 'data-testid': 'line-taxes' });
  const el = h(
    'li',
    { class: 'cart-line', 'data-testid': 'cart-line', 'data-sku': l.product.sku },
    h('span', { class: 'name' }, name, h('br', {}), taxes),
    h('label', { class: 'qty' }, qty, l.product.quantity_places > 0 ? ` ${l.product.unit}` : ''),
    h('label', { class: 'disc' }, disc, ' %'),
    net,
    h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'line-void', 'aria-label': `Void ${name}`, onclick: () => c.voidLine(i) }, 'Void'),
  );
  return { sku: l.product.sku, el, qty, disc, net, taxes };
}

function renderTotals(c: Counter, el: HTMLElement, currency: () => string | undefined): void {
  const q = c.s.quote;
  const row = (label: string, amount: string | undefined, testid: string): HTMLElement =>
    h('div', { class: 'row total-row' }, h('span', {}, label), h('span', { 'data-testid': testid, 'data-amount': amount ?? '' }, money(amount, currency())));
  replaceChildren(
    el,
    row('Subtotal', q?.untaxed, 'cart-untaxed'),
    ...(q?.taxes ?? []).map((t) => row(t.name, t.amount, `cart-tax-${t.code}`)),
    q?.discount && q.discount !== '0.00' ? row('Discounts', q.discount, 'cart-discounts') : null,
    h('div', { class: 'row total-row grand' }, h('strong', {}, 'Total'), h('strong', { 'data-testid': 'cart-total', 'data-amount': q?.total ?? '' }, money(q?.total, currency()))),
    h('small', { class: 'muted', 'data-testid': 'cart-count' }, `${c.s.lines.length} line${c.s.lines.length === 1 ? '' : 's'}`),
  );
}
