// "Orders on this device": each order's number, outlet, total, age and status; held orders
// with "Edit and resubmit" and "Discard" (with an optional reason); what could not be read;
// how old the prices and outlets are, and "Update prices and outlets".

import type { OrderView, Workspace } from '../api.ts';
import { errorBox, h, replaceChildren } from '../dom.ts';
import { ago, asOf, count, dateTime, money } from '../format.ts';
import type { State, Store } from '../store.ts';
import type { SyncActions } from '../workspace/sync.ts';

const ORDER_LIST_LIMIT = 50;

const STATUS_LABEL: Record<OrderView['status'], string> = {
  pending: 'Waiting to sync',
  synced: 'Synced',
  flagged: 'Flagged for review',
  rejected: 'Rejected',
  held: 'Held',
  waiting: 'Waiting for the server',
  discarded: 'Discarded',
};

export function renderOrders(ws: Workspace, store: Store, act: SyncActions, taskTitle: (id: string) => string | undefined): HTMLElement {
  const list = h('ul', { class: 'list orders', 'data-testid': 'order-list' });
  const refAge = h('p', { class: 'muted small', 'data-testid': 'reference-as-of' });
  const storageStatus = h('p', { class: 'muted small', 'data-testid': 'storage-status' });
  const storageReport = h('p', { class: 'error small', 'data-testid': 'storage-report', role: 'status', hidden: true });
  const refresh = h('button', { type: 'button', 'data-testid': 'refresh-reference' }, 'Update prices and outlets');
  refresh.addEventListener('click', () => {
    refresh.disabled = true;
    void act.refreshReference().then((ok) => {
      if (ok) refAge.dataset['refreshed'] = String(Date.now());
      refresh.disabled = false;
    });
  });
  const section = h('section', { class: 'card', 'aria-labelledby': 'orders-title' },
    h('h2', { id: 'orders-title' }, 'Orders on this device'), storageReport, list, refAge, refresh, storageStatus);

  // The inline "Discard" forms of held orders, kept across re-renders (a reason being typed
  // survives a status update).
  const discardForms = new Map<string, HTMLElement>();
  let signature = '';

  const discardForm = (o: OrderView): HTMLElement => {
    const existing = discardForms.get(o.order_id);
    if (existing) return existing;
    const inputId = `discard-reason-${o.order_id}`;
    const reason = h('input', { id: inputId, type: 'text', maxlength: 500, autocomplete: 'off', placeholder: 'e.g. the outlet cancelled', 'data-testid': 'held-discard-reason' });
    const confirm = h('button', { type: 'submit', class: 'danger', 'data-testid': 'held-discard-confirm' }, 'Discard order');
    const cancel = h('button', { type: 'button', 'data-testid': 'held-discard-cancel' }, 'Keep it');
    const result = errorBox();
    const form = h('form', { class: 'held-discard', 'data-testid': 'held-discard-form', novalidate: true },
      h('label', { for: inputId }, `Why discard ${o.document_number}? (optional)`), reason, h('div', { class: 'row' }, confirm, cancel), result.el);
    cancel.addEventListener('click', () => {
      discardForms.delete(o.order_id);
      render(store.state, true);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      confirm.disabled = true;
      void act.discardHeld(o, reason.value).then(
        () => discardForms.delete(o.order_id),
        (err: unknown) => {
          result.fail(err);
          confirm.disabled = false;
        },
      );
    });
    discardForms.set(o.order_id, form);
    setTimeout(() => reason.focus(), 0);
    return form;
  };

  const heldActions = (o: OrderView): HTMLElement => {
    if (discardForms.has(o.order_id)) return discardForm(o);
    const edit = h('button', { type: 'button', 'data-testid': 'held-edit' }, 'Edit and resubmit');
    edit.addEventListener('click', () => {
      edit.disabled = true;
      void act.editHeld(o).catch(() => (edit.disabled = false));
    });
    const discard = h('button', { type: 'button', 'data-testid': 'held-discard' }, 'Discard');
    discard.addEventListener('click', () => {
      discardForm(o);
      render(store.state, true);
    });
    return h('div', { class: 'row' }, edit, discard);
  };

  const reasonOf = (o: OrderView): HTMLElement | null => {
    if (o.status === 'held') return h('p', { class: 'reason held', 'data-testid': 'order-reason' }, h('strong', {}, 'Held: '), o.reason ?? 'something it depends on was refused');
    if (o.status === 'waiting') return h('p', { class: 'reason waiting', 'data-testid': 'order-reason' }, `Waiting for the server${o.reason ? `: ${o.reason}` : ''}`);
    if ((o.status === 'rejected' || o.status === 'discarded' || o.status === 'flagged') && o.reason) return h('p', { class: `reason ${o.status}`, 'data-testid': 'order-reason' }, o.reason);
    return null;
  };

  function render(st: State, force = false): void {
    // Re-rendered only when something changed: a reason typed in a discard form stays put.
    const next = JSON.stringify([st.orders, st.currency, st.referenceGeneration]);
    if (!force && next === signature) return;
    signature = next;
    for (const id of [...discardForms.keys()]) if (!st.orders.some((o) => o.order_id === id && o.status === 'held')) discardForms.delete(id);
    const items = st.orders.slice(0, ORDER_LIST_LIMIT).map((o) => {
      const outlet = st.outletById.get(o.outlet_id)?.name ?? o.outlet_id;
      return h(
        'li',
        { class: `order ${o.status}`, 'data-testid': 'order-item', 'data-status': o.status, 'data-order-id': o.order_id, 'data-seq': String(o.seq), 'data-document-number': o.document_number, 'data-task-id': o.task_id },
        h('div', { class: 'row' }, h('span', { class: 'name' }, `${o.document_number} · ${outlet}${o.kind === 'return' ? ' (return)' : ''}`), h('span', { class: 'amount', 'data-testid': 'order-total', 'data-amount': o.total }, money(o.total, st.currency))),
        h('div', { class: 'row meta' }, h('time', { datetime: o.committed_at, title: dateTime(o.committed_at) }, ago(o.committed_at)), h('span', { class: `status ${o.status}`, 'data-testid': 'order-status' }, STATUS_LABEL[o.status] ?? o.status)),
        o.task_id ? h('p', { class: 'meta small', 'data-testid': 'order-task' }, `Billed from task: ${taskTitle(o.task_id) ?? o.task_id}`) : null,
        reasonOf(o),
        o.status === 'held' ? heldActions(o) : null,
      );
    });
    if (items.length === 0) items.push(h('li', { class: 'muted empty' }, 'No orders yet.'));
    replaceChildren(list, ...items);
  }

  store.watch(['orders', 'currency', 'referenceGeneration', 'outlets'], (st) => {
    render(st);
    const asOfIso = ws.referenceAsOf();
    refAge.textContent = asOfIso ? `Prices and outlets ${asOf(asOfIso)}` : 'No reference data yet.';
    refAge.dataset['generation'] = String(st.status?.reference_generation ?? '');
  });
  store.watch(['storageReport'], ({ storageReport: r }) => {
    const unreadable = r ? r.unreadable_orders + r.unreadable_reference : 0;
    storageReport.hidden = unreadable === 0;
    storageReport.dataset['unreadable'] = String(unreadable);
    storageReport.textContent = unreadable === 0 ? '' : `${count(unreadable, 'record')} on this device could not be read and ${unreadable === 1 ? 'was' : 'were'} skipped; everything else is fine. Tell your supervisor.`;
  });

  // Ask the browser not to evict this origin's data under storage pressure, and say what it
  // answered: unsynced orders live here.
  void (async () => {
    const storage = navigator.storage as StorageManager | undefined;
    if (!storage?.persist) {
      storageStatus.textContent = 'Storage: this browser cannot promise to keep data; sync often.';
      storageStatus.dataset['persisted'] = 'unknown';
      return;
    }
    const persisted = (await storage.persisted()) || (await storage.persist());
    storageStatus.dataset['persisted'] = String(persisted);
    storageStatus.textContent = persisted ? 'Storage: kept on this device until you remove it.' : 'Storage: the browser may clear it if space runs low; install the app and sync often.';
  })().catch(() => {
    storageStatus.dataset['persisted'] = 'unknown';
  });

  return section;
}
