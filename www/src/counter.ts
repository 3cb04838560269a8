// The counter screen (a cashier's device: the user has a register). Selling, tendering, the
// receipt, refunds, cash in and out, and the shift's reports, one at a time; a keyboard-wedge
// scanner's burst (digits ending in Enter, faster than anyone types) adds its product from any
// of them. Everything works offline: the module keeps the shift, numbers receipts from the
// register's leased range and queues what the server must receive.

import type { Workspace } from './api.ts';
import { h } from './dom.ts';
import { count } from './format.ts';
import { createCounter, type Counter, type Mode } from './counter/state.ts';
import { plainError } from './views/format.ts';
import { renderRefund } from './views/counter/refund.ts';
import { renderReceipt } from './views/counter/receipt.ts';
import { renderSell } from './views/counter/sell.ts';
import { renderCash, renderClose, renderOpenShift } from './views/counter/shift.ts';
import { renderTender } from './views/counter/tender.ts';

/** Keys closer together than this are a scanner, not a person. */
const BURST_GAP_MS = 50;
const MIN_CODE = 6;

export function renderCounter(ws: Workspace, onChange: () => void): { el: HTMLElement; counter: Counter } {
  const c = createCounter(ws, onChange);
  const currency = (): string | undefined => ws.currency();
  const panels: Record<Mode, HTMLElement> = {
    sell: renderSell(c, currency),
    tender: renderTender(c, currency),
    receipt: renderReceipt(c, currency),
    refund: renderRefund(c, currency),
    cash: renderCash(c),
    close: renderClose(c),
  };
  const open = renderOpenShift(c);
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'counter-notice' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'counter-error', hidden: true });
  const info = h('span', { 'data-testid': 'shift-info' });
  const nav = h(
    'nav',
    { class: 'row counter-nav no-print', 'aria-label': 'Counter' },
    ...(
      [
        ['sell', 'Sell'],
        ['refund', 'Refund'],
        ['cash', 'Cash in/out'],
        ['close', 'Shift report'],
      ] as const
    ).map(([m, label]) => h('button', { type: 'button', class: 'ghost-dark', 'data-testid': `nav-${m}`, onclick: () => c.setMode(m) }, label)),
  );
  const el = h('section', { class: 'counter', 'data-testid': 'counter' }, h('div', { class: 'row counter-top no-print' }, info, nav), status, error, open, ...Object.values(panels));

  let shownMode: Mode | undefined;
  c.watch((s) => {
    // A new screen (tender, receipt, report …) starts at its top, where the counter is.
    if (shownMode !== undefined && shownMode !== s.mode) window.scrollTo(0, 0);
    shownMode = s.mode;
    const shift = s.view.shift;
    info.textContent = `Register ${s.view.register ?? '—'} · ${s.view.cashier}${shift ? ` · ${count(shift.x.sales, 'sale')}` : ' · no shift open'} · ${count(s.view.receipts_left, 'receipt number')} left`;
    const closedJustNow = !shift && s.mode === 'close' && s.view.closed.length > 0;
    open.hidden = !!shift || closedJustNow;
    nav.hidden = !shift;
    for (const [m, p] of Object.entries(panels)) p.hidden = !(shift || closedJustNow) || m !== s.mode;
    status.textContent = s.notice;
    // Errors of the sell and tender screens are shown where they happen.
    const shown = s.mode === 'tender' || s.mode === 'cash' || s.mode === 'close' || !shift;
    error.hidden = shown || s.error === undefined;
    error.textContent = s.error === undefined ? '' : plainError(s.error);
  });

  listenForScanner(c);
  return { el, counter: c };
}

/** A keyboard-wedge scanner types a code as a burst of digits and Enter. Wherever the focus is,
 * the burst adds its product (and is taken back out of a field it landed in). Outside a text
 * field, digits and Enter are a code however fast they come (a busy page may space a real
 * scanner's keys out; nobody types prices into a button). */
function listenForScanner(c: Counter): void {
  let code = '';
  let last = 0;
  let slowest = 0;
  let field: HTMLInputElement | undefined;
  let before = '';
  window.addEventListener(
    'keydown',
    (ev) => {
      const now = ev.timeStamp;
      const gap = now - last;
      last = now;
      if (/^\d$/.test(ev.key)) {
        const t = document.activeElement;
        const inField = t instanceof HTMLInputElement && t.type !== 'checkbox';
        if (code === '' || (inField && gap > BURST_GAP_MS)) {
          code = '';
          slowest = 0;
          field = inField ? t : undefined;
          before = field?.value ?? '';
        } else {
          slowest = Math.max(slowest, gap);
        }
        code += ev.key;
        return;
      }
      const burst = slowest <= BURST_GAP_MS && gap <= BURST_GAP_MS * 3;
      if (ev.key === 'Enter' && code.length >= MIN_CODE && (burst || !field) && c.s.view.shift) {
        const scanned = code;
        code = '';
        const hit = c.ws.productByCode(scanned, c.s.outletId);
        if (!hit) {
          if (!field) c.unknownCode(scanned);
          return;
        }
        ev.preventDefault();
        ev.stopPropagation();
        if (field && field.dataset['testid'] !== 'refund-search') field.value = before;
        if (c.s.mode !== 'sell' && c.s.mode !== 'receipt') return;
        c.add(hit);
        return;
      }
      code = '';
    },
    { capture: true },
  );
}
