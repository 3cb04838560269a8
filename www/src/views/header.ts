// The top bar: who, online or not, what waits to sync (never "All synced" before the module
// said), the sync phase, "Sync now" and Lock. Sign out lives in the Account section, far from
// Lock.

import type { SyncStatusView } from '../api.ts';
import { h } from '../dom.ts';
import { count } from '../format.ts';
import type { Store } from '../store.ts';

const PHASE: Record<SyncStatusView['phase'], string> = {
  idle: '',
  pushing: 'Syncing…',
  pulling: 'Receiving updates',
  backing_off: 'Will retry soon',
  needs_sign_in: 'Sign in again to sync',
};

export function renderHeader(store: Store, on: { lock(): void; syncNow(): Promise<void> }): HTMLElement {
  const online = h('span', { class: 'online', 'data-testid': 'online-status' });
  // Unknown until the module's first status: never "All synced" before it is known.
  const badge = h('span', { class: 'badge', 'data-testid': 'pending-badge', hidden: true }, '');
  const syncText = h('span', { class: 'sync-text', 'data-testid': 'sync-text' }, 'Checking what waits to sync…');
  const syncPhase = h('span', { class: 'sync-phase', 'data-testid': 'sync-phase' });
  const syncNow = h('button', { type: 'button', class: 'ghost', 'data-testid': 'sync-now' }, 'Sync now');
  const referenceProgress = h('span', { 'data-testid': 'reference-progress', hidden: true });
  const uploadsProgress = h('span', { 'data-testid': 'uploads-progress', hidden: true });
  const syncSub = h('div', { class: 'row sync-sub small', hidden: true }, referenceProgress, uploadsProgress);
  const lockNow = h('button', { type: 'button', class: 'ghost', 'data-testid': 'lock-now', onclick: () => on.lock() }, 'Lock');
  // The device's own storage failed under it (cleared by the browser): said plainly, at the top.
  const storageLost = h('p', { class: 'confirm', role: 'alert', 'data-testid': 'storage-lost', hidden: true });
  const session = store.state.session;

  syncNow.addEventListener('click', () => {
    syncNow.disabled = true;
    void on.syncNow().finally(() => (syncNow.disabled = false));
  });

  const updateOnline = (): void => {
    const on = navigator.onLine;
    online.textContent = on ? 'Online' : 'Offline';
    online.className = on ? 'online on' : 'online off';
    online.dataset['online'] = String(on);
  };
  window.addEventListener('online', updateOnline);
  window.addEventListener('offline', updateOnline);
  updateOnline();

  store.watch(['pending'], ({ pending }) => {
    if (pending === undefined) return;
    badge.hidden = false;
    badge.textContent = pending === null ? '!' : String(pending);
    badge.classList.toggle('zero', pending === 0);
    // "All synced" only once the module read the outbox and found it empty.
    syncText.textContent =
      pending === null ? 'Cannot tell what waits to sync' : pending === 0 ? 'All synced' : `${count(pending, 'order')} waiting to sync`;
  });

  store.watch(['status'], ({ status: st }) => {
    if (!st) return;
    storageLost.hidden = !st.storage_problem;
    storageLost.textContent = st.storage_problem ?? '';
    syncPhase.textContent = !st.leader && st.phase === 'idle' ? 'Synced by another tab' : PHASE[st.phase] ?? '';
    syncPhase.title = st.last_error ?? '';
    syncPhase.dataset['phase'] = st.phase;
    syncPhase.dataset['leader'] = String(st.leader);
    const downloading = st.reference_complete === false;
    const left = st.reference_remaining ?? 0;
    referenceProgress.hidden = !downloading;
    referenceProgress.textContent = downloading ? `Downloading catalog… ${count(left, 'change')} left` : '';
    referenceProgress.dataset['remaining'] = String(left);
    const uploads = st.uploads_pending ?? 0;
    uploadsProgress.hidden = uploads === 0;
    uploadsProgress.textContent = uploads === 0 ? '' : `Photos waiting for upload: ${uploads}`;
    uploadsProgress.dataset['count'] = String(uploads);
    syncSub.hidden = referenceProgress.hidden && uploadsProgress.hidden;
  });

  return h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'row' }, h('strong', { class: 'who', 'data-testid': 'user-name' }, session.display_name || session.username), online, lockNow),
    h('div', { class: 'row sync', role: 'status' }, badge, syncText, syncPhase, syncNow),
    syncSub,
    storageLost,
  );
}
