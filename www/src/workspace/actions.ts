// The workspace's actions on the order: the only writers of the order's state. Each one asks
// the module (which decides), then puts what it answered into the store; views re-render.

import type { DraftView, OutletView, ProductHit, SalesOrder, TaskItemView, Workspace } from '../api.ts';
import type { DraftLine, DraftOptions, Store } from '../store.ts';
import { NO_OPTIONS } from '../store.ts';
import { contentOf, draftContent, emptyDraft, orderOf, step } from './draft.ts';

export interface OrderActions {
  reloadOutlets(): void;
  chooseOutlet(o: OutletView, resume?: Resume, taskId?: string): void;
  /** Leaves the order form ("Change outlet"); a draft with lines stays in the drafts list. */
  closeOrder(): void;
  addProduct(p: ProductHit): void;
  setQuantity(index: number, text: string): void;
  stepQuantity(index: number, delta: 1 | -1): void;
  setDiscount(index: number, text: string): void;
  removeLine(index: number): void;
  setOptions(options: Partial<DraftOptions>): void;
  resumeDraft(d: DraftView): void;
  deleteDraft(id: string): void;
  loadDrafts(): Promise<DraftView[]>;
  startOrderFromTask(t: TaskItemView, title: string | undefined): void;
  /** Starts the invoice of a delivery stop: its outlet, prefilled with what its task asks for
   * (the module's `stopOrder`); committed, it is linked to the day. */
  startOrderFromStop(taskId: string): void;
  commit(taskTitle: (id: string) => string | undefined): void;
  notify(text: string, data?: Record<string, string>): void;
  showError(source: string, err: unknown): void;
}

interface Resume {
  id: string;
  lines: DraftLine[];
  options?: DraftOptions;
  taskId?: string | undefined;
  resubmits?: string | undefined;
}

