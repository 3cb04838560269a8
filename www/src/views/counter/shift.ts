// The shift: open it with the float counted by denomination, read the X report at any time,
// record paid-in / paid-out / no-sale with a reason, and close it with the drawer counted; the
// Z report shows expected and counted cash and the variance. Figures are the module's.

import type { CashMovement, Denomination, ShiftReport } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { count, dateTime, decimalInput, money } from '../../format.ts';
import type { Counter } from '../../counter/state.ts';
import { plainError } from '../format.ts';

/** Inputs of a count by denomination; `read()` gives the counted denominations or an error. */
function countForm(c: Counter, prefix: string): { el: HTMLElement; read(): Denomination[] | string } {
  const values = c.s.view.settings?.denominations ?? [];
  const inputs = values.map((v) => h('input', { type: 'text', inputmode: 'numeric', 'data-testid': `${prefix}-${v}`, autocomplete: 'off', 'aria-label': `How many of ${v}`, placeholder: '0' }));
  const el = h('div', { class: 'count-grid' }, ...values.map((v, i) => h('label', {}, h('span', {}, money(v, c.ws.currency())), inputs[i]!)));
  return {
    el,
    read() {
      const out: Denomination[] = [];
      for (const [i, input] of inputs.entries()) {
        const t = input.value.trim();
        if (t === '') continue;
        if (!/^\d{1,6}$/.test(t)) return `"${t}" is not a number of notes or coins.`;
        if (t !== '0') out.push({ value: values[i]!, count: Number(t) });
      }
      return out;
    },
  };
}

export function reportElement(r: ShiftReport, currency: string | undefined, testid: string): HTMLElement {
  const m = (v: string | null | undefined): string => money(v ?? undefined, currency);
  const row = (label: string, v: string | null | undefined, key: string): HTMLElement =>
    h('div', { class: 'row total-row' }, h('span', {}, label), h('span', { 'data-testid': `${testid}-${key}`, 'data-amount': v ?? '' }, m(v)));
  return h(
    'div',
    { class: 'report', 'data-testid': testid },
    h('p', { 'data-testid': `${testid}-counts` }, `${count(r.sales, 'sale')}, ${count(r.refunds, 'refund')}, ${count(r.no_sales, 'no-sale')}${r.receipt_range ? ` · receipts ${r.receipt_range[0]} – ${r.receipt_range[1]}` : ''}`),
    row('Sales', r.sales_total, 'sales'),
    row('Refunds', r.refunds_total, 'refunds'),
    row('Net', r.net_total, 'net'),
    row('Discounts', r.discounts, 'discounts'),
    ...Object.entries(r.taxes).map(([code, v]) => row(code, v, `tax-${code}`)),
    ...Object.entries(r.tenders).map(([kind, v]) => row(`Tender: ${kind.replace(/_/g, ' ')}`, v, `tender-${kind}`)),
    row('Cash rounding', r.rounding, 'rounding'),
    row('Opening float', r.opening_float, 'float'),
    row('Paid in', r.paid_in, 'paid-in'),
    row('Paid out', r.paid_out, 'paid-out'),
    row('Expected cash', r.expected_cash, 'expected'),
    r.counted_cash ? row('Counted cash', r.counted_cash, 'counted') : null,
    r.variance ? row('Variance', r.variance, 'variance') : null,
  );
}

export function renderOpenShift(c: Counter): HTMLElement {
  const form = countForm(c, 'float');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'open-error', hidden: true });
  const open = h('button', { type: 'button', class: 'primary big', 'data-testid': 'open-shift' }, 'Open shift');
  open.addEventListener('click', () => {
    const float = form.read();
    if (typeof float === 'string') {
      error.hidden = false;
      error.textContent = float;
      return;
    }
    void c.run('Shift open', () => c.ws.openShift(float));
  });
  c.watch((s) => {
    error.hidden = s.error === undefined;
    error.textContent = s.error === undefined ? '' : plainError(s.error);
  });
  return h('section', { class: 'card', 'data-testid': 'open-shift-panel' }, h('h2', {}, `Open a shift at register ${c.s.view.register ?? ''}`), h('p', {}, 'Count the opening float:'), form.el, error, open);
}

