// The supervisor's outlet conflicts: a field two reps changed concurrently. The server kept the
// value that reached it first and queued the other; each conflict shows both values with who set
// them and when, and is settled with one tap on the value to keep. Online: the queue lives on
// the server, which writes the outlet and lets every device learn it with its next pull.

import { describeError, type Choice, type ConflictItem, type Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { queueCard } from './queue.ts';
import { formatHlc, plainError } from './format.ts';

export interface ConflictsView {
  el: HTMLElement;
  /** Re-reads the queue from the server. */
  load(): Promise<void>;
}

const FIELD_NAMES: Record<ConflictItem['field'], string> = {
  phone: 'Phone',
  address: 'Address',
  contact_name: 'Contact name',
};

function fieldName(field: string): string {
  return FIELD_NAMES[field as ConflictItem['field']] ?? field;
}

/** A value as shown: an empty one is named, not left blank. */
function shown(value: string): string {
  return value === '' ? '(empty)' : value;
}

interface Side {
  choice: Choice;
  value: string;
  who: string;
  when: string;
  /** What the value is, for the reader. */
  role: string;
  /** The button's verb: keep what the outlet has, or use the other value. */
  verb: string;
}

function sides(c: ConflictItem): Side[] {
  return [
    { choice: 'ours', value: c.ours.value, who: c.ours.changed_by, when: c.ours.changed_at, role: 'On the outlet now', verb: 'Keep' },
    { choice: 'theirs', value: c.theirs.value, who: c.theirs.by, when: c.theirs.at, role: 'Proposed, not applied', verb: 'Use' },
  ];
}

/** One conflict. `reload(text)` re-reads the list with `text` leading the status line: after
 * the server recorded the choice, or when the item changed or is settled already. */
function conflictRow(ws: Workspace, c: ConflictItem, reload: (text: string) => void): HTMLElement {
  const field = fieldName(c.field);
  const outlet = c.outlet_name || c.outlet_id;
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'conflict-error', hidden: true });
  const buttons: HTMLButtonElement[] = [];

  async function choose(side: Side): Promise<void> {
    error.hidden = true;
    for (const b of buttons) b.disabled = true;
    try {
      const after = await ws.resolveConflict(c.id, side.choice);
      const value = after.resolution?.value ?? side.value;
      row.remove();
      reload(`${field} of ${outlet} is now ${shown(value)} (${side.who}'s value). Devices get it with their next sync.`);
    } catch (err) {
      const detail = describeError(err).detail;
      // The server brought the item up to date (stale) or it is settled already: show the list as
      // it is now, with the reason in the status line.
      if (detail === 'stale_conflict' || detail === 'already_resolved' || detail === 'not_found') {
        reload(`${field} of ${outlet}: ${plainError(err)}`);
        return;
      }
      error.textContent = plainError(err);
      error.hidden = false;
      for (const b of buttons) b.disabled = false;
    }
  }

  const options = sides(c).map((side) => {
    const button = h(
      'button',
      { type: 'button', class: side.choice === 'ours' ? 'choice keep' : 'choice use', 'data-testid': 'conflict-choose', 'data-choice': side.choice, 'data-value': side.value },
      `${side.verb} ${shown(side.value)} (${side.who})`,
    );
    button.addEventListener('click', () => void choose(side));
    buttons.push(button);
    return h(
      'div',
      { class: 'conflict-side', 'data-testid': 'conflict-side', 'data-choice': side.choice, 'data-by': side.who },
      h('div', { class: 'meta' }, side.role),
      h('div', { class: 'conflict-value' }, shown(side.value)),
      h('div', { class: 'meta' }, `${side.who} · ${formatHlc(side.when)}`),
      button,
    );
  });

  const row = h(
    'li',
    { class: 'conflict', 'data-testid': 'conflict-item', 'data-conflict-id': c.id, 'data-outlet-id': c.outlet_id, 'data-field': c.field },
    h('div', { class: 'row' }, h('span', { class: 'name' }, outlet), h('span', { class: 'muted' }, c.outlet_id)),
    h('div', {}, h('strong', {}, field), h('span', { class: 'meta' }, ` · both changed it, starting from ${shown(c.base)}`)),
    h('div', { class: 'conflict-sides' }, ...options),
    error,
  );
  return row;
}

export function renderConflicts(ws: Workspace): ConflictsView {
  return queueCard<ConflictItem>({
    id: 'conflicts',
    title: 'Conflicts',
    listTestId: 'conflict-list',
    loadingText: 'Loading the conflicts…',
    fetch: () => ws.conflicts('open'),
    row: (c, reload) => conflictRow(ws, c, reload),
    summary: (n) => (n === 0 ? 'No open conflicts.' : `${n} conflict${n === 1 ? '' : 's'} to settle, oldest first.`),
    failure: plainError,
  });
}
