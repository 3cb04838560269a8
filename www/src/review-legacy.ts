// The supervisor's review queue as it was before the UI rebuild; replaced by views/supervisor.ts.

import { errorText, type ReviewItem, type WorkspaceApi } from './api.ts';
import { h, replaceChildren } from './dom.ts';
import { dateTime as formatTime } from './format.ts';

/** A supervisor's review queue: flagged orders with their reasons, approve or reject (online). */
export function renderReviewCard(ws: WorkspaceApi): HTMLElement {
  const list = h('ul', { class: 'list', 'data-testid': 'review-list' });
  const msg = h('p', { class: 'small muted', role: 'status', 'data-testid': 'review-message' });
  const reload = h('button', { type: 'button', class: 'small', 'data-testid': 'review-reload' }, 'Refresh');
  async function load(): Promise<void> {
    msg.textContent = 'Loading…';
    let items: ReviewItem[];
    try {
      items = await ws.reviewQueue('open');
    } catch (err) {
      msg.textContent = errorText(err);
      return;
    }
    msg.textContent = items.length === 0 ? 'Nothing to review.' : `${items.length} order${items.length === 1 ? '' : 's'} to review.`;
    replaceChildren(
      list,
      ...items.map((it) => {
        const decide = (decision: 'approve' | 'reject') => (): void => {
          void ws
            .resolveReview(it.order_id, decision)
            .then(() => load())
            .catch((err: unknown) => (msg.textContent = errorText(err)));
        };
        return h(
          'li',
          { class: 'review', 'data-testid': 'review-item', 'data-order-id': it.order_id },
          h('div', { class: 'row' }, h('span', { class: 'name' }, `${it.document_number ?? it.order_id} · ${it.outlet_name ?? it.outlet_id}`), h('span', {}, it.total)),
          h('div', { class: 'meta' }, `${it.username} · ${formatTime(it.committed_at)}`),
          h('ul', { class: 'findings' }, ...it.reasons.map((r) => h('li', { class: 'finding warn_and_flag', 'data-rule': r.rule }, r.message))),
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'button', class: 'small', 'data-testid': 'review-approve', onclick: decide('approve') }, 'Approve'),
            h('button', { type: 'button', class: 'small link', 'data-testid': 'review-reject', onclick: decide('reject') }, 'Reject'),
          ),
        );
      }),
    );
  }
  reload.addEventListener('click', () => void load());
  const card = h('details', { class: 'card', 'data-testid': 'review' }, h('summary', {}, 'Review queue'), h('div', { class: 'row' }, msg, reload), list);
  card.addEventListener('toggle', () => {
    if (card.open) void load();
  });
  return card;
}
