// Refunds: find the receipt on this device (its number scanned from the receipt's barcode or
// typed, its last digits, or its total), choose what comes back, and the module proposes the
// refund (the sale's mirror, the money back the way it came); then tender it like a sale.

import { h, replaceChildren } from '../../dom.ts';
import { dateTime, decimalInput, money, quantity } from '../../format.ts';
import { tenderRefund, type Counter } from '../../counter/state.ts';
import { plainError } from '../format.ts';
import { receiptElement } from './receipt.ts';

export function renderRefund(c: Counter, currency: () => string | undefined): HTMLElement {
  const find = h('input', { type: 'search', 'data-testid': 'refund-search', autocomplete: 'off', 'aria-label': 'Receipt number or total', placeholder: 'Receipt number, scan, or total' });
  const hits = h('ul', { class: 'list', 'data-testid': 'refund-hits' });
  const chosen = h('div', { 'data-testid': 'refund-chosen' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'refund-error', hidden: true });
  const fail = (err: unknown): void => {
    error.hidden = false;
    error.textContent = plainError(err);
  };
  const show = (): void => {
    const list = c.ws.findReceipts(find.value, 10).filter((r) => !r.refund);
    replaceChildren(hits, ...list.map((r) => h('li', {}, h('button', { type: 'button', 'data-testid': 'refund-hit', 'data-number': r.number, onclick: () => choose(r.order_id) }, `${r.number} · ${dateTime(r.committed_at)} · ${money(r.total, currency())}`))));
  };
  const choose = (orderId: string): void => {
    error.hidden = true;
    let receipt;
    try {
      receipt = c.ws.receipt(orderId);
    } catch (err) {
      return fail(err);
    }
    const inputs = receipt.lines.map((l, i) => h('input', { type: 'text', inputmode: 'decimal', 'data-testid': `refund-qty-${i}`, autocomplete: 'off', 'aria-label': `Return how many of ${l.name}`, placeholder: '0' }));
    const go = h('button', { type: 'button', class: 'primary', 'data-testid': 'propose-refund' }, 'Refund these');
    go.addEventListener('click', () => {
      const lines = [];
      for (const [i, input] of inputs.entries()) {
        const q = decimalInput(input.value);
        if ('error' in q) return fail(new Error(q.error));
        if (q.value && q.value !== '0') lines.push({ line: i, quantity: q.value });
      }
      try {
        tenderRefund(c, receipt, c.ws.proposeRefund(orderId, lines));
      } catch (err) {
        fail(err);
      }
    });
    replaceChildren(
      chosen,
      receiptElement(receipt, true, currency(), 'refund-original'),
      h('h3', {}, 'What comes back'),
      ...receipt.lines.map((l, i) => h('label', { class: 'row' }, h('span', {}, `${l.name} (sold ${quantity(l.quantity)})`), inputs[i]!)),
      go,
    );
  };
  // Where the deployment allows it (outright or with a manager's PIN), goods can come back
  // without their receipt.
  const noReceipt = h('button', { type: 'button', 'data-testid': 'no-receipt-return', onclick: () => c.startReturn() }, 'Return without a receipt');
  noReceipt.hidden = (c.s.view.settings?.no_receipt ?? 'block') === 'block';
  find.addEventListener('input', show);
  find.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const list = c.ws.findReceipts(find.value, 2).filter((r) => !r.refund);
    if (list.length === 1) choose(list[0]!.order_id);
  });
  let shown = false;
  c.watch((s) => {
    // Opened: the search has the focus, so a scanner reading the receipt's barcode types into it.
    const showing = s.mode === 'refund' && !s.refund;
    if (showing && !shown) requestAnimationFrame(() => find.focus());
    shown = showing;
    if (s.mode === 'refund' && !s.refund && hits.childElementCount === 0) show();
    // Done (or left): the next refund starts from the search.
    if (s.mode !== 'refund' && s.mode !== 'tender' && chosen.childElementCount > 0) {
      replaceChildren(chosen);
      replaceChildren(hits);
      find.value = '';
    }
  });
  return h('section', { class: 'card', 'data-testid': 'refund-panel' }, h('h2', {}, 'Refund against a receipt'), find, hits, chosen, error, noReceipt, h('button', { type: 'button', class: 'ghost-dark', onclick: () => c.setMode('sell') }, 'Back'));
}
