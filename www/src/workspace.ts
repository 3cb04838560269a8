// The workspace: sync header, outlet picker, order entry and the list of local orders.
//
// Everything on this screen answers from the device. The only calls that use the network are
// "Sync now" and the background sync loop the module runs (`startSync`); neither blocks input.
// Money is never computed here: prices, line nets, the tax breakdown, totals and validation
// findings all come from `ws.quote`, the same Rust code the server re-runs.

import {
  errorText,
  describeError,
  draftsOf,
  type FindingView,
  type OrderSummary,
  type OutletView,
  type ProductHit,
  type QuoteView,
  type SalesOrder,
  type SessionView,
  type SyncStatus,
  type WorkspaceApi,
  type DraftView,
  type TaskItemView,
} from './api.ts';
import { errorBox, h, replaceChildren } from './dom.ts';
import { renderTasksCard, type TasksCard } from './tasks.ts';
import { renderSupervisor } from './views/supervisor.ts';

/** One line of the draft; `quantity` and `discount` are whatever the user typed (decimal strings). */
interface DraftLine {
  product: ProductHit;
  quantity: string;
  discount: string;
}

/** The order-level fields, as typed. */
interface DraftOptions {
  orderDiscount: string;
  note: string;
  deliveryDate: string;
  isReturn: boolean;
  cash: boolean;
}

interface Draft {
  /** The stored draft's id, once the first edit was saved. */
  id: string | undefined;
  outlet: OutletView | undefined;
  lines: DraftLine[];
  options: DraftOptions;
  /** The task the order is billed from ("Take order" on a task). */
  taskId: string | undefined;
  /** The document number of the held order this one replaces ("Edit and resubmit"). */
  resubmits: string | undefined;
}

/** What a draft stores: ids and what was typed (prices and names come from the catalog). */
interface DraftContent {
  outlet_id: string;
  lines: { sku: string; quantity: string; discount?: string }[];
  options?: Partial<DraftOptions>;
  task_id?: string;
  resubmits?: string;
}

/** A draft's content in the page's shape. Drafts `editHeld` made before data format 5 hold
 * `{ order: SalesOrder, resubmits }` instead: their order becomes outlet, lines and options. */
function draftContent(raw: Record<string, unknown>): Partial<DraftContent> {
  const order = raw['order'] as Partial<SalesOrder> | undefined;
  if (order && typeof order === 'object' && typeof order.outlet_id === 'string') {
    const resubmits = raw['resubmits'];
    const content: Partial<DraftContent> = {
      outlet_id: order.outlet_id,
      lines: (order.lines ?? []).map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.discount_percent ? { discount: l.discount_percent } : {}) })),
      options: {
        orderDiscount: order.order_discount_percent ?? '',
        note: order.note ?? '',
        deliveryDate: order.requested_delivery_date ?? '',
        isReturn: order.kind === 'return',
        cash: order.cash === true,
      },
    };
    if (typeof resubmits === 'string') content.resubmits = resubmits;
    return content;
  }
  return raw as Partial<DraftContent>;
}

const NO_OPTIONS: DraftOptions = { orderDiscount: '', note: '', deliveryDate: '', isReturn: false, cash: false };