export function renderCash(c: Counter): HTMLElement {
  const kind = h('select', { 'data-testid': 'cash-kind', 'aria-label': 'Kind' }, h('option', { value: 'paid_out' }, 'Paid out'), h('option', { value: 'paid_in' }, 'Paid in'), h('option', { value: 'no_sale' }, 'No sale (open drawer)'));
  const amount = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'cash-amount', autocomplete: 'off', 'aria-label': 'Amount' });
  const reason = h('input', { type: 'text', 'data-testid': 'cash-reason', autocomplete: 'off', 'aria-label': 'Reason' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'cash-error', hidden: true });
  const record = h('button', { type: 'button', class: 'primary', 'data-testid': 'record-cash' }, 'Record');
  record.addEventListener('click', () => {
    const a = decimalInput(amount.value);
    if ('error' in a) {
      error.hidden = false;
      error.textContent = a.error;
      return;
    }
    const k = kind.value;
    const movement: CashMovement = k === 'no_sale' ? { kind: 'no_sale', reason: reason.value } : k === 'paid_in' ? { kind: 'paid_in', amount: a.value || '0', reason: reason.value } : { kind: 'paid_out', amount: a.value || '0', reason: reason.value };
    void c.run(k === 'no_sale' ? 'Drawer opened (no sale)' : k === 'paid_in' ? 'Paid in recorded' : 'Paid out recorded', () => c.ws.cashMovement(movement)).then(() => {
      if (c.s.error === undefined) {
        amount.value = '';
        reason.value = '';
        c.setMode('sell');
      }
    });
  });
  c.watch((s) => {
    amount.disabled = kind.value === 'no_sale';
    error.hidden = s.error === undefined;
    error.textContent = s.error === undefined ? '' : plainError(s.error);
  });
  kind.addEventListener('change', () => (amount.disabled = kind.value === 'no_sale'));
  return h('section', { class: 'card', 'data-testid': 'cash-panel' }, h('h2', {}, 'Cash in or out'), h('label', {}, 'Kind ', kind), h('label', {}, 'Amount ', amount), h('label', {}, 'Reason ', reason), error, h('div', { class: 'row actions' }, record, h('button', { type: 'button', class: 'ghost-dark', onclick: () => c.setMode('sell') }, 'Back')));
}

export function renderClose(c: Counter): HTMLElement {
  const holder = h('div', {});
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'close-error', hidden: true });
  let form = countForm(c, 'count');
  const close = h('button', { type: 'button', class: 'primary big', 'data-testid': 'close-shift' }, 'Close shift (Z report)');
  close.addEventListener('click', () => {
    const counted = form.read();
    if (typeof counted === 'string') {
      error.hidden = false;
      error.textContent = counted;
      return;
    }
    void c.run('Shift closed', async () => {
      await c.ws.closeShift(counted);
    });
  });
  c.watch((s) => {
    error.hidden = s.error === undefined;
    error.textContent = s.error === undefined ? '' : plainError(s.error);
    if (s.mode !== 'close') return;
    const shift = s.view.shift;
    if (shift) {
      if (!holder.contains(form.el)) form = countForm(c, 'count');
      replaceChildren(holder, h('h3', {}, `X report · open since ${dateTime(shift.opened_at)}`), reportElement(shift.x, c.ws.currency(), 'x-report'), h('h3', {}, 'Count the drawer'), form.el, close);
    } else {
      const z = s.view.closed[0];
      replaceChildren(holder, z ? h('div', {}, h('h3', {}, `Z report · closed ${dateTime(z.closed_at)}`), reportElement(z.report, c.ws.currency(), 'z-report')) : h('p', {}, 'No shift.'));
    }
  });
  return h('section', { class: 'card', 'data-testid': 'close-panel' }, h('h2', {}, 'Shift report'), holder, error, h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'close-back', onclick: () => c.setMode('sell') }, 'Back'));
}
