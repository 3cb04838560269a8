// The sync panel: what waits and since when, the last sync, how fast orders reach the server,
// what needs attention, the reference data and photo uploads, and which tab syncs.

import { h } from '../dom.ts';
import { asOf, count, duration } from '../format.ts';
import type { Store } from '../store.ts';

export function renderSyncPanel(store: Store, attention: () => { rejectedTasks: number }): HTMLElement {
  const rows: HTMLElement[] = [];
  const field = (id: string, label: string): HTMLElement => {
    const dd = h('dd', { 'data-testid': id }, '—');
    rows.push(h('dt', {}, label), dd);
    return dd;
  };
  const pending = field('panel-pending', 'Waiting to sync');
  const oldest = field('panel-oldest', 'Oldest waiting');
  const last = field('panel-last-sync', 'Last successful sync');
  const latency = field('panel-latency', 'Order to server (median / 95 %)');
  const needs = field('panel-attention', 'Needs attention');
  const reference = field('panel-reference', 'Catalog, prices and outlets');
  const uploads = field('panel-uploads', 'Photos waiting for upload');
  const tab = field('panel-tab', 'This tab');
  const problem = field('panel-error', 'Last problem');
  const panel = h('details', { class: 'card', 'data-testid': 'sync-panel' }, h('summary', {}, 'Sync details'), h('dl', { class: 'panel' }, ...rows));

  store.watch(['status', 'orders', 'pending'], (st) => {
    const s = st.status;
    const held = st.orders.filter((o) => o.status === 'held').length;
    const rejected = st.orders.filter((o) => o.status === 'rejected').length;
    const tasks = attention().rejectedTasks;
    const parts = [rejected ? count(rejected, 'rejected order') : '', held ? count(held, 'held order') : '', tasks ? count(tasks, 'refused task completion') : ''].filter(Boolean);
    needs.textContent = parts.length === 0 ? 'nothing' : parts.join(', ');
    needs.dataset['count'] = String(rejected + held + tasks);
    needs.dataset['held'] = String(held);
    needs.dataset['rejectedTasks'] = String(tasks);
    if (!s) return;
    pending.textContent = s.pending === null ? 'unknown' : String(s.pending);
    oldest.textContent = s.oldest_pending_age_ms === undefined ? '—' : `${duration(s.oldest_pending_age_ms)} ago`;
    last.textContent = s.last_synced_at ? asOf(s.last_synced_at).replace(/^as of /, '') : '—';
    latency.textContent = s.latency_p50_ms === undefined ? '—' : `${duration(s.latency_p50_ms)} / ${duration(s.latency_p95_ms ?? 0)} (${count(s.latency_samples, 'order')})`;
    latency.dataset['samples'] = String(s.latency_samples);
    tab.textContent = s.leader ? 'syncs for all tabs' : 'another tab syncs';
    problem.textContent = s.last_error ?? '—';
    const downloading = s.reference_complete === false;
    const left = s.reference_remaining ?? 0;
    reference.textContent = downloading ? `Downloading catalog… ${count(left, 'change')} left` : s.pulled_at ? `up to date ${asOf(s.pulled_at)}` : 'up to date';
    reference.dataset['complete'] = String(!downloading);
    reference.dataset['remaining'] = String(left);
    const n = s.uploads_pending ?? 0;
    uploads.textContent = String(n);
    uploads.dataset['count'] = String(n);
  });
  return panel;
}
