// End the day: the summary (stops done / failed / skipped, invoices, collections by method,
// returns, photos still uploading), the van counted SKU by SKU against what is expected
// (loaded − delivered + returned), the cash counted against the float plus cash collected, and
// the crew member's signature. The figures and variances are core's (`ws.previewEnd`); the
// settlement is sealed and queued after everything it counts, then the workspace locks.

import type { DaySettlement, EndRequest } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { count, decimalInput, money, quantity } from '../../format.ts';
import type { Day } from '../../day/state.ts';
import { plainError } from '../format.ts';
import { signaturePad } from './signature.ts';

export function settlementElement(s: DaySettlement, currency: string | undefined, testid: string): HTMLElement {
  const row = (label: string, v: string, key: string, amount = true): HTMLElement =>
    h('div', { class: 'row total-row' }, h('span', {}, label), h('span', { 'data-testid': `${testid}-${key}`, 'data-amount': v }, amount ? money(v, currency) : v));
  return h(
    'div',
    { class: 'report', 'data-testid': testid },
    h('p', { 'data-testid': `${testid}-stops` }, `${count(s.done, 'stop')} delivered, ${s.failed} not delivered, ${s.skipped} skipped, ${s.unplanned} unplanned${s.open ? `, ${s.open} still to do` : ''}`),
    row(`${count(s.invoices, 'invoice')}`, s.invoiced, 'invoiced'),
    s.returns ? row(`${count(s.returns, 'return')}`, s.returned, 'returned') : null,
    ...Object.entries(s.collected).map(([k, v]) => row(`Collected: ${k.replace(/_/g, ' ')}`, v ?? '', `collected-${k}`)),
    row('Opening float', s.opening_float, 'float'),
    row('Expected cash', s.expected_cash, 'expected-cash'),
    s.counted_cash ? row('Counted cash', s.counted_cash, 'counted-cash') : null,
    s.cash_variance ? row('Cash variance', s.cash_variance, 'cash-variance') : null,
    row('Van lines with a variance', String(s.van_variances), 'van-variances', false),
    s.uploads_pending ? h('p', { class: 'meta', 'data-testid': `${testid}-uploads` }, `${count(s.uploads_pending, 'photo')} still uploading.`) : null,
  );
}

export function renderEnd(d: Day, currency: string | undefined): HTMLElement {
  const open = d.s.view.open!;
  const van = open.summary.van;
  const counts = van.map((l) => h('input', { type: 'text', inputmode: 'decimal', 'data-testid': `count-${l.sku}`, value: l.expected, autocomplete: 'off', 'aria-label': `${l.sku} counted` }));
  const cash = h('input', { type: 'text', inputmode: 'decimal', 'data-testid': 'count-cash', autocomplete: 'off', value: open.summary.expected_cash });
  const odometer = h('input', { type: 'text', inputmode: 'numeric', 'data-testid': 'end-odometer', autocomplete: 'off', value: String(open.odometer) });
  const pad = signaturePad('end-signature', 'Your signature');
  const preview = h('div', { 'data-testid': 'end-preview' });
  const variances = van.map(() => h('span', { class: 'variance' }));
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'end-error', hidden: true });
  const read = (): EndRequest | string => {
    const counted_van: Record<string, string> = {};
    for (const [i, l] of van.entries()) {
      const q = decimalInput(counts[i]!.value === '' ? '0' : counts[i]!.value);
      if ('error' in q) return `${l.sku}: ${q.error}`;
      counted_van[l.sku] = q.value;
    }
    const c = decimalInput(cash.value === '' ? '0' : cash.value);
    if ('error' in c) return `Cash: ${c.error}`;
    if (!/^\d{1,9}$/.test(odometer.value.trim())) return 'Type the odometer reading in whole kilometres.';
    return { counted_van, counted_cash: c.value, odometer: Number(odometer.value.trim()) };
  };
  const update = (): void => {
    const r = read();
    error.hidden = typeof r !== 'string';
    if (typeof r === 'string') {
      error.textContent = r;
      return;
    }
    try {
      const s = d.ws.previewEnd(r);
      replaceChildren(preview, settlementElement(s, currency, 'end-summary'));
      for (const [i, l] of van.entries()) {
        const v = s.van.find((x) => x.sku === l.sku)?.variance;
        variances[i]!.textContent = v && !/^-?0(\.0+)?$/.test(v) ? `${v.startsWith('-') ? '' : '+'}${quantity(v)}` : '';
        variances[i]!.setAttribute('data-testid', `variance-${l.sku}`);
        variances[i]!.setAttribute('data-variance', v ?? '');
      }
    } catch (err) {
      error.textContent = plainError(err);
      error.hidden = false;
    }
  };
  for (const i of [...counts, cash, odometer]) i.addEventListener('input', update);
  const end = h('button', { type: 'button', class: 'primary big', 'data-testid': 'end-confirm' }, 'End the day');
  end.addEventListener('click', () => {
    const r = read();
    if (typeof r === 'string') return;
    void pad.blob().then((sig) => {
      if (!sig) {
        error.textContent = 'Sign to end the day.';
        error.hidden = false;
        return;
      }
      void d.endDay(() => d.ws.endDay(r, sig)).then(() => {
        if (d.s.error !== undefined) {
          error.textContent = plainError(d.s.error);
          error.hidden = false;
        }
      });
    });
  });
  // One row per product, the count under the thumb: the figures it is checked against on the
  // left, the counted field and its variance on the right (no sideways scrolling on a phone).
  const names = new Map(d.s.view.van.map((l) => [l.sku, l.name]));
  const table = h(
    'ul',
    { class: 'list van-count', 'data-testid': 'van-count' },
    ...van.map((l, i) =>
      h(
        'li',
        { class: 'van-line', 'data-sku': l.sku },
        h(
          'div',
          { class: 'name' },
          h('strong', {}, names.get(l.sku) ?? l.sku),
          h('div', { class: 'meta' }, `${l.sku} · loaded ${quantity(l.loaded)} − out ${quantity(l.delivered)} + back ${quantity(l.returned)}`),
          h('div', {}, 'Expected ', h('strong', { 'data-testid': `expected-${l.sku}` }, quantity(l.expected))),
        ),
        h('label', { class: 'count' }, h('span', { class: 'meta' }, 'Counted'), counts[i]!, variances[i]!),
      ),
    ),
  );
  const el = h(
    'section',
    { class: 'card day-end', 'data-testid': 'day-end' },
    h('div', { class: 'row' }, h('h2', { class: 'name' }, 'End the day'), h('button', { type: 'button', class: 'small', 'data-testid': 'end-back', onclick: () => d.setEnding(false) }, 'Back to the route')),
    h('h3', {}, 'Van'),
    table,
    h('div', { class: 'row two' }, h('label', {}, 'Cash counted', cash), h('label', {}, 'Odometer (km)', odometer)),
    preview,
    pad.el,
    error,
    end,
  );
  update();
  return el;
}
