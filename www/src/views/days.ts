// The supervisor's delivery days: each crew's day with its route progress, the server's cash and
// van variances, and the figures where the crew's settlement and the server's recomputation
// from the records it holds differ; an ended day is approved here. Online: read from the server.

import type { DayItem, Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { count, dateTime, money } from '../format.ts';
import { plainError } from './format.ts';
import { queueCard } from './queue.ts';

function row(ws: Workspace, d: DayItem, reload: (lead: string) => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const approve = h('button', { type: 'button', class: 'primary-inline', 'data-testid': 'day-approve' }, 'Approve the day');
  approve.addEventListener('click', () => {
    approve.disabled = true;
    error.hidden = true;
    ws.approveDay(d.day_id).then(
      () => reload(`Day of ${d.crew} on ${d.route} approved.`),
      (err: unknown) => {
        approve.disabled = false;
        error.textContent = plainError(err);
        error.hidden = false;
      },
    );
  });
  const state = d.approved ? `approved by ${d.approved_by ?? '?'}` : d.ended_at ? 'ended, to approve' : 'on the road';
  return h(
    'li',
    { 'data-testid': 'day-item', 'data-day-id': d.day_id, 'data-flagged': String(d.flagged), 'data-approved': String(d.approved) },
    h('div', { class: 'row' }, h('strong', { class: 'name' }, `${d.crew} · route ${d.route} · ${d.truck}`), d.flagged ? h('span', { class: 'badge-warn', 'data-testid': 'day-flagged' }, 'Differs') : null),
    h(
      'div',
      { class: 'muted small' },
      `${dateTime(d.started_at)} – ${d.ended_at ? dateTime(d.ended_at) : 'running'} · ${d.stops} of ${count(d.planned, 'planned stop')} recorded · ${count(d.invoices, 'invoice')} · ${count(d.collections, 'collection')} · ${state}`,
    ),
    d.ended_at
      ? h(
          'div',
          { class: 'review-line' },
          h('strong', { 'data-testid': 'day-cash-variance', 'data-amount': d.cash_variance ?? '' }, `Cash variance ${money(d.cash_variance ?? undefined, ws.currency())}`),
          h('strong', { 'data-testid': 'day-van-variances', 'data-count': String(d.van_variances ?? 0) }, `Van: ${count(d.van_variances ?? 0, 'product')} with a variance`),
        )
      : null,
    d.differences.length
      ? h('ul', { class: 'review-lines', 'data-testid': 'day-differences' }, ...d.differences.map((x) => h('li', { class: 'review-line' }, h('span', {}, x.field), h('span', {}, `crew ${x.device}`), h('span', {}, `server ${x.server}`))))
      : null,
    d.ended_at && !d.approved ? h('div', { class: 'row actions' }, approve) : null,
    error,
  );
}

export function renderDays(ws: Workspace): { el: HTMLElement; load: () => Promise<void> } {
  return queueCard<DayItem>({
    id: 'days',
    title: 'Delivery days',
    listTestId: 'day-list',
    loadingText: 'Reading the delivery days…',
    fetch: () => ws.days(),
    row: (d, reload) => row(ws, d, reload),
    summary: (n) => (n === 0 ? 'No delivery days yet.' : `${count(n, 'day')}, newest first.`),
    failure: (err) => `The delivery days could not be read: ${plainError(err)}`,
  });
}
