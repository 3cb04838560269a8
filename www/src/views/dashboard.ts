// The supervisor's field telemetry dashboard (issue 21), a chunk of its own that only a
// supervisor opening it downloads. Online only: every figure is the server's, from the
// orders it applied and the telemetry reports devices sent. Charts are small inline SVG drawn
// from the numbers; the numbers are also in the tables beside them.

import type { TelemetryDashboard, Workspace } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { count, dateTime } from '../format.ts';
import { plainError } from './format.ts';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** A duration for people: 850 ms, 12 s, 4 min, 2.5 h, 3 d. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 360_000) / 10} h`;
  return `${Math.round(ms / 8_640_000) / 10} d`;
}

const permille = (p: number | null | undefined): string => (p === null || p === undefined ? '—' : `${(p / 10).toFixed(1)} %`);

/** p50 and p95 per day as two lines over the last 7 days. */
function latencyChart(d: TelemetryDashboard): Element {
  const days = d.latency_by_day;
  const W = 320;
  const H = 140;
  const pad = { l: 44, r: 18, t: 10, b: 22 };
  const max = Math.max(1, ...days.map((x) => x.p95_ms ?? 0));
  const x = (i: number): number => pad.l + (days.length <= 1 ? 0 : (i * (W - pad.l - pad.r)) / (days.length - 1));
  const y = (v: number): number => H - pad.b - (v * (H - pad.t - pad.b)) / max;
  const line = (key: 'p50_ms' | 'p95_ms', cls: string): SVGElement => {
    const pts = days.flatMap((v, i) => (v[key] === null || v[key] === undefined ? [] : [`${x(i).toFixed(1)},${y(v[key]!).toFixed(1)}`]));
    return svg('polyline', { points: pts.join(' '), class: cls, fill: 'none' });
  };
  return svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Entry to server, p50 and p95 per day', 'data-testid': 'latency-chart' },
    svg('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: 'axis' }),
    svg('text', { x: 2, y: pad.t + 8, class: 'tick' }, duration(max)),
    svg('text', { x: 2, y: H - pad.b, class: 'tick' }, '0'),
    ...days.map((v, i) => svg('text', { x: x(i), y: H - 6, class: 'tick', 'text-anchor': 'middle' }, v.day.slice(5))),
    line('p50_ms', 'p50'),
    line('p95_ms', 'p95'),
    // A day with figures is a dot too: one day of data is no line. The p50 dot is drawn last
    // and smaller, so it still shows where it sits on the p95 one.
    ...days.flatMap((v, i) =>
      (['p95_ms', 'p50_ms'] as const).flatMap((key) => (v[key] === null || v[key] === undefined ? [] : [svg('circle', { cx: x(i).toFixed(1), cy: y(v[key]!).toFixed(1), r: key === 'p50_ms' ? 2.5 : 4, class: key === 'p50_ms' ? 'p50 dot' : 'p95 dot' })])),
    ),
  );
}

/** The offline spans as bars, one per bucket that has any. */
function offlineChart(d: TelemetryDashboard): Element {
  const bars = d.offline_spans.filter((b) => b.count > 0);
  const W = 320;
  const H = 140;
  const pad = { l: 8, r: 8, t: 14, b: 22 };
  const max = Math.max(1, ...bars.map((b) => b.count));
  // At most a sixth of the width per bar, so one span is not a wall.
  const bw = bars.length ? Math.min((W - pad.l - pad.r) / bars.length, (W - pad.l - pad.r) / 6) : 0;
  return svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Offline spans before sync', 'data-testid': 'offline-chart' },
    svg('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: 'axis' }),
    ...bars.flatMap((b, i) => {
      const bh = (b.count * (H - pad.t - pad.b)) / max;
      const bx = pad.l + i * bw;
      return [
        svg('rect', { x: bx + 2, y: H - pad.b - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar' }),
        svg('text', { x: bx + bw / 2, y: H - pad.b - bh - 3, class: 'tick', 'text-anchor': 'middle' }, String(b.count)),
        svg('text', { x: bx + bw / 2, y: H - 6, class: 'tick', 'text-anchor': 'middle' }, b.up_to_ms === null ? `>${duration(b.above_ms)}` : `≤${duration(b.up_to_ms)}`),
      ];
    }),
  );
}

function render(d: TelemetryDashboard): HTMLElement[] {
  const out = d.outage_sales;
  return [
    h('h3', {}, 'Entry to server, last 7 days'),
    latencyChart(d) as unknown as HTMLElement,
    h('p', { class: 'meta legend' }, h('span', { class: 'key p50' }, 'p50'), ' ', h('span', { class: 'key p95' }, 'p95')),
    h(
      'table',
      { class: 'sheet', 'data-testid': 'latency-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Day'), h('th', {}, 'Orders'), h('th', {}, 'p50'), h('th', {}, 'p95'))),
      h('tbody', {}, ...d.latency_by_day.map((v) => h('tr', { 'data-day': v.day, 'data-count': String(v.count), 'data-p95': String(v.p95_ms ?? '') }, h('td', {}, v.day), h('td', {}, String(v.count)), h('td', {}, duration(v.p50_ms)), h('td', {}, duration(v.p95_ms))))),
    ),
    h('h3', {}, 'Offline before sync'),
    offlineChart(d) as unknown as HTMLElement,
    h('h3', {}, 'Devices (oldest unsynced work first)'),
    h(
      'ul',
      { class: 'list supervisor-list', 'data-testid': 'telemetry-devices' },
      ...d.devices.map((v) =>
        h(
          'li',
          { 'data-testid': 'telemetry-device', 'data-device-id': v.device_id, 'data-force-closes': String(v.force_closes), 'data-unsynced': String(v.unsynced) },
          h('div', { class: 'row' }, h('strong', { class: 'name device-label', title: v.label }, `${v.username} · ${v.label}`), v.force_closes ? h('span', { class: 'badge-warn' }, `${count(v.force_closes, 'force-close')}`) : null),
          h(
            'div',
            { class: 'muted small' },
            `${v.unsynced ? `${count(v.unsynced, 'change')} unsynced since ${(v.oldest_unsynced_at ? dateTime(v.oldest_unsynced_at) : '—')}` : 'all synced'} · entry to ack p95 ${duration(v.entry_to_ack_p95_ms)} · storage ${permille(v.storage_permille)}${v.persisted === false ? ' (not persistent)' : ''} · last report ${(v.last_report_at ? dateTime(v.last_report_at) : '—')}`,
          ),
        ),
      ),
    ),
    h('h3', {}, 'Orders recorded the day they happen'),
    h('ul', { class: 'list small', 'data-testid': 'same-day' }, ...d.same_day_by_route.map((r) => h('li', { 'data-route': r.route }, `Route ${r.route}: ${permille(r.rate_permille)} of ${count(r.orders, 'order')}`))),
    h('h3', {}, 'Counter during outages'),
    h('p', { 'data-testid': 'outage-sales' }, out.completed + out.failed ? `${permille(out.success_permille)} of ${count(out.completed + out.failed, 'sale')} completed while offline` : 'No sale during an outage.'),
    h('p', { class: 'meta' }, `As of ${dateTime(d.generated_at)}.`),
  ];
}

/** The dashboard's body, read from the server now (online only). */
export function renderDashboard(ws: Workspace): HTMLElement {
  const msg = h('p', { class: 'muted', role: 'status', 'data-testid': 'dashboard-message' }, 'Online only: reading the figures from the server…');
  const body = h('div', { 'data-testid': 'dashboard-body' });
  const reload = h('button', { type: 'button', 'data-testid': 'dashboard-reload' }, 'Refresh');
  const load = (): void => {
    msg.textContent = 'Online only: reading the figures from the server…';
    ws.telemetryDashboard().then(
      (d) => {
        replaceChildren(body, ...render(d));
        msg.textContent = `Online only. ${count(d.devices.length, 'device')} reporting.`;
      },
      (err: unknown) => {
        replaceChildren(body);
        msg.textContent = `The dashboard needs the server: ${plainError(err)}`;
      },
    );
  };
  reload.addEventListener('click', load);
  load();
  return h('div', { class: 'dashboard' }, h('div', { class: 'row' }, msg, reload), body);
}
