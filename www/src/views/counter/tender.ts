// Tendering: what is due (cash-rounded where cash pays), each tender as it is added (cash, card
// with the terminal's approval or "card pending", the deployment's other methods with their
// reference), what is left and the change; the sale completes only when the tenders cover it.
// Every figure is the module's `tenderPreview`.

import type { Tender } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { decimalInput, money } from '../../format.ts';
import type { Counter } from '../../counter/state.ts';
import { plainError } from '../format.ts';

export function renderTender(c: Counter, currency: () => string | undefined): HTMLElement {
  const amount = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'tender-amount', autocomplete: 'off', 'aria-label': 'Amount tendered' });
  const reference = h('input', { type: 'text', 'data-testid': 'tender-reference', autocomplete: 'off', 'aria-label': 'Card approval or payment reference', placeholder: 'Approval / reference' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'tender-error', hidden: true });
  const figures = h('div', { class: 'totals', 'data-testid': 'tender-figures' });
  const list = h('ul', { class: 'list', 'data-testid': 'tender-list' });
  const methods = h('div', { class: 'row tender-methods' });
  // A return without a receipt where the deployment asks for a manager: who, and their PIN
  // (checked on this device, proved to the server, not kept).
  const manager = h('select', { 'data-testid': 'manager-select', 'aria-label': 'Manager' });
  const pin = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', 'data-testid': 'manager-pin', 'aria-label': "Manager's PIN" });
  const approval = h('div', { class: 'approval', 'data-testid': 'manager-approval', hidden: true }, h('p', {}, "A return without a receipt needs a manager's approval."), h('label', {}, 'Manager ', manager), h('label', {}, 'PIN ', pin));
  const complete = h('button', { type: 'button', class: 'primary big', 'data-testid': 'complete-sale' }, 'Complete sale');
  complete.addEventListener('click', () => {
    const needed = !approval.hidden;
    const given = needed ? { manager: manager.value, pin: pin.value } : undefined;
    pin.value = '';
    void c.completeSale(given);
  });
  const back = h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'tender-back', onclick: () => c.setMode(c.s.refund ? 'refund' : 'sell') }, 'Back');
  const title = h('h2', {}, 'Tender');

  const typed = (cash: boolean): string | undefined => {
    // Empty: what is left (the module's figure; for cash, rounded to the cash step), "exact".
    const r = decimalInput(amount.value);
    if ('error' in r) {
      error.hidden = false;
      error.textContent = r.error;
      return undefined;
    }
    return r.value || (cash ? c.s.preview?.cash_remaining : c.s.preview?.remaining);
  };
  const add = (make: (a: string) => Tender, cash = false): void => {
    const a = typed(cash);
    if (!a || a === '0') return;
    c.addTender(make(a));
    amount.value = '';
    reference.value = '';
  };
  const button = (label: string, testid: string, make: (a: string) => Tender, cash = false): HTMLElement =>
    h('button', { type: 'button', 'data-testid': testid, onclick: () => add(make, cash) }, label);

  c.watch((s) => {
    if (methods.childElementCount === 0) {
      methods.append(
        button('Cash', 'add-cash', (a) => ({ kind: 'cash', amount: a }), true),
        button('Card', 'add-card', (a) => (reference.value.trim() ? { kind: 'card', amount: a, reference: reference.value.trim() } : { kind: 'card', amount: a, reference: null })),
        ...(s.view.settings?.other_tenders ?? []).map((m) =>
          button(m.replace(/_/g, ' '), `add-${m}`, (a) => ({ kind: 'other', method: m, amount: a, reference: reference.value.trim() })),
        ),
      );
    }
    // Hidden while selling: nothing to redraw on every scan.
    if (s.mode !== 'tender') return;
    title.textContent = s.refund ? `Refund of ${s.refund.receipt.number}` : s.returning ? 'Return without a receipt' : 'Tender';
    complete.textContent = s.refund || s.returning ? 'Complete refund' : 'Complete sale';
    approval.hidden = !(s.returning && s.view.settings?.no_receipt === 'manager_approval');
    if (manager.childElementCount === 0) {
      for (const m of s.view.settings?.managers ?? []) manager.append(h('option', { value: m.username }, m.display_name));
    }
    const p = s.preview;
    const row = (label: string, v: string | undefined, testid: string, cls = ''): HTMLElement =>
      h('div', { class: `row total-row ${cls}` }, h('span', {}, label), h('strong', { 'data-testid': testid, 'data-amount': v ?? '' }, money(v, currency())));
    replaceChildren(
      figures,
      row(s.refund || s.returning ? 'To pay back' : 'Total', p?.total ?? s.refund?.proposal?.amount ?? s.quote?.total, 'tender-total'),
      p && p.rounding !== '0' && p.rounding !== '0.00' ? row('Cash rounding', p.rounding, 'tender-rounding') : null,
      row('Due', p?.due, 'tender-due', 'grand'),
      row('Tendered', p?.tendered, 'tender-tendered'),
      row('Left to pay', p?.remaining, 'tender-remaining', p?.complete ? '' : 'grand'),
      row(s.refund || s.returning ? 'Change' : 'Change to give', p?.change, 'tender-change', p?.complete ? 'grand change' : ''),
    );
    replaceChildren(
      list,
      ...s.tenders.map((t, i) =>
        h('li', { class: 'row tender-line', 'data-testid': 'tender-line' }, h('span', { class: 'name' }, t.kind === 'other' ? t.method.replace(/_/g, ' ') : t.kind), h('span', {}, money(t.amount, currency())),
          t.kind === 'card' ? h('small', {}, t.reference ? `approval ${t.reference}` : 'card pending') : t.kind === 'other' ? h('small', {}, t.reference) : null,
          h('button', { type: 'button', class: 'ghost-dark', 'data-testid': `remove-tender-${i}`, onclick: () => c.removeTender(i) }, 'Remove')),
      ),
    );
    const err = s.previewError ?? s.error;
    error.hidden = err === undefined;
    error.textContent = err === undefined ? '' : plainError(err);
    complete.disabled = !p?.complete;
  });

  return h(
    'section',
    { class: 'card tender', 'data-testid': 'tender-panel' },
    title,
    figures,
    h('label', {}, 'Amount ', amount),
    h('label', {}, 'Reference ', reference),
    methods,
    list,
    approval,
    error,
    h('div', { class: 'row actions' }, complete, back),
  );
}
