// The workspace screen: one store, the actions that write it, and the views that show it.
//
// Everything here answers from the device. The only calls that use the network are "Sync now",
// "Update prices and outlets" and the background sync loop the module runs; none blocks input.
// Money is never computed here: prices, line nets, the tax breakdown, totals and validation
// findings all come from `ws.quote`, the same Rust code the server re-runs.
//
// Layout: on a phone one column and one scroll, the order first, the action bar at the bottom;
// on a tablet (1024 px and up, landscape) the order form is two panes, catalog and cart.

import type { SessionView, SyncStatusView, Workspace } from './api.ts';
import { h } from './dom.ts';
import { createStore } from './store.ts';
import { renderAccount } from './views/account.ts';
import { renderActionBar } from './views/actionbar.ts';
import { renderBackup } from './views/backup.ts';
import { missingNotice } from './views/missing.ts';
import { renderCounter } from './counter.ts';
import { renderDay, worksDays } from './day.ts';
import { renderCart } from './views/cart.ts';
import { renderCatalog } from './views/catalog.ts';
import { renderDrafts } from './views/drafts.ts';
import { renderHeader } from './views/header.ts';
import { renderOrders } from './views/orders.ts';
import { renderOutletPicker } from './views/outlets.ts';
import { renderSupervisor } from './views/supervisor.ts';
import { renderSyncPanel } from './views/syncpanel.ts';
import { renderTasksCard, type TasksCard } from './views/tasks.ts';
import { orderActions } from './workspace/actions.ts';
import { emptyDraft } from './workspace/draft.ts';
import { syncActions } from './workspace/sync.ts';

export function renderWorkspace(
  root: HTMLElement,
  ws: Workspace,
  session: SessionView,
  hooks: {
    /** Called after a successful sign-out. */
    onSignedOut: () => void;
    /** Routes the module's status updates to this screen (the module gets one listener). */
    setStatusHandler: (handler: ((s: SyncStatusView) => void) | undefined) => void;
  },
): void {
  const store = createStore({
    session,
    currency: undefined,
    outlets: [],
    outletById: new Map(),
    referenceGeneration: 0,
    draft: emptyDraft(),
    quote: undefined,
    problems: [],
    quoteError: undefined,
    committing: false,
    orders: [],
    drafts: [],
    status: undefined,
    pending: undefined,
    storageReport: undefined,
    online: navigator.onLine,
    notice: undefined,
    errors: new Map(),
  });

  let tasks: TasksCard | undefined;
  let day: ReturnType<typeof renderDay> | undefined;
  const taskTitle = (id: string): string | undefined => tasks?.task(id)?.title ?? day?.day.s.view.open?.stops.find((x) => x.task_id === id)?.outlet_name;
  const order = orderActions(ws, store, () => {
    day?.day.refresh(true);
    void sync.refresh();
  });
  const sync = syncActions(ws, store, order, () => {
    tasks?.refresh(true);
    day?.day.refresh();
  });
  order.reloadOutlets();

  tasks = renderTasksCard(ws, {
    onTakeOrder: (t) => order.startOrderFromTask(t, t.title),
    onCompleted: (t) => {
      order.notify(`Task "${t.title}" completed on this device; it syncs with the next push.`, { taskId: t.id });
      void sync.refresh();
    },
    onChanged: () => store.touch('orders'),
  });

  const catalog = renderCatalog(ws, store, {
    add: (p) => order.addProduct(p),
    change: () => order.closeOrder(),
    updateOutlet: (o, fields) => sync.updateOutlet(o, fields),
  });
  catalog.setTaskTitle(taskTitle);

  const signedOut = (): void => {
    hooks.setStatusHandler(undefined);
    hooks.onSignedOut();
  };

  // A cashier's device (the user has a register) shows the counter instead of the rep's orders.
  const counter = ws.counter().register ? renderCounter(ws, () => void sync.refresh()) : undefined;
  // A crew's device (the deployment has delivery days and the user has delivery stops) shows
  // the day first: billing a stop opens the order form below, prefilled.
  const orderForm = h('div', { class: 'order-panes' });
  if (!counter && worksDays(ws.day())) {
    day = renderDay(ws, {
      bill: (taskId) => {
        order.startOrderFromStop(taskId);
        orderForm.scrollIntoView({ block: 'start' });
      },
      changed: () => {
        // The day's own notice says what just happened; an older order notice would cover it.
        order.notify('');
        tasks?.refresh(true);
        void sync.refresh();
      },
      lock: () => ws.lock(),
      outlets: () => store.state.outlets,
    });
    // The stops replace the task list while a day is open.
    day.day.watch((s) => {
      if (tasks) tasks.el.hidden = !!s.view.open;
    });
  }
  const backup = renderBackup(ws, store);
  const main = h(
    'main',
    { class: 'workspace-main' },
    recoveryNotice(ws),
    missingNotice(ws),
    backup.banner,
    ws.role() === 'supervisor' ? renderSupervisor(ws) : null,
    day ? day.el : null,
    counter ? counter.el : renderDrafts(store, order),
    counter ? null : orderForm,
    h(
      'div',
      { class: 'more' },
      tasks.el,
      renderOrders(ws, store, sync, taskTitle),
      renderSyncPanel(store, () => ({ rejectedTasks: tasks?.rejectedCount() ?? 0 })),
      backup.card,
      renderAccount(ws, sync, signedOut),
    ),
  );
  if (!counter) orderForm.append(h('div', { class: 'pane pane-list' }, renderOutletPicker(store, (o) => order.chooseOutlet(o)), catalog), h('div', { class: 'pane pane-detail' }, renderCart(store, order)));
  root.replaceChildren(
    h('div', { class: 'workspace' }, renderHeader(store, { lock: () => ws.lock(), syncNow: () => sync.syncNow() }), main, counter ? null : renderActionBar(store, { commit: () => order.commit(taskTitle) })),
  );

  hooks.setStatusHandler((s) => {
    // Completions change status with push answers too, not only with pulls.
    tasks?.refresh();
    sync.onStatus(s);
  });

  void sync.refresh();
  void noteStorage(ws);
  // Reopened after the tab was closed (or the phone restarted) mid-order: carry on with the
  // most recently edited draft; the others wait in the drafts list.
  void order.loadDrafts().then((list) => {
    const latest = list[0];
    if (latest && !store.state.draft.outlet) order.resumeDraft(latest);
  });
}

