// A receipt as printed: an 80 mm thermal roll by default, A4 through the print dialog's paper
// (print CSS in styles.css); a reprint says COPY. Every figure is the module's.

import type { ReceiptView } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { fullDateTime, money, quantity } from '../../format.ts';
import type { Counter } from '../../counter/state.ts';
import { code39Svg } from './barcode.ts';

export function receiptElement(r: ReceiptView, copy: boolean, currency: string | undefined, testid = 'receipt'): HTMLElement {
  const m = (v: string): string => money(v, currency);
  const row = (label: string, v: string, testid?: string): HTMLElement =>
    h('div', { class: 'r-row' }, h('span', {}, label), h('span', { 'data-testid': testid, 'data-amount': v }, m(v)));
  return h(
    'article',
    { class: 'receipt', 'data-testid': testid, 'data-number': r.number },
    copy ? h('p', { class: 'r-copy', 'data-testid': `${testid}-copy` }, '*** COPY ***') : null,
    ...r.seller.map((line, i) => h('p', { class: i === 0 ? 'r-seller' : 'r-center' }, line)),
    h('p', { class: 'r-center' }, `${r.refund ? 'REFUND' : 'SALE'} ${r.number}`),
    r.refund_of ? h('p', { class: 'r-center' }, `against receipt ${r.refund_of}`) : null,
    h('p', { class: 'r-center' }, `${fullDateTime(r.committed_at)} · register ${r.register}`),
    r.walk_in ? null : h('p', { class: 'r-center' }, `Customer: ${r.customer}`),
    h('hr', {}),
    ...r.lines.map((l) =>
      h('div', { class: 'r-line' }, h('div', {}, l.name), h('div', { class: 'r-row' }, h('span', {}, `${quantity(l.quantity)} ${l.unit} × ${m(l.unit_price)}${l.discount_percent ? ` −${quantity(l.discount_percent)} %` : ''}`), h('span', {}, m(l.untaxed)))),
    ),
    h('hr', {}),
    r.discount !== '0.00' && r.discount !== '0' ? row('Discounts', r.discount) : null,
    row('Subtotal', r.untaxed),
    ...r.taxes.map((t) => row(t.name, t.amount)),
    h('div', { class: 'r-row r-total' }, h('strong', {}, 'TOTAL'), h('strong', { 'data-testid': 'receipt-total', 'data-amount': r.total }, m(r.total))),
    r.rounding !== '0' && r.rounding !== '0.00' ? row('Cash rounding', r.rounding, 'receipt-rounding') : null,
    ...r.tenders.map((t) => row(`${t.kind.replace(/_/g, ' ')}${t.kind === 'card' ? (t.reference ? ` (${t.reference})` : ' (pending)') : t.reference ? ` (${t.reference})` : ''}`, t.amount)),
    r.change !== '0' && r.change !== '0.00' ? row('Change', r.change, 'receipt-change') : null,
    // The number as a barcode: a refund starts by scanning it.
    h('div', { class: 'r-code' }, code39Svg(r.number) ?? ''),
  );
}

export function renderReceipt(c: Counter, currency: () => string | undefined): HTMLElement {
  const holder = h('div', { class: 'receipt-holder' });
  const print = h('button', { type: 'button', class: 'primary', 'data-testid': 'print-receipt', onclick: () => window.print() }, 'Print');
  const reprint = h('button', { type: 'button', 'data-testid': 'reprint-receipt', onclick: () => c.s.receipt && c.showReceipt(c.s.receipt.order_id, true) }, 'Reprint (copy)');
  const next = h('button', { type: 'button', class: 'primary big', 'data-testid': 'new-sale', onclick: () => c.setMode('sell') }, 'New sale');
  // Where the device can share (a phone's share sheet: messages, mail), the receipt as text;
  // printing also saves it as a PDF.
  const share = h('button', { type: 'button', 'data-testid': 'share-receipt', hidden: typeof navigator.share !== 'function' }, 'Share');
  share.addEventListener('click', () => {
    const r = c.s.receipt;
    const text = holder.querySelector('.receipt') instanceof HTMLElement ? (holder.querySelector('.receipt') as HTMLElement).innerText : '';
    if (r && text) void navigator.share({ title: `Receipt ${r.number}`, text }).catch(() => undefined);
  });
  c.watch((s) => {
    if (s.mode !== 'receipt' || !s.receipt) return;
    replaceChildren(holder, receiptElement(s.receipt, s.copy, currency()));
  });
  return h('section', { class: 'card receipt-panel', 'data-testid': 'receipt-panel' }, holder, h('div', { class: 'row actions no-print' }, next, print, reprint, share));
}
