// Work devices committed that never reached the server (issue 20), by the high-water marks each
// push reports: for the rep at sign-in (their other devices: a browser that wiped its storage),
// and for a supervisor as a card (online).

import type { MissingWork, Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { count, dateTime } from '../format.ts';
import { plainError } from './format.ts';
import { queueCard } from './queue.ts';

function numbers(m: MissingWork): string {
  const total = Number(m.documents_total);
  if (total === 0) return '';
  const more = total > m.documents.length ? ` and ${total - m.documents.length} more` : '';
  return `${m.documents.join(', ')}${more}`;
}

/** The rep's notice after signing in, or nothing when the server holds everything. */
export function missingNotice(ws: Workspace): HTMLElement | null {
  const list = ws.missingWork();
  if (list.length === 0) return null;
  const docs = list.reduce((n, m) => n + Number(m.documents_total), 0);
  const changes = list.reduce((n, m) => n + Number(m.changes), 0);
  const what = docs > 0 ? `${count(docs, 'order')} (${list.map(numbers).filter(Boolean).join('; ')})` : count(changes, 'change');
  const when = list.map((m) => dateTime(m.last_contact)).join(', ');
  return h(
    'p',
    { class: 'confirm', role: 'alert', 'data-testid': 'missing-work', 'data-documents': String(docs), 'data-changes': String(changes) },
    `${what} from your earlier sign-in never reached the server (last contact ${when}). If you exported a backup of unsynced work, import it now under "Backup of unsynced work"; otherwise tell your supervisor.`,
  );
}

function row(m: MissingWork): HTMLElement {
  return h(
    'li',
    { 'data-testid': 'missing-item', 'data-device-id': m.device_id, 'data-documents': String(m.documents_total), 'data-changes': String(m.changes) },
    h('div', { class: 'row' }, h('strong', { class: 'name device-label', title: m.label }, `${m.username} · ${m.label}`)),
    h('div', { class: 'muted small' }, `${count(Number(m.changes), 'change')} not received · last contact ${dateTime(m.last_contact)}`),
    numbers(m) ? h('div', { class: 'small', 'data-testid': 'missing-numbers' }, numbers(m)) : null,
  );
}

export function renderMissing(ws: Workspace): { el: HTMLElement; load: () => Promise<void> } {
  return queueCard<MissingWork>({
    id: 'missing',
    title: 'Missing from devices',
    listTestId: 'missing-list',
    loadingText: 'Reading what devices have not sent…',
    fetch: () => ws.devicesMissing(),
    row,
    summary: (n) => (n === 0 ? 'Every device has sent all it committed.' : `${count(n, 'device')} committed work the server does not hold, waiting longest first.`),
    failure: (err) => `The list could not be read: ${plainError(err)}`,
  });
}
