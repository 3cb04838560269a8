// The delivery day (a crew's device: the deployment has delivery settings and the user has
// delivery stops). Start the day, work the route stop by stop (bill, collect, prove delivery
// or say why not), add an unplanned stop, end the day with the van and cash counted. Offline
// from the start: the module keeps the day, numbers invoices from the leased ranges and
// queues what the server must receive, in order.

import type { DayView, OutletView, Workspace } from './api.ts';
import { h, replaceChildren, reveal } from './dom.ts';
import { count, dateTime, money } from './format.ts';
import { createDay, type Day } from './day/state.ts';
import { plainError } from './views/format.ts';
import { renderCollect } from './views/day/collect.ts';
import { renderEnd, settlementElement } from './views/day/end.ts';
import { renderStart } from './views/day/start.ts';
import { renderNotDone, renderProof, renderStop } from './views/day/stop.ts';

/** Whether this device works delivery days. */
export function worksDays(v: DayView): boolean {
  return !!v.settings && (!!v.open || v.ended.length > 0 || v.routes.some((r) => r.planned > 0));
}

function collections(d: Day, currency: string | undefined): HTMLElement | null {
  const list = d.s.view.open?.collections ?? [];
  if (!list.length) return null;
  return h(
    'section',
    { class: 'card', 'data-testid': 'day-collections' },
    h('h3', {}, `Collections (${list.length})`),
    h(
      'ul',
      { class: 'list small' },
      ...list.map((c) =>
        h(
          'li',
          { 'data-testid': 'collection', 'data-state': c.state },
          `${c.outlet_name} · ${c.method.kind.replace(/_/g, ' ')} ${money(c.amount, currency)} → ${c.allocations.map(([n, a]) => `${n} ${money(a, currency)}`).join(', ')} · `,
          h('span', { class: `status ${c.state === 'held' ? 'rejected' : c.state === 'sent' ? 'synced' : 'pending'}` }, c.state === 'queued' ? 'waiting to sync' : c.state),
          c.reason ? h('div', { class: 'reason', 'data-testid': 'collection-reason' }, c.reason) : null,
        ),
      ),
    ),
  );
}

function unplanned(d: Day, outlets: () => OutletView[]): HTMLElement {
  const choice = h('select', { 'data-testid': 'unplanned-outlet' }, ...outlets().map((o) => h('option', { value: o.id }, `${o.name} (${o.route})`)));
  const add = h('button', { type: 'button', class: 'small', 'data-testid': 'unplanned-add' }, 'Add stop');
  add.addEventListener('click', () => void d.run(() => d.ws.addUnplannedStop(choice.value, ''), 'Unplanned stop added at the end of the route.'));
  return h('details', { class: 'card' }, h('summary', {}, 'Add an unplanned stop'), h('div', { class: 'row' }, choice, add));
}

export function renderDay(ws: Workspace, hooks: { bill(taskId: string): void; changed(): void; lock(): void; outlets(): OutletView[] }): { el: HTMLElement; day: Day } {
  const d = createDay(ws, hooks);
  const currency = (): string | undefined => ws.currency();
  const notice = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'day-notice' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'day-error', hidden: true });
  const body = h('div', {});
  const el = h('section', { class: 'day', 'data-testid': 'day' }, notice, error, body);
  let panelKey = '';
  let panelEl: HTMLElement | null = null;
  let shown = '';

  d.watch((s) => {
    notice.textContent = s.notice;
    notice.hidden = s.notice === '';
    // Errors of a form show in the form; others here.
    error.hidden = s.error === undefined || !!s.panel || s.ending;
    error.textContent = s.error === undefined ? '' : plainError(s.error);
    if (!error.hidden) reveal(error);
    const open = s.view.open;
    const screen = s.ending && open ? 'end' : open ? 'route' : 'start';
    if (screen === 'end') {
      if (shown !== 'end') replaceChildren(body, renderEnd(d, currency()));
      shown = 'end';
      return;
    }
    shown = screen;
    if (!open) {
      const last = s.ended ?? s.view.ended[0];
      replaceChildren(
        body,
        last && s.ended ? h('section', { class: 'card', 'data-testid': 'day-ended' }, h('h2', {}, `Day ended · ${last.route} · ${last.truck}`), settlementElement(last.settlement, currency(), 'ended-summary')) : null,
        s.view.routes.some((r) => r.planned > 0) ? renderStart(d) : null,
        !s.ended && last ? h('section', { class: 'card', 'data-testid': 'day-ended' }, h('h3', {}, `Last day · ${last.route} · ended ${dateTime(last.ended_at)}${last.queued ? ' · waiting to sync' : ''}`), settlementElement(last.settlement, currency(), 'ended-summary')) : null,
      );
      return;
    }
    const key = s.panel ? `${s.panel.kind}:${s.panel.taskId}` : '';
    if (key !== panelKey) {
      panelKey = key;
      const stop = s.panel ? open.stops.find((x) => x.task_id === s.panel!.taskId) : undefined;
      panelEl = !s.panel || !stop ? null : s.panel.kind === 'collect' ? renderCollect(d, stop, currency()) : s.panel.kind === 'proof' ? renderProof(d, stop) : renderNotDone(d, stop, s.panel.kind);
      if (panelEl) {
        panelEl.append(h('button', { type: 'button', class: 'link', 'data-testid': 'panel-close', onclick: () => d.setPanel(undefined) }, 'Close'));
      }
    }
    const sum = open.summary;
    const left = open.stops.filter((x) => x.state === 'todo').length;
    replaceChildren(
      body,
      h(
        'section',
        { class: 'card day-head', 'data-testid': 'day-head' },
        h('h2', {}, `Route ${open.route} · ${open.truck}`),
        h('p', { class: 'meta', 'data-testid': 'day-progress' }, `Started ${dateTime(open.started_at)} at ${open.site} · ${sum.done + sum.failed + sum.skipped} of ${count(open.stops.length, 'stop')} recorded · ${count(sum.invoices, 'invoice')} ${money(sum.invoiced, currency())}`),
      ),
      h('ol', { class: 'list stops', 'data-testid': 'stops' }, ...open.stops.map((x, i) => renderStop(d, x, i, open.stops.length, currency(), s.panel?.taskId === x.task_id ? panelEl : null))),
      unplanned(d, hooks.outlets),
      collections(d, currency()),
      h(
        'section',
        { class: 'card' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'day-end-start', onclick: () => d.setEnding(true) }, left ? `End the day (${count(left, 'stop')} not recorded)` : 'End the day'),
      ),
    );
    if (panelEl && s.panel) reveal(panelEl);
  });
  return { el, day: d };
}
