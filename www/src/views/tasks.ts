// The Tasks card: the tasks the office assigned to the user (open first), completing one with a
// note and photos, and "Take order" from a task (the order is then billed from it).
//
// Everything here answers from the device: `ws.tasks()` reads the pulled tasks with this
// device's completions; `ws.completeTask` stores the completion and its photos (sealed) and the
// sync loop uploads them in resumable chunks. The module checks the photos (type, size, count,
// space); this card shows its refusals next to the field, in plain words.

import { errorText, type TaskItemView, type Workspace } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { date } from '../format.ts';
import { today } from '../workspace/draft.ts';
import { completionForm, type CompletionForm } from './task-form.ts';

export interface TasksCard {
  el: HTMLElement;
  /** Re-reads the tasks from the module; re-renders only if something changed (or `force`). */
  refresh(force?: boolean): void;
  /** A task by id, as last read. */
  task(id: string): TaskItemView | undefined;
  /** Completions the server refused (they need the rep's attention). */
  rejectedCount(): number;
}

/** What this device knows of the task's completion, for the rep. */
function completionText(t: TaskItemView): string {
  const c = t.completion;
  if (!c) {
    if (t.status === 'cancelled') return 'Withdrawn by the office.';
    if (t.status === 'done') return 'Done.';
    return '';
  }
  const photos = c.photos === 0 ? '' : ` with ${c.photos} photo${c.photos === 1 ? '' : 's'}`;
  switch (c.status) {
    case 'pending':
      return `Completed on this device${photos}; waiting to sync${c.photos > 0 ? ' (the photos upload first)' : ''}.`;
    case 'waiting':
      return `${c.photos > 0 ? 'Waiting for photo upload' : 'Waiting for the server'}${c.reason ? `: ${c.reason}` : ''}.`;
    case 'synced':
      return `Completed${photos}; the server has it.`;
    case 'flagged':
      return `Completed${photos}; flagged for review${c.reason ? `: ${c.reason}` : ''}.`;
    case 'rejected':
      return `Refused by the server: ${c.reason ?? 'no reason given'}.`;
    case 'held':
      return `Held: ${c.reason ?? 'something it depends on was refused'}.`;
    case 'discarded':
      return `Discarded${c.reason ? `: ${c.reason}` : ''}.`;
    default:
      return c.status;
  }
}

const KIND_LABEL: Record<string, string> = { delivery: 'Delivery', shelf_check: 'Shelf check', visit: 'Visit' };

