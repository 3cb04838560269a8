// The supervisor's review queue: orders the server flagged, each with its outlet, rep, time,
// total, reasons and lines. Approve is one tap; Reject asks for a note and a confirmation, since
// the ERP acts on it. The count shows on the collapsed card, so the supervisor knows without
// opening it. Everything here is online: the queue lives on the server.

import { describeError, type ReviewItem, type ReviewLine, type Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { queueCard } from './queue.ts';
import { dateTime, money, quantity } from '../format.ts';
import { currencyOf, plainError } from './format.ts';

export interface ReviewView {
  el: HTMLElement;
  /** Re-reads the queue from the server. */
  load(): Promise<void>;
}

function lineRow(line: ReviewLine, currency: string | undefined): HTMLElement {
  const discount = line.discount_percent ? ` · −${quantity(line.discount_percent)} %` : '';
  return h(
    'li',
    { class: 'review-line', 'data-testid': 'review-line', 'data-sku': line.sku, 'data-quantity': line.quantity, 'data-unit-price': line.unit_price },
    h('span', { class: 'name' }, line.name ? `${line.name} ` : '', h('span', { class: 'muted' }, line.sku)),
    h('span', {}, `${quantity(line.quantity)} × ${money(line.unit_price, currency)}${discount}`),
  );
}

/** One flagged order with its actions. `reload(text)` re-reads the list with `text` leading the
 * status line: after a decision the server recorded, or when the item is settled already. */
function reviewRow(ws: Workspace, it: ReviewItem, reload: (text: string) => void): HTMLElement {
  const currency = currencyOf(ws);
  const name = it.document_number ?? it.order_id;
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'review-error', hidden: true });
  const showError = (err: unknown): boolean => {
    const detail = describeError(err).detail;
    // A decision someone else made (or an item gone) changes the list: show it as it is now,
    // with the reason in the status line (this row is about to go).
    if (detail === 'already_resolved' || detail === 'not_found') {
      reload(`${name}: ${plainError(err)}`);
      return false;
    }
    error.textContent = plainError(err);
    error.hidden = false;
    return true;
  };

  const approve = h('button', { type: 'button', class: 'primary-inline', 'data-testid': 'review-approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'danger-outline', 'data-testid': 'review-reject', 'aria-expanded': 'false' }, 'Reject');
  const actions = h('div', { class: 'row actions' }, approve, reject);

  const note = h('textarea', {
    'data-testid': 'review-reject-note',
    autocomplete: 'off',
    rows: 2,
    maxlength: 1000,
    required: true,
  });
  const confirm = h('button', { type: 'button', class: 'danger', 'data-testid': 'review-reject-confirm', disabled: true }, 'Confirm reject');
  const cancel = h('button', { type: 'button', 'data-testid': 'review-reject-cancel' }, 'Cancel');
  const confirmBox = h(
    'div',
    { class: 'confirm-reject', 'data-testid': 'review-reject-confirmation', hidden: true },
    h('p', {}, `Reject ${name}? The order stands on the server; your note tells the office why.`),
    h('label', {}, 'Why you reject it (required)', note),
    h('div', { class: 'row actions' }, confirm, cancel),
  );

  const busy = (on: boolean): void => {
    for (const b of [approve, reject, cancel]) b.disabled = on;
    confirm.disabled = on || note.value.trim() === '';
  };
  const decide = async (decision: 'approve' | 'reject', text?: string): Promise<void> => {
    error.hidden = true;
    busy(true);
    try {
      await ws.resolveReview(it.order_id, decision, text);
      row.remove();
      reload(decision === 'approve' ? `${name} approved.` : `${name} rejected, with your note.`);
    } catch (err) {
      if (showError(err)) busy(false);
    }
  };

  approve.addEventListener('click', () => void decide('approve'));
  reject.addEventListener('click', () => {
    confirmBox.hidden = false;
    actions.hidden = true;
    reject.setAttribute('aria-expanded', 'true');
    note.focus();
  });
  cancel.addEventListener('click', () => {
    confirmBox.hidden = true;
    actions.hidden = false;
    note.value = '';
    confirm.disabled = true;
    reject.setAttribute('aria-expanded', 'false');
    reject.focus();
  });
  note.addEventListener('input', () => {
    confirm.disabled = note.value.trim() === '';
  });
  confirm.addEventListener('click', () => {
    const text = note.value.trim();
    if (text === '') {
      error.textContent = 'Write why you reject this order; the office needs it.';
      error.hidden = false;
      note.focus();
      return;
    }
    void decide('reject', text);
  });

  const row = h(
    'li',
    { class: 'review', 'data-testid': 'review-item', 'data-order-id': it.order_id, 'data-document-number': name },
    h('div', { class: 'row' }, h('span', { class: 'name' }, `${name} · ${it.outlet_name ?? it.outlet_id}`), h('strong', { 'data-testid': 'review-total', 'data-total': it.total }, money(it.total, currency))),
    h('div', { class: 'meta' }, `${it.username} · ${dateTime(it.committed_at)}${it.kind === 'return' ? ' · return' : ''}`),
    h('ul', { class: 'findings' }, ...it.reasons.map((r) => h('li', { class: 'finding warn_and_flag', 'data-rule': r.rule }, r.message))),
    h('ul', { class: 'review-lines', 'aria-label': `Lines of ${name}` }, ...(it.lines ?? []).map((l) => lineRow(l, currency))),
    actions,
    confirmBox,
    error,
  );
  return row;
}

export function renderReview(ws: Workspace): ReviewView {
  return queueCard<ReviewItem>({
    id: 'review',
    title: 'Review',
    listTestId: 'review-list',
    loadingText: 'Loading the review queue…',
    fetch: () => ws.reviewQueue('open'),
    row: (it, reload) => reviewRow(ws, it, reload),
    summary: (n) => (n === 0 ? 'Nothing to review.' : `${n} order${n === 1 ? '' : 's'} to review, oldest first.`),
    failure: plainError,
  });
}