export function orderActions(ws: Workspace, store: Store, afterCommit: () => void): OrderActions {
  const s = store.state;

  const showError = (source: string, err: unknown): void => {
    const errors = new Map(s.errors);
    if (err === undefined) errors.delete(source);
    else errors.set(source, err);
    store.set({ errors });
  };
  const notify = (text: string, data: Record<string, string> = {}): void => store.set({ notice: text === '' ? undefined : { text, data } });

  /** Quotes the draft: every figure on screen comes from the module. */
  const requote = (): void => {
    const r = orderOf(s.draft);
    if (!r || ('order' in r && r.order.lines.length === 0)) {
      store.set({ quote: undefined, problems: [], quoteError: undefined });
      return;
    }
    if ('problems' in r) {
      store.set({ quote: undefined, problems: r.problems, quoteError: undefined });
      return;
    }
    try {
      store.set({ quote: ws.quote(r.order), problems: [], quoteError: undefined });
    } catch (err) {
      store.set({ quote: undefined, problems: [], quoteError: err });
    }
  };

  // Saves are serialised and coalesced: at most one in flight, then the latest state.
  let saving: Promise<void> | undefined;
  let saveAgain = false;
  const saveDraft = (): void => {
    if (!s.draft.outlet) return;
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = (async () => {
      do {
        saveAgain = false;
        const content = contentOf(s.draft);
        if (!content) break;
        try {
          const saved = await ws.saveDraft(s.draft.id, content);
          s.draft.id = saved.draft_id;
          s.draft.savedLines = content.lines.length;
          store.touch('draft');
          showError('draft', undefined);
        } catch (err) {
          showError('draft', err);
        }
      } while (saveAgain);
    })();
    void saving.finally(() => (saving = undefined));
  };

  /** The draft changed: quote it, save it, re-render. */
  const edited = (): void => {
    store.touch('draft');
    requote();
    saveDraft();
  };

  const loadDrafts = async (): Promise<DraftView[]> => {
    try {
      const drafts = await ws.drafts();
      store.set({ drafts });
      return drafts;
    } catch (err) {
      showError('draft', err);
      return [];
    }
  };

  const reloadOutlets = (): void => {
    try {
      const outlets = ws.outlets();
      const outletById = new Map(outlets.map((o) => [o.id, o]));
      const chosen = s.draft.outlet ? outletById.get(s.draft.outlet.id) : undefined;
      if (chosen) s.draft.outlet = chosen;
      store.set({ outlets, outletById, currency: ws.currency(), referenceGeneration: s.referenceGeneration + 1 });
      showError('reference', undefined);
    } catch (err) {
      showError('reference', err);
    }
  };

  const chooseOutlet = (o: OutletView, resume?: Resume, taskId?: string): void => {
    notify('');
    s.draft = {
      id: resume?.id,
      outlet: o,
      lines: resume?.lines ?? [],
      options: { ...(resume?.options ?? NO_OPTIONS) },
      taskId: resume ? resume.taskId : taskId,
      resubmits: resume?.resubmits,
      ...(resume ? { savedLines: resume.lines.length } : {}),
    };
    store.touch('draft');
    requote();
    if (!resume) saveDraft();
    void loadDrafts();
  };

  const closeOrder = (): void => {
    const d = s.draft;
    // An empty draft is not worth keeping; one with lines stays in the drafts list.
    if (d.id && d.lines.length === 0) void ws.deleteDraft(d.id).then(loadDrafts);
    else void loadDrafts();
    s.draft = emptyDraft();
    store.touch('draft');
    requote();
  };

  const productBySku = (sku: string, outletId: string): ProductHit | undefined => {
    try {
      return ws.searchProducts(sku, 5, outletId).find((p) => p.sku === sku);
    } catch {
      return undefined;
    }
  };

  const resumeDraft = (d: DraftView): void => {
    const content = draftContent(d.content);
    const outlet = content.outlet_id ? s.outletById.get(content.outlet_id) : undefined;
    if (!outlet) {
      showError('draft', new Error('This draft names an outlet that is no longer on your routes.'));
      return;
    }
    const lines: DraftLine[] = [];
    for (const l of content.lines ?? []) {
      const product = productBySku(l.sku, outlet.id);
      if (product) lines.push({ product, quantity: l.quantity, discount: l.discount ?? '' });
    }
    chooseOutlet(outlet, { id: d.draft_id, lines, options: { ...NO_OPTIONS, ...(content.options ?? {}) }, taskId: content.task_id, resubmits: content.resubmits });
  };

  const line = (index: number): DraftLine | undefined => s.draft.lines[index];

  let committing = false;
  const commit = (taskTitle: (id: string) => string | undefined): void => {
    const r = orderOf(s.draft);
    if (!r || !('order' in r) || !s.quote || committing) return;
    committing = true;
    store.set({ committing: true });
    notify('');
    void (async () => {
      try {
        // Let a save in flight finish first, so it cannot re-create the draft after the commit.
        if (saving) await saving;
        const { taskId, resubmits } = s.draft;
        const title = taskId ? taskTitle(taskId) : undefined;
        const saved = await ws.commitOrder(r.order, s.draft.id, taskId);
        s.draft.id = undefined;
        closeOrder();
        showError('order', undefined);
        notify(
          `Order ${saved.document_number} saved on this device${saved.flagged ? '; it will be flagged for review' : ''}` +
            `${title ? `; billed from task "${title}"` : ''}${resubmits ? `; it replaces ${resubmits}` : ''}.`,
          {
            orderId: saved.order_id,
            documentNumber: saved.document_number,
            total: saved.total,
            flagged: String(saved.flagged),
            ...(taskId ? { taskId } : {}),
          },
        );
        // Credit and stock moved: show the outlets as they are now.
        reloadOutlets();
      } catch (err) {
        showError('order', err);
      } finally {
        committing = false;
        store.set({ committing: false });
        afterCommit();
      }
    })();
  };

  return {
    reloadOutlets,
    chooseOutlet,
    closeOrder,
    addProduct(p) {
      const existing = s.draft.lines.find((l) => l.product.sku === p.sku);
      if (existing) existing.quantity = step(existing.quantity, 1) ?? existing.quantity;
      // A case product starts at one case; anything else at 1.
      else s.draft.lines.push({ product: p, quantity: p.pack_size && /^\d+$/.test(p.pack_size) ? p.pack_size : '1', discount: '' });
      edited();
    },
    setQuantity(index, text) {
      const l = line(index);
      if (!l) return;
      l.quantity = text.trim();
      edited();
    },
    stepQuantity(index, delta) {
      const l = line(index);
      const next = l ? step(l.quantity, delta) : undefined;
      if (!l || next === undefined) return;
      l.quantity = next;
      edited();
    },
    setDiscount(index, text) {
      const l = line(index);
      if (!l) return;
      l.discount = text.trim();
      edited();
    },
    removeLine(index) {
      s.draft.lines.splice(index, 1);
      edited();
    },
    setOptions(options) {
      s.draft.options = { ...s.draft.options, ...options };
      edited();
    },
    resumeDraft,
    deleteDraft(id) {
      void ws.deleteDraft(id).then(loadDrafts);
    },
    loadDrafts,
    startOrderFromTask(t, title) {
      const outlet = s.outletById.get(t.outlet_id);
      if (!outlet) {
        showError('task', new Error(`The outlet of task "${title ?? t.title}" (${t.outlet_id}) is not on this device.`));
        return;
      }
      showError('task', undefined);
      // A draft being typed stays in the drafts list (an empty one is dropped).
      if (s.draft.outlet) closeOrder();
      chooseOutlet(outlet, undefined, t.id);
    },
    startOrderFromStop(taskId) {
      let order: SalesOrder;
      try {
        order = ws.stopOrder(taskId);
      } catch (err) {
        showError('task', err);
        return;
      }
      const outlet = s.outletById.get(order.outlet_id);
      if (!outlet) {
        showError('task', new Error(`The outlet of this stop (${order.outlet_id}) is not on this device.`));
        return;
      }
      showError('task', undefined);
      if (s.draft.outlet) closeOrder();
      chooseOutlet(outlet, undefined, taskId);
      for (const l of order.lines) {
        const product = productBySku(l.sku, outlet.id);
        if (product) s.draft.lines.push({ product, quantity: l.quantity, discount: '' });
      }
      edited();
    },
    commit,
    notify,
    showError,
  };
}