/** Today's local date as YYYY-MM-DD (the business date of an order taken now). */
function today(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const OUTLET_LIST_LIMIT = 50;
const PRODUCT_RESULT_LIMIT = 20;
const ORDER_LIST_LIMIT = 50;

export function renderWorkspace(
  root: HTMLElement,
  ws: WorkspaceApi,
  session: SessionView,
  hooks: {
    /** Called after a successful sign-out. */
    onSignedOut: () => void;
    /** Routes the module's status updates to this screen (the module gets one listener). */
    setStatusHandler: (handler: ((s: SyncStatus) => void) | undefined) => void;
  },
): void {
  let outlets = ws.outlets();
  let outletById = new Map(outlets.map((o) => [o.id, o]));
  const draft: Draft = { id: undefined, outlet: undefined, lines: [], options: { ...NO_OPTIONS }, taskId: undefined, resubmits: undefined };
  let quote: QuoteView | undefined;

  // ---- header: who, online/offline, pending badge, sync now -------------------------------
  const online = h('span', { class: 'online', 'data-testid': 'online-status' });
  // Unknown until the module's first status: never "All synced" before it is known.
  const badge = h('span', { class: 'badge', 'data-testid': 'pending-badge', hidden: true }, '');
  const syncText = h('span', { class: 'sync-text', 'data-testid': 'sync-text' }, 'Checking what waits to sync…');
  const syncPhase = h('span', { class: 'sync-phase muted', 'data-testid': 'sync-phase' });
  const syncNow = h('button', { type: 'button', class: 'small', 'data-testid': 'sync-now' }, 'Sync now');
  // Second line of the sync header: the first download's progress and photos still to upload.
  const referenceProgress = h('span', { 'data-testid': 'reference-progress', hidden: true });
  const uploadsProgress = h('span', { 'data-testid': 'uploads-progress', hidden: true });
  const syncSub = h('div', { class: 'row sync-sub small', hidden: true }, referenceProgress, uploadsProgress);
  const signOut = h('button', { type: 'button', class: 'small link', 'data-testid': 'sign-out' }, 'Sign out');
  const lockNow = h('button', { type: 'button', class: 'small', 'data-testid': 'lock-now', onclick: () => ws.lock() }, 'Lock');
  // The device's own storage failed under it (cleared by the browser): said plainly, at the top.
  const storageLost = h('p', { class: 'confirm', role: 'alert', 'data-testid': 'storage-lost', hidden: true });
  // Signing out with unsent drafts asks first, naming them, right under the button.
  const signOutQuestion = h('p', { 'data-testid': 'sign-out-question' });
  const signOutDiscard = h('button', { type: 'button', class: 'small danger', 'data-testid': 'sign-out-discard' }, 'Delete drafts and sign out');
  const signOutKeep = h('button', { type: 'button', class: 'small', 'data-testid': 'sign-out-keep' }, 'Keep them');
  const signOutConfirm = h('div', { class: 'confirm', role: 'alertdialog', 'data-testid': 'sign-out-confirm', hidden: true },
    signOutQuestion, h('div', { class: 'row' }, signOutKeep, signOutDiscard));
  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'row' },
      h('strong', { class: 'who', 'data-testid': 'user-name' }, session.display_name || session.username),
      online,
      lockNow,
      signOut,
    ),
    signOutConfirm,
    h('div', { class: 'row sync' }, badge, syncText, syncPhase, syncNow),
    syncSub,
    storageLost,
  );

  // One inline error region; each source (order entry, sync, ...) sets or clears only its own
  // message, so a "Sync now" click does not hide a validation error on the draft.
  const errorBoxEl = errorBox();
  const errorTexts = new Map<string, string>();
  const error = {
    el: errorBoxEl.el,
    show(text: string, source = 'order'): void {
      if (text === '') errorTexts.delete(source);
      else errorTexts.set(source, text);
      errorBoxEl.show([...errorTexts.values()].join(' '));
    },
  };
  const notice = h('p', { class: 'notice', 'data-testid': 'notice', role: 'status', hidden: true });

  // ---- outlet picker ----------------------------------------------------------------------
  const outletSearch = h('input', {
    type: 'search',
    placeholder: 'Search outlets by name or route',
    'aria-label': 'Search outlets',
    'data-testid': 'outlet-search',
  });
  const outletList = h('ul', { class: 'list', 'data-testid': 'outlet-list' });
  const picker = h('section', { class: 'card', 'data-testid': 'outlet-picker' }, h('h2', {}, 'Outlet'), outletSearch, outletList);

  // ---- order entry ------------------------------------------------------------------------
  const chosen = h('div', { class: 'chosen', 'data-testid': 'chosen-outlet' });
  const changeOutlet = h('button', { type: 'button', class: 'small link', 'data-testid': 'change-outlet' }, 'Change');
  const productSearch = h('input', {
    type: 'search',
    placeholder: 'Search products by name or SKU',
    'aria-label': 'Search products',
    'data-testid': 'product-search',
  });
  const productList = h('ul', { class: 'list', 'data-testid': 'product-list' });
  const lineList = h('ul', { class: 'lines', 'data-testid': 'order-lines' });
  const subtotal = h('span', { 'data-testid': 'totals-subtotal' }, '0');
  const tax = h('span', { 'data-testid': 'totals-tax' }, '0');
  const total = h('span', { 'data-testid': 'totals-total' }, '0');
  const taxBreakdown = h('dl', { class: 'breakdown', 'data-testid': 'tax-breakdown' });
  const findingList = h('ul', { class: 'findings', 'data-testid': 'findings' });
  const commit = h('button', { type: 'button', class: 'primary', 'data-testid': 'commit-order', disabled: true }, 'Commit order');

  // Order-level fields, folded away: most orders need none of them.
  const orderDiscount = h('input', { type: 'text', inputmode: 'decimal', placeholder: '0', 'aria-label': 'Order discount in percent', 'data-testid': 'order-discount' });
  const note = h('input', { type: 'text', maxlength: 500, 'aria-label': 'Note', 'data-testid': 'order-note' });
  const deliveryDate = h('input', { type: 'date', 'aria-label': 'Requested delivery date', 'data-testid': 'delivery-date' });
  const isReturn = h('input', { type: 'checkbox', 'data-testid': 'is-return' });
  const cash = h('input', { type: 'checkbox', 'data-testid': 'is-cash' });
  const optionsBox = h(
    'details',
    { class: 'options', 'data-testid': 'order-options' },
    h('summary', {}, 'Discount, note, delivery, return'),
    h('label', {}, 'Order discount (%)'),
    orderDiscount,
    h('label', {}, 'Note'),
    note,
    h('label', {}, 'Requested delivery'),
    deliveryDate,
    h('label', { class: 'check' }, isReturn, ' Return: goods come back'),
    h('label', { class: 'check' }, cash, ' Paid cash on delivery'),
  );
  const billedFrom = h('p', { class: 'billed-from small', 'data-testid': 'billed-from-task', hidden: true });
  const resubmitsNote = h('p', { class: 'billed-from small', 'data-testid': 'resubmits', hidden: true });
  const entry = h(
    'section',
    { class: 'card', 'data-testid': 'order-entry', hidden: true },
    h('div', { class: 'row' }, chosen, changeOutlet),
    billedFrom,
    resubmitsNote,
    productSearch,
    productList,
    h('h3', {}, 'Lines'),
    lineList,
    optionsBox,
    h(
      'dl',
      { class: 'totals' },
      h('dt', {}, 'Before tax'),
      h('dd', {}, subtotal),
      h('dt', {}, 'Tax'),
      h('dd', {}, tax),
      h('dt', { class: 'grand' }, 'Total'),
      h('dd', { class: 'grand' }, total),
    ),
    taxBreakdown,
    findingList,
    commit,
  );

  // ---- sync panel: what waits, since when, how fast orders reach the server -------------------
  const panel = (id: string, label: string): [HTMLElement, HTMLElement] => {
    const dd = h('dd', { 'data-testid': id }, '—');
    return [h('dt', {}, label), dd];
  };
  const [p1, panelPending] = panel('panel-pending', 'Waiting to sync');
  const [p2, panelOldest] = panel('panel-oldest', 'Oldest waiting');
  const [p3, panelLast] = panel('panel-last-sync', 'Last successful sync');
  const [p4, panelLatency] = panel('panel-latency', 'Order to server (median / 95 %)');
  const [p5, panelAttention] = panel('panel-attention', 'Needs attention');
  const [p6, panelTab] = panel('panel-tab', 'This tab');
  const [p7, panelError] = panel('panel-error', 'Last problem');
  const [p8, panelReference] = panel('panel-reference', 'Catalog, prices and outlets');
  const [p9, panelUploads] = panel('panel-uploads', 'Photos waiting for upload');
  const syncPanel = h(
    'details',
    { class: 'card', 'data-testid': 'sync-panel' },
    h('summary', {}, 'Sync'),
    h(
      'dl',
      { class: 'panel' },
      p1, panelPending, p2, panelOldest, p3, panelLast, p4, panelLatency, p5, panelAttention, p8, panelReference, p9, panelUploads, p6, panelTab, p7, panelError,
    ),
  );
  function renderPanel(s: SyncStatus): void {
    panelPending.textContent = s.pending === null ? 'unknown' : String(s.pending);
    panelOldest.textContent = s.oldest_pending_age_ms === undefined ? '—' : `${formatAge(s.oldest_pending_age_ms)} ago`;
    panelLast.textContent = s.last_synced_at ? formatTime(s.last_synced_at) : '—';
    panelLatency.textContent =
      s.latency_p50_ms === undefined ? '—' : `${formatAge(s.latency_p50_ms)} / ${formatAge(s.latency_p95_ms ?? 0)} (${s.latency_samples} orders)`;
    panelLatency.dataset['samples'] = String(s.latency_samples);
    panelTab.textContent = s.leader ? 'syncs for all tabs' : 'another tab syncs';
    panelError.textContent = s.last_error ?? '—';
    const downloading = s.reference_complete === false;
    const left = s.reference_remaining ?? 0;
    const progress = `Downloading catalog… ${left} change${left === 1 ? '' : 's'} left`;
    panelReference.textContent = downloading ? progress : s.pulled_at ? `up to date as of ${formatTime(s.pulled_at)}` : 'up to date';
    panelReference.dataset['complete'] = String(!downloading);
    panelReference.dataset['remaining'] = String(left);
    referenceProgress.hidden = !downloading;
    referenceProgress.textContent = downloading ? progress : '';
    referenceProgress.dataset['remaining'] = String(left);
    const uploads = s.uploads_pending ?? 0;
    panelUploads.textContent = String(uploads);
    panelUploads.dataset['count'] = String(uploads);
    uploadsProgress.hidden = uploads === 0;
    uploadsProgress.textContent = uploads === 0 ? '' : `Photos waiting for upload: ${uploads}`;
    uploadsProgress.dataset['count'] = String(uploads);
    syncSub.hidden = referenceProgress.hidden && uploadsProgress.hidden;
  }

  // ---- drafts: every edit is saved; a closed tab or a lock loses nothing -------------------
  const draftList = h('ul', { class: 'list drafts', 'data-testid': 'draft-list' });
  const draftsCard = h('section', { class: 'card', 'data-testid': 'drafts', hidden: true }, h('h2', {}, 'Drafts'), draftList);

  // ---- local orders -----------------------------------------------------------------------
  const orderList = h('ul', { class: 'list orders', 'data-testid': 'order-list' });
  const refAge = h('p', { class: 'muted small', 'data-testid': 'reference-as-of' });
  const storageStatus = h('p', { class: 'muted small', 'data-testid': 'storage-status' });
  const storageReport = h('p', { class: 'error small', 'data-testid': 'storage-report', role: 'status', hidden: true });
  // Fresh prices, outlets (with merges and resolved conflicts) and credit, online.
  const refreshRef = h('button', { type: 'button', class: 'small link', 'data-testid': 'refresh-reference' }, 'Update prices and outlets');
  refreshRef.addEventListener('click', () => {
    refreshRef.disabled = true;
    error.show('', 'reference');
    void ws
      .refreshReference()
      .then(() => {
        reloadReference(true);
        refAge.dataset['refreshed'] = String(Date.now());
      })
      .catch((err: unknown) => error.show(errorText(err), 'reference'))
      .finally(() => (refreshRef.disabled = false));
  });
  const orders = h('section', { class: 'card' }, h('h2', {}, 'Orders on this device'), storageReport, orderList, refAge, refreshRef, storageStatus);

  /** Re-reads what pulled data may have changed: outlets (credit, contacts), tasks, the chosen
   * outlet. `redrawChosen`: redraw the chosen outlet even if it looks unchanged. */
  function reloadReference(redrawChosen = false): void {
    try {
      outlets = ws.outlets();
    } catch (err) {
      error.show(errorText(err), 'reference');
      return;
    }
    outletById = new Map(outlets.map((o) => [o.id, o]));
    renderOutlets();
    renderReferenceAge();
    tasksCard?.refresh(true);
    if (draft.outlet) {
      const fresh = outletById.get(draft.outlet.id);
      // Redrawn only when it changed: the rep may be typing in "Edit contact".
      if (fresh && (redrawChosen || JSON.stringify(fresh) !== JSON.stringify(draft.outlet))) {
        draft.outlet = fresh;
        replaceChildren(
          chosen,
          h('strong', { 'data-outlet-id': fresh.id }, fresh.name),
          h('span', { class: 'meta', 'data-testid': 'chosen-meta' }, [fresh.route, fresh.address, fresh.phone, fresh.contact_name].filter(Boolean).join(' · ')),
          creditLine(fresh),
          recentFor(fresh.id),
          editContact(fresh),
        );
      }
    }
  }

  // ---- tasks: what the office asked for, completing them, billing an order from one --------
  let tasksCard: TasksCard | undefined;
  tasksCard = renderTasksCard(ws, {
    onTakeOrder: (t) => startOrderFromTask(t),
    onCompleted: (t) => {
      showNotice(`Task "${t.title}" completed on this device; it syncs with the next push.`);
      notice.dataset['taskId'] = t.id;
      void refresh();
    },
    onChanged: () => renderAttention(),
  });

  const pinCard = changePinCard(ws);
  const reviewCard = ws.role() === 'supervisor' ? renderSupervisor(ws) : null;
  root.replaceChildren(
    h('div', { class: 'workspace' }, header, h('main', {}, error.el, notice, reviewCard, draftsCard, tasksCard.el, picker, entry, orders, syncPanel, pinCard)),
  );

  // ---- behaviour --------------------------------------------------------------------------

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
    storageStatus.textContent = persisted
      ? 'Storage: kept on this device until you remove it.'
      : 'Storage: the browser may clear it if space runs low; install the app and sync often.';
  })().catch(() => {
    storageStatus.dataset['persisted'] = 'unknown';
  });

  function showNotice(text: string): void {
    notice.textContent = text;
    notice.hidden = text === '';
  }

  function updateOnline(): void {
    const on = navigator.onLine;
    online.textContent = on ? 'Online' : 'Offline';
    online.className = on ? 'online on' : 'online off';
    online.dataset['online'] = String(on);
  }
  window.addEventListener('online', updateOnline);
  window.addEventListener('offline', updateOnline);
  updateOnline();

  function setPending(n: number | null): void {
    badge.hidden = false;
    badge.textContent = n === null ? '!' : String(n);
    badge.classList.toggle('zero', n === 0);
    // "All synced" only once the module read the outbox and found it empty.
    syncText.textContent =
      n === null ? 'Cannot tell what waits to sync' : n === 0 ? 'All synced' : n === 1 ? '1 order waiting to sync' : `${n} orders waiting to sync`;
  }

  const phaseText: Record<SyncStatus['phase'], string> = {
    idle: '',
    pushing: 'Syncing…',
    pulling: 'Receiving updates',
    backing_off: 'Will retry soon',
    needs_sign_in: 'Sign in again to sync',
  };

  function renderOutlets(): void {
    const q = outletSearch.value.trim().toLowerCase();
    const hits = outlets.filter(
      (o) => q === '' || o.name.toLowerCase().includes(q) || o.route.toLowerCase().includes(q) || o.id.toLowerCase().includes(q),
    );
    const items = hits.slice(0, OUTLET_LIST_LIMIT).map((o) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'item', 'data-testid': 'outlet-item', 'data-outlet-id': o.id, onclick: () => chooseOutlet(o) },
          h('span', { class: 'name' }, o.name),
          h('span', { class: 'meta' }, `${o.route} · ${o.place_of_supply}`),
          creditLine(o),
        ),
      ),
    );
    if (items.length === 0) items.push(h('li', { class: 'muted' }, outlets.length === 0 ? 'No outlets downloaded yet.' : 'No outlet matches.'));
    if (hits.length > OUTLET_LIST_LIMIT) items.push(h('li', { class: 'muted' }, `${hits.length - OUTLET_LIST_LIMIT} more; refine the search.`));
    replaceChildren(outletList, ...items);
  }

  function chooseOutlet(
    o: OutletView,
    resume?: { id: string; lines: DraftLine[]; options?: DraftOptions; taskId?: string | undefined; resubmits?: string | undefined },
    taskId?: string,
  ): void {
    showNotice('');
    draft.id = resume?.id;
    draft.outlet = o;
    draft.lines = resume?.lines ?? [];
    draft.options = { ...(resume?.options ?? NO_OPTIONS) };
    draft.taskId = resume ? resume.taskId : taskId;
    draft.resubmits = resume?.resubmits;
    renderOrigin();
    orderDiscount.value = draft.options.orderDiscount;
    note.value = draft.options.note;
    deliveryDate.value = draft.options.deliveryDate;
    isReturn.checked = draft.options.isReturn;
    cash.checked = draft.options.cash;
    if (resume) {
      entry.dataset['draftId'] = resume.id;
      entry.dataset['savedLines'] = String(resume.lines.length);
    }
    replaceChildren(
      chosen,
      h('strong', { 'data-outlet-id': o.id }, o.name),
      h('span', { class: 'meta', 'data-testid': 'chosen-meta' }, [o.route, o.address, o.phone, o.contact_name].filter(Boolean).join(' · ')),
      creditLine(o),
      recentFor(o.id),
      editContact(o),
    );
    picker.hidden = true;
    entry.hidden = false;
    productSearch.value = '';
    renderProducts();
    renderLines();
    productSearch.focus();
    if (!resume) saveDraft();
    void renderDrafts();
  }

  // Saves are serialised and coalesced: at most one in flight, then the latest state.
  let saving: Promise<void> | undefined;
  let saveAgain = false;
  function saveDraft(): void {
    if (!draft.outlet) return;
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = (async () => {
      do {
        saveAgain = false;
        if (!draft.outlet) break;
        const content: DraftContent = {
          outlet_id: draft.outlet.id,
          lines: draft.lines.map((l) => ({ sku: l.product.sku, quantity: l.quantity, ...(l.discount ? { discount: l.discount } : {}) })),
          options: draft.options,
          ...(draft.taskId ? { task_id: draft.taskId } : {}),
          ...(draft.resubmits ? { resubmits: draft.resubmits } : {}),
        };
        try {
          const saved = await ws.saveDraft(draft.id, content);
          draft.id = saved.draft_id;
          entry.dataset['draftId'] = saved.draft_id;
          entry.dataset['savedLines'] = String(content.lines.length);
          error.show('', 'draft');
        } catch (err) {
          error.show(errorText(err), 'draft');
        }
      } while (saveAgain);
    })();
    void saving.finally(() => (saving = undefined));
  }

  function productBySku(sku: string, outletId: string): ProductHit | undefined {
    try {
      return ws.searchProducts(sku, 5, outletId).find((p) => p.sku === sku);
    } catch {
      return undefined;
    }
  }

  /** Shows what the order in the form comes from: a task, or a held order it replaces. */
  function renderOrigin(): void {
    const task = draft.taskId ? tasksCard?.task(draft.taskId) : undefined;
    billedFrom.hidden = !draft.taskId;
    billedFrom.textContent = draft.taskId ? `Billed from task: ${task?.title ?? draft.taskId}` : '';
    if (draft.taskId) billedFrom.dataset['taskId'] = draft.taskId;
    else delete billedFrom.dataset['taskId'];
    resubmitsNote.hidden = !draft.resubmits;
    resubmitsNote.textContent = draft.resubmits ? `Replaces the held order ${draft.resubmits}; it gets a new number.` : '';
  }

  /** "Take order" on a task: the order form at the task's outlet, billed from the task. */
  function startOrderFromTask(t: TaskItemView): void {
    const outlet = outletById.get(t.outlet_id);
    if (!outlet) {
      error.show(`The outlet of task "${t.title}" (${t.outlet_id}) is not on this device.`, 'task');
      return;
    }
    error.show('', 'task');
    // A draft being typed stays in the drafts list (an empty one is dropped).
    if (draft.outlet) clearDraft();
    chooseOutlet(outlet, undefined, t.id);
    entry.scrollIntoView({ block: 'start' });
  }

  function resumeDraft(d: DraftView): void {
    const content = draftContent(d.content);
    const outlet = content.outlet_id ? outletById.get(content.outlet_id) : undefined;
    if (!outlet) {
      error.show('This draft names an outlet that is no longer on your routes.', 'draft');
      return;
    }
    const lines: DraftLine[] = [];
    for (const l of content.lines ?? []) {
      const product = productBySku(l.sku, outlet.id);
      if (product) lines.push({ product, quantity: l.quantity, discount: l.discount ?? '' });
    }
    chooseOutlet(outlet, {
      id: d.draft_id,
      lines,
      options: { ...NO_OPTIONS, ...(content.options ?? {}) },
      taskId: content.task_id,
      resubmits: content.resubmits,
    });
  }

  async function renderDrafts(): Promise<DraftView[]> {
    let list: DraftView[];
    try {
      list = await ws.drafts();
    } catch (err) {
      error.show(errorText(err), 'draft');
      return [];
    }
    const others = list.filter((d) => d.draft_id !== draft.id);
    const items = others.map((d) => {
      const content = draftContent(d.content);
      const name = (content.outlet_id && outletById.get(content.outlet_id)?.name) ?? content.outlet_id ?? 'No outlet';
      const n = content.lines?.length ?? 0;
      return h(
        'li',
        { class: 'draft', 'data-testid': 'draft-item', 'data-draft-id': d.draft_id },
        h('div', { class: 'row' }, h('span', { class: 'name' }, name), h('span', { class: 'meta' }, `${n} line${n === 1 ? '' : 's'} · ${formatTime(d.updated_at)}${content.resubmits ? ` · replaces ${content.resubmits}` : ''}${content.task_id ? ' · from a task' : ''}`)),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'small', 'data-testid': 'resume-draft', onclick: () => resumeDraft(d) }, 'Resume'),
          h(
            'button',
            {
              type: 'button',
              class: 'small link',
              'data-testid': 'discard-draft',
              onclick: () => {
                void ws.deleteDraft(d.draft_id).then(() => renderDrafts());
              },
            },
            'Discard',
          ),
        ),
      );
    });
    draftsCard.hidden = items.length === 0;
    replaceChildren(draftList, ...items);
    return list;
  }

  function clearDraft(): void {
    // An empty draft is not worth keeping; one with lines stays in the drafts list.
    if (draft.id && draft.lines.length === 0) void ws.deleteDraft(draft.id).then(() => renderDrafts());
    else void renderDrafts();
    draft.id = undefined;
    delete entry.dataset['draftId'];
    draft.outlet = undefined;
    draft.lines = [];
    draft.options = { ...NO_OPTIONS };
    draft.taskId = undefined;
    draft.resubmits = undefined;
    renderOrigin();
    entry.hidden = true;
    picker.hidden = false;
    outletSearch.value = '';
    renderOutlets();
    renderLines();
  }

  function renderProducts(): void {
    const q = productSearch.value.trim();
    if (q === '') {
      replaceChildren(productList);
      return;
    }
    let hits: ProductHit[];
    try {
      hits = ws.searchProducts(q, PRODUCT_RESULT_LIMIT, draft.outlet?.id);
    } catch (err) {
      error.show(errorText(err), 'search');
      return;
    }
    const items = hits.map((p) =>
      h(
        'li',
        { 'data-testid': 'product-item', 'data-sku': p.sku, 'data-stock': p.stock ?? '', class: 'product' },
        h('span', { class: 'name' }, p.name),
        h('span', { class: 'meta' }, productMeta(p)),
        h('button', { type: 'button', class: 'small', 'data-testid': 'add-product', onclick: () => addProduct(p) }, 'Add'),
      ),
    );
    if (items.length === 0) items.push(h('li', { class: 'muted' }, 'No product matches.'));
    replaceChildren(productList, ...items);
  }

  /** Steps a whole-number quantity by ±1; other quantities are left to the keyboard, so no
   * decimal arithmetic happens in TypeScript. */
  function step(quantity: string, delta: 1 | -1): string | undefined {
    if (!/^\d{1,9}$/.test(quantity.trim())) return undefined;
    const next = Number.parseInt(quantity, 10) + delta;
    return next >= 1 ? String(next) : undefined;
  }

  function addProduct(p: ProductHit): void {
    const existing = draft.lines.find((l) => l.product.sku === p.sku);
    if (existing) {
      const next = step(existing.quantity, 1);
      if (next !== undefined) existing.quantity = next;
    } else {
      // A case product starts at one case; anything else at 1.
      draft.lines.push({ product: p, quantity: p.pack_size && /^\d+$/.test(p.pack_size) ? p.pack_size : '1', discount: '' });
    }
    renderLines();
    saveDraft();
  }

  function renderLines(): void {
    const items = draft.lines.map((line, index) => {
      const qty = h('input', {
        type: 'text',
        inputmode: 'decimal',
        class: 'qty',
        value: line.quantity,
        'aria-label': `Quantity of ${line.product.name}`,
        'data-testid': 'line-qty',
      });
      qty.addEventListener('input', () => {
        line.quantity = qty.value.trim();
        recompute();
        saveDraft();
      });
      const dec = h('button', { type: 'button', class: 'step', 'aria-label': 'One less', 'data-testid': 'qty-dec' }, '−');
      const inc = h('button', { type: 'button', class: 'step', 'aria-label': 'One more', 'data-testid': 'qty-inc' }, '+');
      dec.addEventListener('click', () => {
        const next = step(line.quantity, -1);
        if (next !== undefined) {
          line.quantity = next;
          renderLines();
          saveDraft();
        }
      });
      inc.addEventListener('click', () => {
        const next = step(line.quantity, 1);
        if (next !== undefined) {
          line.quantity = next;
          renderLines();
          saveDraft();
        }
      });
      const remove = h('button', { type: 'button', class: 'small link', 'data-testid': 'remove-line' }, 'Remove');
      remove.addEventListener('click', () => {
        draft.lines.splice(index, 1);
        renderLines();
        saveDraft();
      });
      const discount = h('input', {
        type: 'text',
        inputmode: 'decimal',
        class: 'discount',
        value: line.discount,
        placeholder: '0',
        'aria-label': `Discount in percent on ${line.product.name}`,
        'data-testid': 'line-discount',
      });
      discount.addEventListener('input', () => {
        line.discount = discount.value.trim();
        recompute();
        saveDraft();
      });
      return h(
        'li',
        { class: 'line', 'data-testid': 'order-line', 'data-sku': line.product.sku },
        h('div', { class: 'row' }, h('span', { class: 'name' }, line.product.name), remove),
        h(
          'div',
          { class: 'row' },
          h('span', { class: 'meta', 'data-testid': 'line-price' }, `${line.product.unit_price ?? '—'} / ${line.product.unit}`),
          h('span', { class: 'stepper' }, dec, qty, inc),
          h('span', { class: 'net', 'data-testid': 'line-net' }, ''),
        ),
        h('div', { class: 'row small' }, h('label', { class: 'inline' }, 'Discount %', discount), h('span', { class: 'meta', 'data-testid': 'line-taxes' }, '')),
      );
    });
    if (items.length === 0) items.push(h('li', { class: 'muted' }, 'Search a product and press Add.'));
    replaceChildren(lineList, ...items);
    recompute();
  }

  function currentOrder(): SalesOrder | undefined {
    if (!draft.outlet) return undefined;
    const o = draft.options;
    const order: SalesOrder = {
      outlet_id: draft.outlet.id,
      business_date: today(),
      lines: draft.lines.map((l) => ({ sku: l.product.sku, quantity: l.quantity, ...(l.discount ? { discount_percent: l.discount } : {}) })),
      cash: o.cash,
      kind: o.isReturn ? 'return' : 'sale',
    };
    if (o.orderDiscount) order.order_discount_percent = o.orderDiscount;
    if (o.note.trim()) order.note = o.note.trim();
    if (o.deliveryDate) order.requested_delivery_date = o.deliveryDate;
    return order;
  }

  function renderFindings(findings: FindingView[]): void {
    const items = findings.map((f) =>
      h(
        'li',
        { class: `finding ${f.severity}`, 'data-testid': 'finding', 'data-rule': f.rule, 'data-severity': f.severity, 'data-field': f.field },
        h('strong', {}, f.severity === 'block' ? 'Cannot commit: ' : 'Warning: '),
        f.message,
        f.severity === 'warn_and_flag' ? h('span', { class: 'meta' }, ' (will be flagged for review)') : null,
      ),
    );
    replaceChildren(findingList, ...items);
  }

  /** Everything shown comes from the module's quote; a validation error is shown inline and
   * disables commit. */
  function recompute(): void {
    const order = currentOrder();
    const inputs = Array.from(lineList.querySelectorAll<HTMLInputElement>('[data-testid="line-qty"]'));
    const nets = Array.from(lineList.querySelectorAll<HTMLElement>('[data-testid="line-net"]'));
    const lineTaxes = Array.from(lineList.querySelectorAll<HTMLElement>('[data-testid="line-taxes"]'));
    for (const input of inputs) input.removeAttribute('aria-invalid');
    quote = undefined;
    if (!order || order.lines.length === 0) {
      subtotal.textContent = tax.textContent = total.textContent = '0';
      replaceChildren(taxBreakdown);
      renderFindings([]);
      commit.disabled = true;
      error.show('');
      return;
    }
    const markField = (field: string | undefined): void => {
      const m = field ? /lines\[(\d+)\]/.exec(field) : null;
      const bad = m?.[1] !== undefined ? inputs[Number(m[1])] : undefined;
      bad?.setAttribute('aria-invalid', 'true');
    };
    try {
      quote = ws.quote(order);
    } catch (err) {
      const e = describeError(err);
      error.show(errorText(err));
      markField(e.field);
      subtotal.textContent = tax.textContent = total.textContent = '—';
      for (const n of nets) n.textContent = '';
      replaceChildren(taxBreakdown);
      renderFindings([]);
      commit.disabled = true;
      return;
    }
    error.show('');
    subtotal.textContent = quote.untaxed ?? '—';
    tax.textContent = quote.tax ?? '—';
    total.textContent = quote.total ?? '—';
    nets.forEach((n, i) => (n.textContent = quote?.lines[i]?.net ?? ''));
    lineTaxes.forEach((n, i) => (n.textContent = (quote?.lines[i]?.taxes ?? []).map((t) => `${t.code} ${t.amount}`).join(' · ')));
    replaceChildren(
      taxBreakdown,
      ...quote.taxes.flatMap((t) => [
        h('dt', {}, `${t.name} (${t.code})`),
        h('dd', { 'data-testid': 'tax-line', 'data-code': t.code }, t.amount),
      ]),
    );
    renderFindings(quote.findings);
    for (const f of quote.findings) if (f.severity === 'block') markField(f.field);
    commit.disabled = quote.blocked || quote.total === undefined;
  }

  // Order-level fields: saved with the draft, priced by the module.
  const onOptions = (): void => {
    draft.options = {
      orderDiscount: orderDiscount.value.trim(),
      note: note.value,
      deliveryDate: deliveryDate.value,
      isReturn: isReturn.checked,
      cash: cash.checked,
    };
    recompute();
    saveDraft();
  };
  for (const el of [orderDiscount, note, deliveryDate]) el.addEventListener('input', onOptions);
  for (const el of [isReturn, cash]) el.addEventListener('change', onOptions);

  let committing = false;
  commit.addEventListener('click', () => {
    const order = currentOrder();
    if (!order || !quote || committing) return;
    committing = true;
    commit.disabled = true;
    showNotice('');
    void (async () => {
      try {
        // Let a save in flight finish first, so it cannot re-create the draft after the commit.
        if (saving) await saving;
        const taskId = draft.taskId;
        const task = taskId ? tasksCard?.task(taskId) : undefined;
        const resubmits = draft.resubmits;
        const saved = await ws.commitOrder(order, draft.id, taskId);
        draft.id = undefined;
        clearDraft();
        showNotice(
          `Order ${saved.document_number} saved on this device${saved.flagged ? '; it will be flagged for review' : ''}` +
            `${task ? `; billed from task "${task.title}"` : ''}${resubmits ? `; it replaces ${resubmits}` : ''}.`,
        );
        if (taskId) notice.dataset['taskId'] = taskId;
        else delete notice.dataset['taskId'];
        notice.dataset['orderId'] = saved.order_id;
        notice.dataset['documentNumber'] = saved.document_number;
        notice.dataset['total'] = saved.total;
        notice.dataset['flagged'] = String(saved.flagged);
        // Credit and stock moved: show the outlets as they are now.
        outlets = ws.outlets();
        outletById = new Map(outlets.map((o) => [o.id, o]));
        renderOutlets();
      } catch (err) {
        error.show(errorText(err));
        commit.disabled = false;
      } finally {
        committing = false;
        void refresh();
      }
    })();
  });

  /** "Edit contact": phone, address and contact person, merged on the server field by field. */
  function editContact(o: OutletView): HTMLElement {
    const phone = h('input', { type: 'tel', value: o.phone, 'aria-label': 'Phone', 'data-testid': 'edit-phone' });
    const address = h('input', { type: 'text', value: o.address, 'aria-label': 'Address', 'data-testid': 'edit-address' });
    const contact = h('input', { type: 'text', value: o.contact_name, 'aria-label': 'Contact person', 'data-testid': 'edit-contact' });
    const result = h('span', { class: 'small', role: 'status', 'data-testid': 'edit-result' });
    const save = h('button', { type: 'submit', class: 'small', 'data-testid': 'save-contact' }, 'Save contact');
    const form = h('form', { novalidate: true }, h('label', {}, 'Phone'), phone, h('label', {}, 'Address'), address, h('label', {}, 'Contact'), contact, save, result);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save.disabled = true;
      void ws
        .updateOutlet(o.id, { phone: phone.value, address: address.value, contact_name: contact.value })
        .then((n) => {
          result.textContent = n === 0 ? 'Nothing changed.' : 'Saved on this device; it syncs with the next push.';
          result.dataset['changed'] = String(n);
          outlets = ws.outlets();
          outletById = new Map(outlets.map((x) => [x.id, x]));
          renderOutlets();
        })
        .catch((err: unknown) => (result.textContent = errorText(err)))
        .finally(() => (save.disabled = false));
    });
    return h('details', { class: 'edit-contact', 'data-testid': 'edit-outlet' }, h('summary', {}, 'Edit contact'), form);
  }

  let knownOrders: OrderSummary[] = [];
  /** This device's last orders for the outlet (what the rep sold there lately). */
  function recentFor(outletId: string): HTMLElement | null {
    const mine = knownOrders.filter((o) => o.outlet_id === outletId).slice(0, 3);
    if (mine.length === 0) return null;
    return h(
      'span',
      { class: 'meta', 'data-testid': 'outlet-recent' },
      'Recent: ',
      mine.map((o) => `${o.document_number} ${o.total} (${formatTime(o.committed_at)})`).join(' · '),
    );
  }

  const STATUS_LABEL: Record<OrderSummary['status'], string> = {
    pending: 'Waiting to sync',
    synced: 'Synced',
    flagged: 'Flagged for review',
    rejected: 'Rejected',
    held: 'Held',
    waiting: 'Waiting for the server',
    discarded: 'Discarded',
  };

  /** "Needs attention": rejected and held orders, and task completions the server refused. */
  function renderAttention(): void {
    const rejected = knownOrders.filter((o) => o.status === 'rejected').length;
    const held = knownOrders.filter((o) => o.status === 'held').length;
    const tasks = tasksCard?.rejectedCount() ?? 0;
    const parts: string[] = [];
    if (rejected) parts.push(`${rejected} rejected order${rejected === 1 ? '' : 's'}`);
    if (held) parts.push(`${held} held order${held === 1 ? '' : 's'}`);
    if (tasks) parts.push(`${tasks} refused task completion${tasks === 1 ? '' : 's'}`);
    const total = rejected + held + tasks;
    panelAttention.textContent = total === 0 ? 'nothing' : parts.join(', ');
    panelAttention.dataset['count'] = String(total);
    panelAttention.dataset['held'] = String(held);
    panelAttention.dataset['rejectedTasks'] = String(tasks);
  }

  /** The inline "Discard" forms of held orders, kept across re-renders (a reason being typed
   * survives a status update). */
  const discardForms = new Map<string, HTMLElement>();

  function discardForm(o: OrderSummary): HTMLElement {
    const existing = discardForms.get(o.order_id);
    if (existing) return existing;
    const inputId = `discard-reason-${o.order_id}`;
    const reason = h('input', { id: inputId, type: 'text', maxlength: 500, placeholder: 'e.g. the outlet cancelled', 'data-testid': 'held-discard-reason' });
    const confirm = h('button', { type: 'submit', class: 'small', 'data-testid': 'held-discard-confirm' }, 'Discard order');
    const cancel = h('button', { type: 'button', class: 'small link', 'data-testid': 'held-discard-cancel' }, 'Keep it');
    const result = h('span', { class: 'small', role: 'status', 'data-testid': 'held-result' });
    const form = h(
      'form',
      { class: 'held-discard', 'data-testid': 'held-discard-form', novalidate: true },
      h('label', { for: inputId }, `Why discard ${o.document_number}? (optional)`),
      reason,
      h('div', { class: 'row' }, confirm, cancel, result),
    );
    cancel.addEventListener('click', () => {
      discardForms.delete(o.order_id);
      renderOrders(knownOrders, true);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      confirm.disabled = true;
      void ws
        .discardHeld(o.order_id, reason.value.trim() === '' ? undefined : reason.value.trim())
        .then(() => {
          discardForms.delete(o.order_id);
          showNotice(`Order ${o.document_number} discarded.`);
          notice.dataset['orderId'] = o.order_id;
          return refresh();
        })
        .catch((err: unknown) => {
          result.textContent = errorText(err);
          confirm.disabled = false;
        });
    });
    discardForms.set(o.order_id, form);
    setTimeout(() => reason.focus(), 0);
    return form;
  }

  /** "Edit and resubmit": the module makes a draft of the held order (and discards the held
   * one); the draft opens in the order form. */
  function editHeld(o: OrderSummary, button: HTMLButtonElement): void {
    button.disabled = true;
    error.show('', 'held');
    void (async () => {
      try {
        const d = await ws.editHeld(o.order_id);
        discardForms.delete(o.order_id);
        // A draft being typed stays in the drafts list.
        if (draft.outlet) clearDraft();
        resumeDraft(d);
        showNotice(`Order ${o.document_number} is open for editing; commit it to send it again with a new number.`);
        entry.scrollIntoView({ block: 'start' });
      } catch (err) {
        error.show(errorText(err), 'held');
        button.disabled = false;
      } finally {
        void refresh();
      }
    })();
  }

  function heldActions(o: OrderSummary): HTMLElement {
    if (discardForms.has(o.order_id)) return discardForm(o);
    const edit = h('button', { type: 'button', class: 'small', 'data-testid': 'held-edit' }, 'Edit and resubmit');
    edit.addEventListener('click', () => editHeld(o, edit));
    const discard = h('button', { type: 'button', class: 'small link', 'data-testid': 'held-discard' }, 'Discard');
    discard.addEventListener('click', () => {
      discardForm(o);
      renderOrders(knownOrders, true);
    });
    return h('div', { class: 'row' }, edit, discard);
  }

  let ordersSignature = '';
  function renderOrders(list: OrderSummary[], force = false): void {
    knownOrders = [...list].sort((a, b) => b.seq - a.seq);
    renderAttention();
    // Re-rendered only when something changed: a reason typed in a discard form stays put.
    const signature = JSON.stringify(knownOrders);
    if (!force && signature === ordersSignature) return;
    ordersSignature = signature;
    for (const id of [...discardForms.keys()]) if (!knownOrders.some((o) => o.order_id === id && o.status === 'held')) discardForms.delete(id);
    const sorted = knownOrders.slice(0, ORDER_LIST_LIMIT);
    const items = sorted.map((o) => {
      const task = o.task_id ? tasksCard?.task(o.task_id) : undefined;
      let reason: HTMLElement | null = null;
      if (o.status === 'held') {
        reason = h('p', { class: 'reason held', 'data-testid': 'order-reason' }, h('strong', {}, 'Held: '), o.reason ?? 'something it depends on was refused');
      } else if (o.status === 'waiting') {
        reason = h('p', { class: 'reason waiting', 'data-testid': 'order-reason' }, `Waiting for the server${o.reason ? `: ${o.reason}` : ''}`);
      } else if ((o.status === 'rejected' || o.status === 'discarded' || o.status === 'flagged') && o.reason) {
        reason = h('p', { class: `reason ${o.status}`, 'data-testid': 'order-reason' }, o.reason);
      }
      return h(
        'li',
        {
          class: `order ${o.status}`,
          'data-testid': 'order-item',
          'data-status': o.status,
          'data-order-id': o.order_id,
          'data-seq': String(o.seq),
          'data-document-number': o.document_number,
          'data-task-id': o.task_id,
        },
        h(
          'div',
          { class: 'row' },
          h('span', { class: 'name' }, `${o.document_number} · ${outletById.get(o.outlet_id)?.name ?? o.outlet_id}${o.kind === 'return' ? ' (return)' : ''}`),
          h('span', { 'data-testid': 'order-total' }, o.total),
        ),
        h(
          'div',
          { class: 'row meta' },
          h('span', {}, formatTime(o.committed_at)),
          h('span', { class: `status ${o.status}`, 'data-testid': 'order-status' }, STATUS_LABEL[o.status] ?? o.status),
        ),
        o.task_id ? h('p', { class: 'meta small', 'data-testid': 'order-task' }, `Billed from task: ${task?.title ?? o.task_id}`) : null,
        reason,
        o.status === 'held' ? heldActions(o) : null,
      );
    });
    if (items.length === 0) items.push(h('li', { class: 'muted' }, 'No orders yet.'));
    replaceChildren(orderList, ...items);
  }

  // Refreshes are serialised and coalesced: status updates can arrive in bursts.
  let refreshing: Promise<void> | undefined;
  let again = false;
  async function refresh(): Promise<void> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          const [n, list, report] = await Promise.all([ws.pendingCount(), ws.orders(), ws.storageReport()]);
          setPending(n);
          // Completions change status with push answers too, not only with pulls.
          tasksCard?.refresh();
          renderOrders(list);
          const unreadable = report.unreadable_orders + report.unreadable_reference;
          storageReport.hidden = unreadable === 0;
          storageReport.dataset['unreadable'] = String(unreadable);
          storageReport.textContent =
            unreadable === 0
              ? ''
              : `${unreadable} record${unreadable === 1 ? '' : 's'} on this device could not be read and ${unreadable === 1 ? 'was' : 'were'} skipped; everything else is fine. Tell your supervisor.`;
          error.show('', 'refresh');
        } catch (err) {
          error.show(errorText(err), 'refresh');
        }
      } while (again);
    })();
    try {
      await refreshing;
    } finally {
      refreshing = undefined;
    }
  }

  function renderReferenceAge(): void {
    const asOf = ws.referenceAsOf();
    refAge.textContent = asOf ? `Prices and outlets as of ${formatTime(asOf)}` : 'No reference data yet.';
  }

  outletSearch.addEventListener('input', renderOutlets);
  productSearch.addEventListener('input', () => {
    error.show('', 'search');
    renderProducts();
  });
  changeOutlet.addEventListener('click', clearDraft);

  syncNow.addEventListener('click', () => {
    syncNow.disabled = true;
    error.show('', 'sync');
    void (async () => {
      try {
        await ws.syncNow();
      } catch (err) {
        error.show(errorText(err), 'sync');
      } finally {
        syncNow.disabled = false;
        void refresh();
      }
    })();
  });

  const trySignOut = (discardDrafts: boolean): void => {
    void (async () => {
      try {
        await ws.signOut({ discard_drafts: discardDrafts });
        signOutConfirm.hidden = true;
        hooks.setStatusHandler(undefined);
        hooks.onSignedOut();
      } catch (err) {
        const drafts = draftsOf(err);
        if (describeError(err).code === 'drafts_would_be_lost' && drafts.length > 0) {
          const named = drafts.map((d) => (d.lines > 0 ? `${d.outlet} (${d.lines} ${d.lines === 1 ? 'line' : 'lines'})` : d.outlet));
          signOutQuestion.textContent =
            `Signing out deletes ${drafts.length === 1 ? 'the unsent draft' : `${drafts.length} unsent drafts`} on this device: ` +
            `${named.join(', ')}. ${drafts.length === 1 ? 'It was' : 'They were'} never committed, so nothing of ${drafts.length === 1 ? 'it' : 'them'} reached the server.`;
          signOutKeep.textContent = drafts.length === 1 ? 'Keep it' : 'Keep them';
          signOutDiscard.textContent = drafts.length === 1 ? 'Delete the draft and sign out' : 'Delete the drafts and sign out';
          signOutConfirm.hidden = false;
          signOutKeep.focus();
          return;
        }
        signOutConfirm.hidden = true;
        error.show(errorText(err), 'session');
      }
    })();
  };
  signOut.addEventListener('click', () => trySignOut(false));
  signOutDiscard.addEventListener('click', () => trySignOut(true));
  signOutKeep.addEventListener('click', () => {
    signOutConfirm.hidden = true;
  });

  let generation: number | undefined;
  hooks.setStatusHandler((s) => {
    setPending(s.pending);
    storageLost.hidden = !s.storage_problem;
    storageLost.textContent = s.storage_problem ?? '';
    syncPhase.textContent = phaseText[s.phase] ?? '';
    syncPhase.title = s.last_error ?? '';
    syncPhase.dataset['phase'] = s.phase;
    renderPanel(s);
    // One tab of the workspace syncs; the others show its status.
    syncPhase.dataset['leader'] = String(s.leader);
    if (!s.leader && s.phase === 'idle') syncPhase.textContent = 'Synced by another tab';
    if (s.phase === 'idle' && !s.last_error) error.show('', 'sync');
    // Pulled data changed what this screen shows: re-read the lists.
    if (s.reference_generation !== undefined && s.reference_generation !== generation) {
      generation = s.reference_generation;
      refAge.dataset['generation'] = String(generation);
      reloadReference();
      renderOrders(knownOrders, true);
    }
    void refresh();
  });

  renderOutlets();
  renderLines();
  renderReferenceAge();
  void refresh();
  // Reopened after the tab was closed (or the phone restarted) mid-order: carry on with the
  // most recently edited draft; the others wait in the drafts list.
  void renderDrafts().then((list) => {
    const latest = list[0];
    if (latest && !draft.outlet) resumeDraft(latest);
  });
}

