// A supervisor's decisions: the review queue of flagged orders, the outlet conflicts and the
// counter's shifts with their variances, the delivery days to approve, all
// read from the server as soon as the screen is built, so their counts show on the collapsed
// cards.

import type { Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { renderConflicts } from './conflicts.ts';
import { renderDays } from './days.ts';
import { renderMissing } from './missing.ts';
import { renderReview } from './review.ts';
import { renderShifts } from './shifts.ts';

export function renderSupervisor(ws: Workspace): HTMLElement {
  const review = renderReview(ws);
  const conflicts = renderConflicts(ws);
  const shifts = renderShifts(ws);
  const days = renderDays(ws);
  const missing = renderMissing(ws);
  void review.load();
  void missing.load();
  void conflicts.load();
  void shifts.load();
  void days.load();
  return h('section', { class: 'supervisor-desk', 'data-testid': 'supervisor', 'aria-label': 'Supervisor' }, review.el, conflicts.el, shifts.el, days.el, missing.el, dashboardCard(ws));
}

/** The field telemetry dashboard: its code is a chunk of its own, fetched when the card opens
 * (online only, like its figures). */
function dashboardCard(ws: Workspace): HTMLElement {
  const body = h('div', {});
  const card = h('details', { class: 'card supervisor', 'data-testid': 'dashboard' }, h('summary', {}, h('span', { class: 'summary-title' }, 'Field telemetry (online only)')), body);
  let loaded = false;
  card.addEventListener('toggle', () => {
    if (!card.open || loaded) return;
    loaded = true;
    body.textContent = 'Loading the dashboard…';
    import('./dashboard.ts').then(
      (m) => body.replaceChildren(m.renderDashboard(ws)),
      () => {
        loaded = false;
        body.textContent = 'The dashboard could not be loaded: it needs the network.';
      },
    );
  });
  return card;
}
