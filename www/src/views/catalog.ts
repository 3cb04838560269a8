// The left half of the order form: the chosen outlet (address, contact, credit, what was sold
// there lately, "Edit contact") and the product search. On a phone it sits above the cart; on a
// tablet it is the left pane.

import type { OutletView, ProductHit, Workspace } from '../api.ts';
import { errorBox, h, replaceChildren } from '../dom.ts';
import { dateTime, money, quantity } from '../format.ts';
import type { Store } from '../store.ts';
import { creditLine } from './outlets.ts';

const PRODUCT_RESULT_LIMIT = 20;

export interface CatalogHooks {
  add(p: ProductHit): void;
  change(): void;
  updateOutlet(o: OutletView, fields: { phone: string; address: string; contact_name: string }): Promise<number>;
}

export function renderCatalog(ws: Workspace, store: Store, on: CatalogHooks): HTMLElement & { setTaskTitle(f: (id: string) => string | undefined): void } {
  const chosen = h('div', { class: 'chosen', 'data-testid': 'chosen-outlet' });
  const change = h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'change-outlet', onclick: () => on.change() }, 'Change outlet');
  const billedFrom = h('p', { class: 'billed-from small', 'data-testid': 'billed-from-task', hidden: true });
  const resubmits = h('p', { class: 'billed-from small', 'data-testid': 'resubmits', hidden: true });
  const search = h('input', {
    type: 'search',
    placeholder: 'Product name, SKU or barcode',
    'aria-label': 'Search products',
    autocomplete: 'off',
    'data-testid': 'product-search',
  });
  const results = h('ul', { class: 'list products', 'data-testid': 'product-list' });
  const searchError = errorBox();
  searchError.el.dataset['testid'] = 'search-error';
  const section = h(
    'section',
    { class: 'card catalog', 'aria-label': 'Outlet and products', hidden: true },
    h('div', { class: 'row outlet-head' }, chosen, change),
    billedFrom,
    resubmits,
    search,
    searchError.el,
    results,
  );

  const renderResults = (): void => {
    const q = search.value.trim();
    const outlet = store.state.draft.outlet;
    if (q === '' || !outlet) {
      replaceChildren(results);
      return;
    }
    let hits: ProductHit[];
    try {
      hits = ws.searchProducts(q, PRODUCT_RESULT_LIMIT, outlet.id);
      searchError.show('');
    } catch (err) {
      searchError.fail(err);
      return;
    }
    const { currency } = store.state;
    const items = hits.map((p) =>
      h(
        'li',
        { 'data-testid': 'product-item', 'data-sku': p.sku, 'data-stock': p.stock ?? '', 'data-price': p.unit_price ?? '', 'data-places': String(p.quantity_places), class: 'product' },
        h('span', { class: 'name' }, p.name),
        h('span', { class: 'meta' }, productMeta(p, currency)),
        h('button', { type: 'button', class: 'add', 'data-testid': 'add-product', 'aria-label': `Add ${p.name}`, onclick: () => on.add(p) }, 'Add'),
      ),
    );
    if (items.length === 0) items.push(h('li', { class: 'muted empty' }, 'No product matches.'));
    replaceChildren(results, ...items);
  };
  search.addEventListener('input', renderResults);

  let taskTitle: (id: string) => string | undefined = () => undefined;
  let shownOutlet: string | undefined;
  let editForm: HTMLElement | undefined;
  let shownGeneration = -1;
  store.watch(['draft', 'referenceGeneration', 'orders'], (st) => {
    const o = st.draft.outlet;
    section.hidden = !o;
    if (!o) {
      shownOutlet = undefined;
      return;
    }
    billedFrom.hidden = !st.draft.taskId;
    billedFrom.textContent = st.draft.taskId ? `Billed from task: ${taskTitle(st.draft.taskId) ?? st.draft.taskId}` : '';
    if (st.draft.taskId) billedFrom.dataset['taskId'] = st.draft.taskId;
    else delete billedFrom.dataset['taskId'];
    resubmits.hidden = !st.draft.resubmits;
    resubmits.textContent = st.draft.resubmits ? `Replaces the held order ${st.draft.resubmits}; it gets a new number.` : '';
    // Redrawn only when the outlet or the reference data changed; "Edit contact" only when the
    // outlet did (the rep may be typing in it).
    if (shownOutlet === o.id && shownGeneration === st.referenceGeneration) return;
    const fresh = shownOutlet !== o.id;
    shownOutlet = o.id;
    shownGeneration = st.referenceGeneration;
    if (fresh) editForm = editContact(o);
    const recent = st.orders.filter((x) => x.outlet_id === o.id).slice(0, 3);
    replaceChildren(
      chosen,
      h('strong', { 'data-outlet-id': o.id }, o.name),
      h('span', { class: 'meta', 'data-testid': 'chosen-meta' }, [o.address, o.route, o.phone, o.contact_name].filter(Boolean).join(' · ')),
      creditLine(o, st.currency),
      recent.length === 0
        ? null
        : h('span', { class: 'meta', 'data-testid': 'outlet-recent' }, 'Recent: ', recent.map((x) => `${x.document_number} ${money(x.total, st.currency)} (${dateTime(x.committed_at)})`).join(' · ')),
      editForm,
    );
    if (fresh) {
      search.value = '';
      renderResults();
      requestAnimationFrame(() => {
        section.scrollIntoView({ block: 'start', behavior: 'instant' as ScrollBehavior });
        search.focus({ preventScroll: true });
      });
    }
  });

  /** "Edit contact": phone, address and contact person, merged on the server field by field. */
  function editContact(o: OutletView): HTMLElement {
    const field = (id: string, label: string, value: string, type = 'text'): [HTMLElement, HTMLInputElement] => {
      const input = h('input', { id, type, value, autocomplete: 'off', 'data-testid': `edit-${id.replace('edit-', '')}` });
      return [h('label', { for: id }, label), input];
    };
    const [l1, phone] = field('edit-phone', 'Phone', o.phone, 'tel');
    const [l2, address] = field('edit-address', 'Address', o.address);
    const [l3, contact] = field('edit-contact', 'Contact person', o.contact_name);
    const result = h('span', { class: 'small', role: 'status', 'data-testid': 'edit-result' });
    const save = h('button', { type: 'submit', 'data-testid': 'save-contact' }, 'Save contact');
    const form = h('form', { novalidate: true }, l1, phone, l2, address, l3, contact, h('div', { class: 'row' }, save, result));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save.disabled = true;
      void on
        .updateOutlet(o, { phone: phone.value, address: address.value, contact_name: contact.value })
        .then((n) => {
          result.textContent = n === 0 ? 'Nothing changed.' : 'Saved on this device; it syncs with the next push.';
          result.dataset['changed'] = String(n);
        })
        .catch((err: unknown) => (result.textContent = String((err as Error).message ?? err)))
        .finally(() => (save.disabled = false));
    });
    return h('details', { class: 'edit-contact', 'data-testid': 'edit-outlet' }, h('summary', {}, 'Edit contact'), form);
  }

  return Object.assign(section, {
    setTaskTitle(f: (id: string) => string | undefined) {
      taskTitle = f;
    },
  });
}

function productMeta(p: ProductHit, currency: string | undefined): string {
  const parts = [p.sku, `${p.unit_price === undefined ? 'no price' : money(p.unit_price, currency)} / ${p.unit}`];
  if (p.pack_size) parts.push(`pack of ${quantity(p.pack_size)}`);
  if (p.stock !== undefined) parts.push(`van: ${quantity(p.stock)}`);
  return parts.join(' · ');
}
