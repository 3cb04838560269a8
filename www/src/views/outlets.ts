// The outlet picker: search by name, address or route; each row tells same-name outlets apart
// (address, route, the last order taken there) and shows the credit as of its date.

import type { OrderView, OutletView } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { ago, asOf, money } from '../format.ts';
import type { Store } from '../store.ts';

const OUTLET_LIST_LIMIT = 50;

/** The outlet's credit, as the module computed it (no arithmetic here). */
export function creditLine(o: OutletView, currency: string | undefined): HTMLElement | null {
  if (!o.credit) return null;
  const c = o.credit;
  return h(
    'span',
    { class: `credit ${c.over_limit ? 'over' : ''}`, 'data-testid': 'outlet-credit', 'data-over': String(c.over_limit), 'data-available': c.available },
    c.over_limit
      ? `Over credit limit: ${money(c.available, currency)} of ${money(c.limit, currency)}`
      : `Credit available ${money(c.available, currency)} of ${money(c.limit, currency)}`,
    ` · ${asOf(c.as_of)}`,
  );
}

/** "Last order 2 days ago" from this device's orders (newest first). */
export function lastVisit(orders: OrderView[], outletId: string): string | undefined {
  const last = orders.find((o) => o.outlet_id === outletId);
  return last ? `Last order ${ago(last.committed_at)}` : undefined;
}

export function renderOutletPicker(store: Store, choose: (o: OutletView) => void): HTMLElement {
  const search = h('input', {
    type: 'search',
    placeholder: 'Name, street or route',
    'aria-label': 'Search outlets',
    autocomplete: 'off',
    'data-testid': 'outlet-search',
  });
  const list = h('ul', { class: 'list', 'data-testid': 'outlet-list' });
  const section = h('section', { class: 'card', 'data-testid': 'outlet-picker', 'aria-labelledby': 'outlet-picker-title' },
    h('h2', { id: 'outlet-picker-title' }, 'New order: choose the outlet'), search, list);

  // Re-rendered only when what it shows changed: a status update must not replace the row
  // under the rep's finger.
  let shown = '';
  const render = (): void => {
    const { outlets, orders, currency } = store.state;
    const q = search.value.trim().toLowerCase();
    const hits = outlets.filter(
      (o) => q === '' || [o.name, o.route, o.id, o.address].some((v) => v.toLowerCase().includes(q)),
    );
    const signature = JSON.stringify([currency, hits.slice(0, OUTLET_LIST_LIMIT + 1), hits.slice(0, OUTLET_LIST_LIMIT).map((o) => lastVisit(orders, o.id)), outlets.length]);
    if (signature === shown) return;
    shown = signature;
    const items = hits.slice(0, OUTLET_LIST_LIMIT).map((o) => {
      const visit = lastVisit(orders, o.id);
      return h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'item', 'data-testid': 'outlet-item', 'data-outlet-id': o.id, onclick: () => choose(o) },
          h('span', { class: 'name' }, o.name),
          h('span', { class: 'meta', 'data-testid': 'outlet-address' }, [o.address, o.route].filter(Boolean).join(' · ')),
          visit ? h('span', { class: 'meta', 'data-testid': 'outlet-last-visit' }, visit) : null,
          creditLine(o, currency),
        ),
      );
    });
    if (items.length === 0) items.push(h('li', { class: 'muted empty' }, outlets.length === 0 ? 'No outlets downloaded yet.' : 'No outlet matches.'));
    if (hits.length > OUTLET_LIST_LIMIT) items.push(h('li', { class: 'muted empty' }, `${hits.length - OUTLET_LIST_LIMIT} more; refine the search.`));
    replaceChildren(list, ...items);
  };
  search.addEventListener('input', render);

  store.watch(['outlets', 'orders', 'draft'], (st, changed) => {
    const wasHidden = section.hidden;
    section.hidden = st.draft.outlet !== undefined;
    // Back from an order (committed or changed): the next one starts at the top.
    if (wasHidden && !section.hidden) requestAnimationFrame(() => window.scrollTo({ top: 0, behavior: 'instant' as ScrollBehavior }));
    if (changed.has('draft') && !st.draft.outlet && changed.size === 1) search.value = '';
    if (!section.hidden) render();
  });
  return section;
}
