// Start the day: site, route and truck from the pulled settings, the van load sheet (accepted
// as sent, or counted SKU by SKU), the opening odometer and cash float. The module checks
// them with core's rule (the server's) and queues `day.start`.

import type { StartRequest } from '../../api.ts';
import { h } from '../../dom.ts';
import { count, decimalInput, quantity } from '../../format.ts';
import type { Day } from '../../day/state.ts';

function select(testid: string, options: [string, string][]): HTMLSelectElement {
  return h('select', { 'data-testid': testid }, ...options.map(([v, label]) => h('option', { value: v }, label)));
}

export function renderStart(d: Day): HTMLElement {
  const v = d.s.view;
  const settings = v.settings;
  const site = select('day-site', (settings?.sites ?? []).map((x) => [x, x]));
  const routes = v.routes.filter((r) => r.planned > 0);
  const route = select('day-route', routes.map((r) => [r.route, `${r.route} · ${count(r.planned, 'stop')}`]));
  const truck = select('day-truck', (settings?.trucks ?? []).map((t) => [t.id, `${t.label} (${t.id})`]));
  const odometer = h('input', { type: 'text', inputmode: 'numeric', 'data-testid': 'day-odometer', autocomplete: 'off', placeholder: 'km' });
  const float = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'day-float', autocomplete: 'off', placeholder: '0.00' });
  const asSent = h('input', { type: 'checkbox', 'data-testid': 'load-as-sent', checked: true });
  const counted = v.van.map((l) => h('input', { type: 'text', inputmode: 'decimal', 'data-testid': `load-${l.sku}`, value: l.quantity, 'aria-label': `${l.name} counted`, disabled: true }));
  // A full van is a long list: folded while the load is accepted as sent, opened to count.
  const sheetBox = h('details', { class: 'load-sheet', 'data-testid': 'load-sheet-box' });
  asSent.addEventListener('change', () => {
    for (const i of counted) i.disabled = asSent.checked;
    if (!asSent.checked) sheetBox.open = true;
  });
  const sheet = h(
    'table',
    { class: 'sheet', 'data-testid': 'load-sheet' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Product'), h('th', {}, 'Sent'), h('th', {}, 'Counted'))),
    h('tbody', {}, ...v.van.map((l, i) => h('tr', {}, h('td', {}, l.name, h('div', { class: 'meta' }, l.sku)), h('td', { class: 'num' }, quantity(l.quantity)), h('td', {}, counted[i]!)))),
  );
  sheetBox.append(h('summary', {}, `Load sheet: ${count(v.van.length, 'product')}`), sheet);
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'start-error', hidden: true });
  const fail = (text: string): void => {
    error.textContent = text;
    error.hidden = false;
  };
  const start = h('button', { type: 'button', class: 'primary big', 'data-testid': 'start-day' }, 'Start the day');
  start.addEventListener('click', () => {
    error.hidden = true;
    const km = odometer.value.trim();
    if (!/^\d{1,9}$/.test(km)) return fail('Type the odometer reading in whole kilometres.');
    const f = decimalInput(float.value === '' ? '0' : float.value);
    if ('error' in f) return fail(`Float: ${f.error}`);
    const req: StartRequest = { site: site.value, route: route.value, truck: truck.value, odometer: Number(km), float: f.value };
    if (!asSent.checked) {
      const sheetCounts: Record<string, string> = {};
      for (const [i, l] of v.van.entries()) {
        const q = decimalInput(counted[i]!.value === '' ? '0' : counted[i]!.value);
        if ('error' in q) return fail(`${l.name}: ${q.error}`);
        sheetCounts[l.sku] = q.value;
      }
      req.counted = sheetCounts;
    }
    void d.run(() => d.ws.startDay(req), `Day started on route ${req.route}. Everything works offline from here.`);
  });
  if (!settings) return h('section', { class: 'card', 'data-testid': 'day-start' }, h('h2', {}, 'Delivery day'), h('p', { class: 'muted' }, 'Sync online once to get the sites and trucks.'));
  return h(
    'section',
    { class: 'card day-start', 'data-testid': 'day-start' },
    h('h2', {}, 'Start the day'),
    h('label', {}, 'Site', site),
    h('label', {}, 'Route', route),
    h('label', {}, 'Truck', truck),
    h('h3', {}, 'Van load sheet'),
    h('label', { class: 'check' }, asSent, 'Accept the load as sent'),
    sheetBox,
    h('div', { class: 'row two' }, h('label', {}, 'Odometer (km)', odometer), h('label', {}, 'Cash float', float)),
    error,
    start,
  );
}