/** "Change PIN": the old PIN, the new one twice. Only the wrapped key changes. */
function changePinCard(ws: WorkspaceApi): HTMLElement {
  const field = (id: string, label: string): [HTMLElement, HTMLInputElement] => {
    const input = h('input', { id, type: 'password', inputmode: 'numeric', autocomplete: id === 'old-pin' ? 'current-password' : 'new-password', 'data-testid': id });
    return [h('label', { for: id }, label), input];
  };
  const [l1, oldPin] = field('old-pin', 'Current PIN');
  const [l2, newPin] = field('new-pin', 'New PIN');
  const [l3, newPin2] = field('new-pin-confirm', 'Repeat the new PIN');
  const msg = h('p', { class: 'small', 'data-testid': 'change-pin-result', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'small', 'data-testid': 'change-pin' }, 'Change PIN');
  const form = h('form', { novalidate: true }, l1, oldPin, l2, newPin, l3, newPin2, submit, msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (newPin.value !== newPin2.value) {
      msg.textContent = 'The new PINs differ.';
      return;
    }
    submit.disabled = true;
    void (async () => {
      try {
        await ws.changePin(oldPin.value, newPin.value);
        msg.textContent = 'PIN changed.';
        msg.dataset['ok'] = 'true';
      } catch (err) {
        msg.textContent = errorText(err);
        msg.dataset['ok'] = 'false';
      } finally {
        oldPin.value = newPin.value = newPin2.value = '';
        submit.disabled = false;
      }
    })();
  });
  return h('details', { class: 'card', 'data-testid': 'security' }, h('summary', {}, 'Security'), form);
}

/** The outlet's credit, as the module computed it (no arithmetic here). */
function creditLine(o: OutletView): HTMLElement | null {
  if (!o.credit) return null;
  const c = o.credit;
  return h(
    'span',
    { class: `credit ${c.over_limit ? 'over' : ''}`, 'data-testid': 'outlet-credit', 'data-over': String(c.over_limit), 'data-available': c.available },
    c.over_limit ? `Over credit limit (${c.available} of ${c.limit})` : `Credit available ${c.available} of ${c.limit}`,
    ` · as of ${formatTime(c.as_of)}`,
  );
}

function productMeta(p: ProductHit): string {
  const parts = [p.sku, `${p.unit_price ?? 'no price'} / ${p.unit}`];
  if (p.pack_size) parts.push(`pack of ${p.pack_size}`);
  if (p.stock !== undefined) parts.push(`van: ${p.stock}`);
  return parts.join(' · ');
}

function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}
