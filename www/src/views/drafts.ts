// Drafts: orders started and not committed, newest first (the module's order), each resumable
// or discardable. The one on screen is not listed.

import { h, replaceChildren } from '../dom.ts';
import { ago, count } from '../format.ts';
import type { Store } from '../store.ts';
import type { OrderActions } from '../workspace/actions.ts';
import { draftSummary } from '../workspace/draft.ts';

export function renderDrafts(store: Store, act: OrderActions): HTMLElement {
  const list = h('ul', { class: 'list drafts', 'data-testid': 'draft-list' });
  const section = h('section', { class: 'card', 'data-testid': 'drafts', 'aria-labelledby': 'drafts-title', hidden: true }, h('h2', { id: 'drafts-title' }, 'Drafts'), list);
  store.watch(['drafts', 'draft', 'outlets'], (st) => {
    const others = st.drafts.filter((d) => d.draft_id !== st.draft.id);
    const items = others.map((d) => {
      const s = draftSummary(d);
      const name = (s.outletId && st.outletById.get(s.outletId)?.name) ?? s.outletId ?? 'No outlet';
      const meta = [count(s.lines, 'line'), ago(d.updated_at), s.resubmits ? `replaces ${s.resubmits}` : '', s.fromTask ? 'from a task' : ''].filter(Boolean).join(' · ');
      return h(
        'li',
        { class: 'draft', 'data-testid': 'draft-item', 'data-draft-id': d.draft_id },
        h('div', { class: 'row' }, h('span', { class: 'name' }, name), h('span', { class: 'meta' }, meta)),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', 'data-testid': 'resume-draft', onclick: () => act.resumeDraft(d) }, 'Resume'),
          h('button', { type: 'button', 'data-testid': 'discard-draft', onclick: () => act.deleteDraft(d.draft_id) }, 'Discard'),
        ),
      );
    });
    section.hidden = items.length === 0;
    replaceChildren(list, ...items);
  });
  return section;
}
