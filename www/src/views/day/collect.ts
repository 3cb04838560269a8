// Collect at a stop: cash, a cheque (number, bank, date) or a mobile-money reference, against
// one or more of the customer's open invoices (the oldest first when none is typed). Partial
// payments are fine; more than owed is refused by the module with core's rule.

import type { Allocation, CollectRequest, CollectionMethod, StopView } from '../../api.ts';
import { h } from '../../dom.ts';
import { decimalInput, money } from '../../format.ts';
import type { Day } from '../../day/state.ts';
import { plainError } from '../format.ts';

export function renderCollect(d: Day, stop: StopView, currency: string | undefined): HTMLElement {
  const method = h(
    'select',
    { 'data-testid': 'collect-method' },
    h('option', { value: 'cash' }, 'Cash'),
    h('option', { value: 'cheque' }, 'Cheque'),
    h('option', { value: 'mobile_money' }, 'Mobile money'),
  );
  const amount = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'collect-amount', autocomplete: 'off', placeholder: '0.00' });
  const number = h('input', { type: 'text', 'data-testid': 'cheque-number', autocomplete: 'off' });
  const bank = h('input', { type: 'text', 'data-testid': 'cheque-bank', autocomplete: 'off' });
  const date = h('input', { type: 'date', 'data-testid': 'cheque-date' });
  const reference = h('input', { type: 'text', 'data-testid': 'mm-reference', autocomplete: 'off' });
  const cheque = h('div', { class: 'row two', hidden: true }, h('label', {}, 'Cheque number', number), h('label', {}, 'Bank', bank), h('label', {}, 'Date on the cheque', date));
  const mobile = h('label', { hidden: true }, 'Transfer reference', reference);
  method.addEventListener('change', () => {
    cheque.hidden = method.value !== 'cheque';
    mobile.hidden = method.value !== 'mobile_money';
  });
  const parts = stop.invoices.map((i) =>
    h('input', { type: 'text', inputmode: 'decimal', 'data-testid': `alloc-${i.number}`, autocomplete: 'off', placeholder: i.outstanding, 'aria-label': `Pays on ${i.number}` }),
  );
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'collect-error', hidden: true });
  const fail = (text: string): void => {
    error.textContent = text;
    error.hidden = false;
  };
  const record = h('button', { type: 'button', class: 'primary', 'data-testid': 'collect-record' }, 'Record collection');
  record.addEventListener('click', () => {
    error.hidden = true;
    const a = decimalInput(amount.value);
    if ('error' in a || a.value === '') return fail('error' in a ? a.error : 'Type the amount collected.');
    const m: CollectionMethod =
      method.value === 'cheque'
        ? { kind: 'cheque', number: number.value.trim(), bank: bank.value.trim(), date: date.value }
        : method.value === 'mobile_money'
          ? { kind: 'mobile_money', reference: reference.value.trim() }
          : { kind: 'cash' };
    if (m.kind === 'cheque' && (!m.number || !m.bank || !m.date)) return fail('A cheque needs its number, bank and date.');
    if (m.kind === 'mobile_money' && !m.reference) return fail('A mobile-money payment needs its reference.');
    const allocations: Allocation[] = [];
    for (const [i, inv] of stop.invoices.entries()) {
      const p = decimalInput(parts[i]!.value);
      if ('error' in p) return fail(`${inv.number}: ${p.error}`);
      if (p.value !== '') allocations.push({ order_id: inv.order_id, amount: p.value });
    }
    const req: CollectRequest = { outlet_id: stop.outlet_id, method: m, amount: a.value, ...(allocations.length ? { allocations } : {}) };
    void d.run(() => d.ws.collect(req), `Collected ${money(a.value, currency)} from ${stop.outlet_name}.`).then((ok) => {
      if (!ok) fail(plainError(d.s.error));
    });
  });
  return h(
    'div',
    { class: 'panel', 'data-testid': 'collect-panel' },
    h('h3', {}, 'Collect'),
    h('div', { class: 'row two' }, h('label', {}, 'How', method), h('label', {}, 'Amount', amount)),
    cheque,
    mobile,
    stop.invoices.length
      ? h(
          'div',
          { class: 'alloc' },
          h('span', { class: 'field-label' }, 'Against (leave empty: oldest first)'),
          ...stop.invoices.map((inv, i) => h('label', { class: 'row' }, h('span', { class: 'name' }, `${inv.number} · owes ${money(inv.outstanding, currency)}`), parts[i]!)),
        )
      : h('p', { class: 'muted' }, 'No open invoice for this customer.'),
    error,
    record,
  );
}
