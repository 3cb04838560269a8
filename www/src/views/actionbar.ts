// The action bar, fixed at the bottom of the screen where a thumb reaches: the order's total
// and "Commit order", and right above them what the last action said (the confirmation of a
// commit, or why it failed), announced and always inside the viewport.

import { errorDetail, errorText } from '../api.ts';
import { h } from '../dom.ts';
import { money } from '../format.ts';
import type { State, Store } from '../store.ts';

export function renderActionBar(store: Store, on: { commit(): void }): HTMLElement {
  const notice = h('p', { class: 'notice', 'data-testid': 'notice', role: 'status', 'aria-live': 'polite', hidden: true });
  const dismiss = h('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss the message', 'data-testid': 'notice-dismiss' }, '×');
  const noticeRow = h('div', { class: 'notice-row', hidden: true }, notice, dismiss);
  const errorWords = h('span', { class: 'words' });
  const errorDetailEl = h('small', { class: 'detail', 'data-testid': 'error-detail' });
  const error = h('p', { class: 'error', 'data-testid': 'error', role: 'alert', hidden: true }, errorWords, errorDetailEl);
  const total = h('span', { class: 'bar-total', 'data-testid': 'bar-total' });
  const why = h('span', { class: 'bar-why', 'data-testid': 'commit-why' });
  const commit = h('button', { type: 'button', class: 'primary', 'data-testid': 'commit-order', disabled: true }, 'Commit order');
  commit.addEventListener('click', () => on.commit());
  const orderRow = h('div', { class: 'bar-order', hidden: true }, h('div', { class: 'bar-figures' }, total, why), commit);
  const bar = h('div', { class: 'actionbar', 'data-testid': 'action-bar', hidden: true }, noticeRow, error, orderRow);

  dismiss.addEventListener('click', () => store.set({ notice: undefined }));

  const update = (st: State): void => {
    const n = st.notice;
    noticeRow.hidden = n === undefined;
    notice.hidden = n === undefined;
    notice.textContent = n?.text ?? '';
    for (const k of Object.keys(notice.dataset)) if (k !== 'testid') delete notice.dataset[k];
    for (const [k, v] of Object.entries(n?.data ?? {})) notice.dataset[k] = v;

    const errors = [...st.errors.values()];
    error.hidden = errors.length === 0;
    errorWords.textContent = errors.map((e) => errorText(e)).join(' ');
    errorDetailEl.textContent = errors.map((e) => errorDetail(e)).join(' · ');

    const d = st.draft;
    orderRow.hidden = !d.outlet;
    const q = st.quote;
    total.textContent = q?.total === undefined ? '' : `Total ${money(q.total, st.currency)}`;
    const reason =
      !d.outlet ? '' :
      d.lines.length === 0 ? 'Add a product to commit.' :
      st.problems.length > 0 ? 'Fix the marked field to commit.' :
      st.quoteError !== undefined ? 'Fix the order to commit.' :
      q?.blocked ? 'A check blocks this order (see above).' : '';
    why.textContent = reason;
    commit.disabled = st.committing || !q || q.blocked || q.total === undefined || st.problems.length > 0;
    bar.hidden = noticeRow.hidden && error.hidden && orderRow.hidden;
    document.body.classList.toggle('with-bar', !bar.hidden);
  };
  store.watch(['notice', 'errors', 'draft', 'quote', 'problems', 'quoteError', 'committing', 'currency'], update);
  return bar;
}