export function renderTasksCard(
  ws: Workspace,
  hooks: {
    /** "Take order": open the order form at the task's outlet, billed from the task. */
    onTakeOrder: (task: TaskItemView) => void;
    /** A completion was stored (the page refreshes its counts). */
    onCompleted: (task: TaskItemView) => void;
    /** Something changed that the "needs attention" count depends on. */
    onChanged: () => void;
  },
): TasksCard {
  const list = h('ul', { class: 'list tasks', 'data-testid': 'task-list' });
  const summary = h('span', { class: 'muted small', 'data-testid': 'task-summary' });
  const message = h('p', { class: 'error small', 'data-testid': 'task-message', role: 'alert', hidden: true });
  const el = h('section', { class: 'card', 'data-testid': 'tasks' }, h('div', { class: 'row' }, h('h2', { class: 'name' }, 'Tasks'), summary), message, list);

  let tasks: TaskItemView[] = [];
  let signature = '';
  const forms = new Map<string, CompletionForm>();
  let openForm: string | undefined;

  function showMessage(text: string): void {
    message.textContent = text;
    message.hidden = text === '';
  }

  function formFor(t: TaskItemView): CompletionForm {
    const existing = forms.get(t.id);
    if (existing) return existing;
    const f = completionForm(ws, t, {
      done: (done) => {
        forms.delete(t.id);
        if (openForm === t.id) openForm = undefined;
        refresh(true);
        hooks.onCompleted(done);
      },
      cancel: () => {
        openForm = undefined;
        render();
      },
    });
    forms.set(t.id, f);
    return f;
  }

  function item(t: TaskItemView): HTMLElement {
    const c = t.completion;
    const canComplete = t.status === 'open' && (!c || c.status === 'rejected');
    const canBill = t.status !== 'cancelled' && c?.status !== 'rejected';
    const status = completionText(t);
    const overdue = t.status === 'open' && !c && t.due_date !== undefined && t.due_date < today();
    const attention = c?.status === 'rejected' || c?.status === 'held';
    const complete = h('button', { type: 'button', class: 'small', 'data-testid': 'task-complete' }, c?.status === 'rejected' ? 'Complete again' : 'Complete');
    complete.addEventListener('click', () => {
      openForm = t.id;
      render();
      formFor(t).note.focus();
    });
    const take = h('button', { type: 'button', class: 'small', 'data-testid': 'task-take-order' }, 'Take order');
    take.addEventListener('click', () => {
      showMessage('');
      hooks.onTakeOrder(t);
    });
    return h(
      'li',
      {
        class: `task ${t.status}${c ? ` completion-${c.status}` : ''}`,
        'data-testid': 'task-item',
        'data-task-id': t.id,
        'data-status': t.status,
        'data-completion': c?.status ?? 'none',
        'data-completion-id': c?.mutation_id,
      },
      h('div', { class: 'row' }, h('span', { class: 'name', 'data-testid': 'task-title' }, t.title), h('span', { class: 'meta' }, KIND_LABEL[t.kind] ?? t.kind)),
      h(
        'div',
        { class: 'row meta' },
        h('span', { 'data-testid': 'task-outlet', 'data-outlet-id': t.outlet_id }, t.outlet_name ?? t.outlet_id),
        t.due_date
          ? h('span', { class: overdue ? 'due overdue' : 'due', 'data-testid': 'task-due', 'data-due': t.due_date }, `${overdue ? 'Overdue: was due' : 'Due'} ${date(t.due_date)}`)
          : null,
        h('span', { class: `task-state ${t.status}`, 'data-testid': 'task-state' }, t.status === 'open' ? 'Open' : t.status === 'done' ? 'Done' : 'Withdrawn'),
      ),
      t.details ? h('p', { class: 'details small', 'data-testid': 'task-details' }, t.details) : null,
      status
        ? h(
            'p',
            { class: `completion ${c?.status ?? t.status}${attention ? ' reason' : ''}`, 'data-testid': 'task-completion', 'data-status': c?.status ?? t.status },
            status,
          )
        : null,
      canComplete || canBill ? h('div', { class: 'row' }, canComplete && openForm !== t.id ? complete : null, canBill ? take : null) : null,
      canComplete && openForm === t.id ? formFor(t).el : null,
    );
  }

  function render(): void {
    const open = tasks.filter((t) => t.status === 'open' && !t.completion).length;
    summary.textContent = tasks.length === 0 ? '' : `${open} open of ${tasks.length}`;
    summary.dataset['open'] = String(open);
    const items = tasks.map(item);
    if (items.length === 0) items.push(h('li', { class: 'muted' }, 'No tasks assigned to you.'));
    replaceChildren(list, ...items);
  }

  function refresh(force = false): void {
    let next: TaskItemView[];
    try {
      next = ws.tasks();
    } catch (err) {
      showMessage(errorText(err));
      return;
    }
    const sig = JSON.stringify(next);
    if (!force && sig === signature) return;
    signature = sig;
    // Open first (the module sorts so), the rest keep the module's order.
    tasks = [...next].sort((a, b) => Number(a.status !== 'open') - Number(b.status !== 'open'));
    // Forms of tasks that can no longer be completed go.
    for (const id of [...forms.keys()]) {
      const t = tasks.find((x) => x.id === id);
      if (!t || t.status !== 'open' || (t.completion && t.completion.status !== 'rejected')) {
        forms.delete(id);
        if (openForm === id) openForm = undefined;
      }
    }
    render();
    if (ready) hooks.onChanged();
  }

  // The first read only renders: the page asks for the counts once it is built.
  let ready = false;
  refresh(true);
  ready = true;
  return {
    el,
    refresh,
    task: (id) => tasks.find((t) => t.id === id),
    rejectedCount: () => tasks.filter((t) => t.completion?.status === 'rejected').length,
  };
}
