// The supervisor's shifts of the counter: each closed shift with its variance (counted cash
// against expected), and the figures where the device's Z report and the server's
// recomputation from the receipts it holds differ. Online: read from the server.

import type { ShiftItem, Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { count, dateTime, money } from '../format.ts';
import { plainError } from './format.ts';
import { queueCard } from './queue.ts';

function row(s: ShiftItem, currency: string | undefined): HTMLElement {
  const m = (v: string | null): string => money(v ?? undefined, currency);
  return h(
    'li',
    { 'data-testid': 'shift-item', 'data-shift-id': s.shift_id, 'data-flagged': String(s.flagged) },
    h('div', { class: 'row' }, h('strong', { class: 'name' }, `Register ${s.register} · ${s.cashier}`), s.flagged ? h('span', { class: 'badge-warn', 'data-testid': 'shift-flagged' }, 'Differs') : null),
    h('div', { class: 'muted small' }, `${dateTime(s.opened_at)} – ${s.closed_at ? dateTime(s.closed_at) : 'open'} · ${count(s.receipts, 'receipt')}`),
    s.closed_at
      ? h(
          'div',
          { class: 'review-line' },
          h('span', {}, `Net ${m(s.net_total)}`),
          h('span', {}, `Expected cash ${m(s.expected_cash)}`),
          h('span', {}, `Counted ${m(s.counted_cash)}`),
          h('strong', { 'data-testid': 'shift-variance', 'data-amount': s.variance ?? '' }, `Variance ${m(s.variance)}`),
        )
      : null,
    s.differences.length
      ? h('ul', { class: 'review-lines', 'data-testid': 'shift-differences' }, ...s.differences.map((d) => h('li', { class: 'review-line' }, h('span', {}, d.field), h('span', {}, `device ${d.device}`), h('span', {}, `server ${d.server}`))))
      : null,
  );
}

export function renderShifts(ws: Workspace): { el: HTMLElement; load: () => Promise<void> } {
  return queueCard<ShiftItem>({
    id: 'shifts',
    title: 'Shifts',
    listTestId: 'shift-list',
    loadingText: 'Reading the shifts…',
    fetch: () => ws.shifts(),
    row: (s) => row(s, ws.currency()),
    summary: (n) => (n === 0 ? 'No shifts yet.' : `${count(n, 'shift')}, newest first.`),
    failure: (err) => `The shifts could not be read: ${plainError(err)}`,
  });
}