/** After a sign-in on a browser that had lost its database: what the outbox's second copy
 * (kept outside IndexedDB) held, and what the server made of it. */
function recoveryNotice(ws: Workspace): HTMLElement | null {
  const r = ws.copyRecovery();
  if (!r) return null;
  const sum = (k: 'total' | 'applied' | 'duplicate' | 'rejected' | 'waiting'): number => r.recovered.reduce((n, s) => n + s[k], 0);
  const parts = [`${sum('applied')} sent now`, `${sum('duplicate')} already on the server`];
  if (sum('rejected')) parts.push(`${sum('rejected')} refused`);
  const text =
    sum('total') > 0
      ? `This browser's storage for the app had been cleared, but a second copy of ${sum('total')} unsynced ${sum('total') === 1 ? 'change' : 'changes'} survived: ${parts.join(', ')}.`
      : '';
  const waiting = r.waiting ? ` ${r.waiting} more could not be sent yet; they go at the next unlock online.` : '';
  const stuck = r.stuck ? ` ${r.stuck} could not be sent because an earlier change is missing: tell your supervisor.` : '';
  return h('p', { class: 'confirm', role: 'status', 'data-testid': 'copy-recovery', 'data-applied': String(sum('applied')), 'data-waiting': String(r.waiting), 'data-stuck': String(r.stuck) }, `${text}${waiting}${stuck}`.trim());
}

/** The origin's storage figures for the telemetry (how full the device is, and whether the
 * browser may evict it). */
async function noteStorage(ws: Workspace): Promise<void> {
  const storage = navigator.storage;
  if (!storage?.estimate) return;
  try {
    const e = await storage.estimate();
    const persisted = storage.persisted ? await storage.persisted() : false;
    await ws.noteStorage(e.usage ?? 0, e.quota ?? 0, persisted);
  } catch {
    // Telemetry is best effort.
  }
}
