// A stop of the route with its customer's context (address, contact, open invoices with their
// age, credit, notes from earlier visits, what the task asks for) and what can be done there:
// bill (the order prefilled), collect, prove delivery (recipient, signature, photos), or say
// why not (failed: the goods stay on the van; skipped). Figures are the module's.

import type { StopView } from '../../api.ts';
import { h } from '../../dom.ts';
import { count, date, money, quantity } from '../../format.ts';
import type { Day } from '../../day/state.ts';
import { plainError } from '../format.ts';
import { signaturePad } from './signature.ts';

const STATE_LABEL: Record<string, string> = { todo: 'To do', done: 'Delivered', failed: 'Not delivered', skipped: 'Skipped' };

function syncLine(s: StopView): string {
  const c = s.completion;
  if (!c) return '';
  switch (c.status) {
    case 'pending':
      return c.photos > 0 || s.state === 'done' ? 'Waiting to sync (photos and signature upload first).' : 'Waiting to sync.';
    case 'waiting':
      return 'Waiting for the photos to upload.';
    case 'synced':
    case 'flagged':
      return 'The server has it.';
    default:
      return `${c.status}${c.reason ? `: ${c.reason}` : ''}`;
  }
}

export function renderProof(d: Day, stop: StopView): HTMLElement {
  const recipient = h('input', { type: 'text', 'data-testid': 'proof-recipient', autocomplete: 'off' });
  const pad = signaturePad('proof-signature', 'Recipient\u2019s signature');
  const photos = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true, 'data-testid': 'proof-photos' });
  const note = h('input', { type: 'text', 'data-testid': 'proof-note', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'proof-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'primary', 'data-testid': 'proof-confirm' }, 'Confirm delivery');
  confirm.addEventListener('click', () => {
    error.hidden = true;
    void pad.blob().then(async (sig) => {
      const ok = await d.run(
        () => d.ws.recordStop({ task_id: stop.task_id, outcome: 'done', reason: '', recipient: recipient.value, note: note.value }, sig, [...(photos.files ?? [])]),
        `Delivered at ${stop.outlet_name}.`,
      );
      if (!ok) {
        error.textContent = plainError(d.s.error);
        error.hidden = false;
      }
    });
  });
  return h(
    'div',
    { class: 'panel', 'data-testid': 'proof-panel' },
    h('h3', {}, 'Proof of delivery'),
    h('label', {}, 'Received by', recipient),
    pad.el,
    h('label', {}, 'Photos', photos),
    h('label', {}, 'Note (optional)', note),
    error,
    confirm,
  );
}

export function renderNotDone(d: Day, stop: StopView, kind: 'failed' | 'skipped'): HTMLElement {
  const reasons = (kind === 'failed' ? d.s.view.settings?.failure_reasons : d.s.view.settings?.skip_reasons) ?? [];
  const reason = h('select', { 'data-testid': 'reason-choice' }, ...reasons.map((r) => h('option', { value: r }, r)), h('option', { value: '' }, 'Other…'));
  const other = h('input', { type: 'text', 'data-testid': 'reason-other', autocomplete: 'off', placeholder: 'Say why' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'reason-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'primary', 'data-testid': 'reason-confirm' }, kind === 'failed' ? 'Record failed delivery' : 'Skip this stop');
  confirm.addEventListener('click', () => {
    const why = reason.value || other.value;
    void d.run(() => d.ws.recordStop({ task_id: stop.task_id, outcome: kind, reason: why, recipient: '', note: '' }, undefined, undefined), `${stop.outlet_name}: ${kind === 'failed' ? 'not delivered' : 'skipped'} (${why}).`).then((ok) => {
      if (!ok) {
        error.textContent = plainError(d.s.error);
        error.hidden = false;
      }
    });
  });
  return h(
    'div',
    { class: 'panel', 'data-testid': `${kind}-panel` },
    h('h3', {}, kind === 'failed' ? 'Not delivered' : 'Skip'),
    kind === 'failed' && stop.items.length ? h('p', { class: 'meta' }, `Goods back on the van: ${stop.items.map((i) => `${quantity(i.quantity)} × ${i.name}`).join(', ')}.`) : null,
    h('label', {}, 'Why', reason),
    other,
    error,
    confirm,
  );
}

export function renderStop(d: Day, stop: StopView, index: number, total: number, currency: string | undefined, panel: HTMLElement | null): HTMLElement {
  const todo = stop.state === 'todo';
  const move = (delta: number): void => {
    const order = d.s.view.open!.stops.map((s) => s.task_id);
    const [moved] = order.splice(index, 1);
    order.splice(index + delta, 0, moved!);
    void d.run(() => d.ws.reorderStops(order), `${stop.outlet_name} moved ${delta < 0 ? 'up' : 'down'}.`);
  };
  const btn = (testid: string, label: string, onclick: () => void, enabled = true, aria?: string): HTMLButtonElement =>
    h('button', { type: 'button', class: 'small', 'data-testid': testid, onclick, disabled: !enabled, 'aria-label': aria }, label);
  const credit = stop.credit;
  return h(
    'li',
    { class: `stop ${stop.state}`, 'data-testid': 'stop', 'data-task': stop.task_id, 'data-state': stop.state },
    h(
      'div',
      { class: 'row' },
      h('strong', { class: 'name' }, `${index + 1}. ${stop.outlet_name}`),
      stop.unplanned ? h('span', { class: 'tag' }, 'Unplanned') : null,
      h('span', { class: `tag state-${stop.state}`, 'data-testid': 'stop-state' }, STATE_LABEL[stop.state] ?? stop.state),
    ),
    h('div', { class: 'meta' }, [stop.address, stop.contact_name, stop.phone].filter(Boolean).join(' · ')),
    h('div', {}, stop.title),
    stop.items.length ? h('div', { class: 'meta', 'data-testid': 'stop-items' }, `Asks for: ${stop.items.map((i) => `${quantity(i.quantity)} × ${i.name}`).join(', ')}`) : null,
    credit
      ? h('div', { class: `credit${credit.over_limit ? ' over' : ''}` }, `Balance ${money(credit.outstanding, currency)}, ${money(credit.available, currency)} available${stop.oldest_days !== undefined ? ` · oldest invoice ${count(stop.oldest_days, 'day')}` : ''}`)
      : null,
    stop.invoices.length
      ? h('ul', { class: 'list small', 'data-testid': 'stop-invoices' }, ...stop.invoices.map((i) => h('li', { 'data-number': i.number, 'data-outstanding': i.outstanding }, `${i.number} · ${date(i.issued_on)} · owes ${money(i.outstanding, currency)} of ${money(i.total, currency)}${i.on_device ? ' · on this device' : ''}`)))
      : null,
    stop.notes.length ? h('div', { class: 'meta' }, ...stop.notes.map((n) => h('div', {}, `${date(n.on)} ${n.by}: ${n.note}`))) : null,
    stop.billed.length
      ? h('div', { 'data-testid': 'stop-billed' }, ...stop.billed.map((b) => h('div', { class: `status ${b.status}`, 'data-status': b.status }, `Invoice ${b.number} · ${money(b.total, currency)} · ${b.status}${b.reason ? `: ${b.reason}` : ''}`)))
      : null,
    stop.reason ? h('div', { class: 'meta' }, `Why: ${stop.reason}`) : null,
    syncLine(stop) ? h('div', { class: 'meta', 'data-testid': 'stop-sync' }, syncLine(stop)) : null,
    h(
      'div',
      { class: 'row stop-actions' },
      btn('stop-bill', 'Bill', () => d.bill(stop.task_id), todo),
      btn('stop-collect', 'Collect', () => d.setPanel({ kind: 'collect', taskId: stop.task_id })),
      btn('stop-deliver', 'Delivered', () => d.setPanel({ kind: 'proof', taskId: stop.task_id }), todo),
      btn('stop-fail', 'Not delivered', () => d.setPanel({ kind: 'failed', taskId: stop.task_id }), todo),
      btn('stop-skip', 'Skip', () => d.setPanel({ kind: 'skipped', taskId: stop.task_id }), todo),
      btn('stop-up', '↑', () => move(-1), index > 0, `Move ${stop.outlet_name} up`),
      btn('stop-down', '↓', () => move(1), index < total - 1, `Move ${stop.outlet_name} down`),
    ),
    panel,
  );
}
