// The workspace's actions on what the device holds and sends: re-reading the orders and the
// outbox count, "Sync now", "Update prices and outlets", held orders, outlet edits, sign-out.

import { describeError, draftsOf, type DraftSummary, type OrderView, type OutletView, type SyncStatusView, type Workspace } from '../api.ts';
import type { State, Store } from '../store.ts';
import type { OrderActions } from './actions.ts';

export interface SyncActions {
  /** Re-reads the pending count, the orders and the storage report (coalesced). */
  refresh(): Promise<void>;
  onStatus(st: SyncStatusView): void;
  syncNow(): Promise<void>;
  refreshReference(): Promise<boolean>;
  editHeld(o: OrderView): Promise<void>;
  discardHeld(o: OrderView, reason: string): Promise<void>;
  updateOutlet(o: OutletView, fields: { phone: string; address: string; contact_name: string }): Promise<number>;
  /** Signs out; resolves with the drafts that would be lost when the module asks first. */
  signOut(discardDrafts: boolean): Promise<DraftSummary[] | undefined>;
}

export function syncActions(ws: Workspace, store: Store, order: OrderActions, onReference: () => void): SyncActions {
  const s = store.state;

  // Refreshes are serialised and coalesced: status updates can arrive in bursts.
  let refreshing: Promise<void> | undefined;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          const [pending, list, storageReport] = await Promise.all([ws.pendingCount(), ws.orders(), ws.storageReport()]);
          const orders = [...list].sort((a, b) => b.seq - a.seq);
          // Only what changed is set: every listener of `orders` re-renders otherwise.
          const patch: Partial<State> = { pending };
          if (JSON.stringify(orders) !== JSON.stringify(s.orders)) patch.orders = orders;
          if (JSON.stringify(storageReport) !== JSON.stringify(s.storageReport)) patch.storageReport = storageReport;
          store.set(patch);
          order.showError('refresh', undefined);
        } catch (err) {
          order.showError('refresh', err);
        }
      } while (again);
    })();
    try {
      await refreshing;
    } finally {
      refreshing = undefined;
    }
  };

  let generation: number | undefined;
  const onStatus = (st: SyncStatusView): void => {
    store.set({ status: st, pending: st.pending });
    if (st.phase === 'idle' && !st.last_error) order.showError('sync', undefined);
    // Pulled data changed what this screen shows: re-read the lists.
    if (st.reference_generation !== generation) {
      generation = st.reference_generation;
      order.reloadOutlets();
      onReference();
    }
    void refresh();
  };

  return {
    refresh,
    onStatus,
    async syncNow() {
      order.showError('sync', undefined);
      try {
        await ws.syncNow();
      } catch (err) {
        order.showError('sync', err);
      } finally {
        void refresh();
      }
    },
    async refreshReference() {
      order.showError('reference', undefined);
      try {
        await ws.refreshReference();
        order.reloadOutlets();
        onReference();
        return true;
      } catch (err) {
        order.showError('reference', err);
        return false;
      }
    },
    async editHeld(o) {
      order.showError('held', undefined);
      try {
        const d = await ws.editHeld(o.order_id);
        // A draft being typed stays in the drafts list.
        if (s.draft.outlet) order.closeOrder();
        order.resumeDraft(d);
        order.notify(`Order ${o.document_number} is open for editing; commit it to send it again with a new number.`);
      } catch (err) {
        order.showError('held', err);
        throw err;
      } finally {
        void refresh();
      }
    },
    async discardHeld(o, reason) {
      await ws.discardHeld(o.order_id, reason.trim() === '' ? undefined : reason.trim());
      order.notify(`Order ${o.document_number} discarded.`, { orderId: o.order_id });
      await refresh();
    },
    async updateOutlet(o, fields) {
      const n = await ws.updateOutlet(o.id, fields);
      order.reloadOutlets();
      return n;
    },
    async signOut(discardDrafts) {
      try {
        await ws.signOut({ discard_drafts: discardDrafts });
        return undefined;
      } catch (err) {
        const drafts = draftsOf(err);
        if (describeError(err).code === 'drafts_would_be_lost' && drafts.length > 0) return drafts;
        throw err;
      }
    },
  };
}
