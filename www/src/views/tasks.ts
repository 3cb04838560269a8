// The Tasks card: the tasks the office assigned to the user (open first), completing one with a
// note and photos, and "Take order" from a task (the order is then billed from it).
//
// Everything here answers from the device: `ws.tasks()` reads the pulled tasks with this
// device's completions; `ws.completeTask` stores the completion and its photos (sealed) and the
// sync loop uploads them in resumable chunks. The module checks the photos (type, size, count,
// space); this card shows its refusals next to the field, in plain words.

import { describeError, errorText, type TaskItemView, type Workspace } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';

export interface TasksCard {
  el: HTMLElement;
  /** Re-reads the tasks from the module; re-renders only if something changed (or `force`). */
  refresh(force?: boolean): void;
  /** A task by id, as last read. */
  task(id: string): TaskItemView | undefined;
  /** Completions the server refused (they need the rep's attention). */
  rejectedCount(): number;
}

/** Photo formats the module accepts (the file input offers only these). */
const PHOTO_TYPES = 'image/jpeg,image/png,image/webp';

/** A photo's size for people: "850 KB", "1.5 MB" (sizes, not money: plain numbers are fine). */
export function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** "photos[1]" → "Photo 2"; anything else: undefined. */
function photoName(field: string | undefined, files: File[]): string | undefined {
  const m = field ? /^photos\[(\d+)\](?:\.\w+)?$/.exec(field) : null;
  if (!m?.[1]) return undefined;
  const i = Number(m[1]);
  const f = files[i];
  return f ? `Photo ${i + 1} (${f.name}, ${formatSize(f.size)})` : `Photo ${i + 1}`;
}

/** The module's refusal of a completion, in plain words. */
export function completionErrorText(err: unknown, files: File[]): string {
  const e = describeError(err);
  if (e.code !== 'validation') return errorText(err);
  const which = photoName(e.field, files);
  switch (e.detail) {
    case 'task_closed':
      return 'This task is no longer open: it was already completed, or the office withdrew it.';
    case 'unknown_task':
      return 'This task is no longer assigned to you.';
    case 'photo_too_large':
      return `${which ?? 'A photo'} is too large (${e.message}). Take it again at a lower resolution, or leave it out.`;
    case 'photo_type':
      return `${which ?? 'A photo'} is not a JPEG, PNG or WebP picture. Attach photos from the camera.`;
    case 'photo_storage_full':
      return 'This device has no room left to keep the photos until they are uploaded. Free some space (old photos, other apps) and try again.';
    case 'too_many_photos':
      return `Too many photos: ${e.message}. Leave some out.`;
    case 'note_too_long':
      return `The note is too long: ${e.message}.`;
    default:
      return `${e.message} (${e.detail ?? e.code})`;
  }
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

/** Today's local date as YYYY-MM-DD. */
function todayIso(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "2026-03-05" → the local short date (a due date is a calendar day, not an instant). */
function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** The completion form of one task: kept across re-renders, so a note being typed and the
 * photos chosen survive a sync status update. */
interface CompletionForm {
  el: HTMLElement;
  note: HTMLTextAreaElement;
  photos: HTMLInputElement;
  info: HTMLElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
}

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
    const noteId = `task-note-${t.id}`;
    const photosId = `task-photos-${t.id}`;
    const note = h('textarea', { id: noteId, rows: 3, maxlength: 2000, 'data-testid': 'task-note' });
    const photos = h('input', {
      id: photosId,
      type: 'file',
      accept: PHOTO_TYPES,
      capture: 'environment',
      multiple: true,
      'data-testid': 'task-photos',
      'aria-describedby': `${photosId}-info ${photosId}-error`,
    });
    const info = h('p', { id: `${photosId}-info`, class: 'muted small', 'data-testid': 'task-photo-info' }, 'No photos attached.');
    const error = h('p', { id: `${photosId}-error`, class: 'error small', 'data-testid': 'task-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'task-submit' }, 'Complete task');
    const cancel = h('button', { type: 'button', class: 'small link', 'data-testid': 'task-form-cancel' }, 'Cancel');
    const form = h(
      'form',
      { class: 'task-form', 'data-testid': 'task-form', 'data-task-id': t.id, novalidate: true },
      h('label', { for: noteId }, 'Note'),
      note,
      h('label', { for: photosId }, 'Photos (JPEG, PNG or WebP)'),
      photos,
      info,
      error,
      submit,
      cancel,
    );
    const f: CompletionForm = { el: form, note, photos, info, error, submit };
    const chosen = (): File[] => Array.from(photos.files ?? []);
    const showError = (text: string, detail?: string): void => {
      error.textContent = text;
      error.hidden = text === '';
      if (detail) error.dataset['detail'] = detail;
      else delete error.dataset['detail'];
      photos.toggleAttribute('aria-invalid', Boolean(detail?.startsWith('photo') || detail === 'too_many_photos'));
    };
    photos.addEventListener('change', () => {
      showError('');
      const files = chosen();
      const total = files.reduce((sum, file) => sum + file.size, 0);
      info.dataset['count'] = String(files.length);
      info.dataset['bytes'] = String(total);
      info.textContent =
        files.length === 0
          ? 'No photos attached.'
          : `${files.length} photo${files.length === 1 ? '' : 's'}, ${formatSize(total)}: ${files.map((file) => `${file.name} (${formatSize(file.size)})`).join(', ')}`;
    });
    cancel.addEventListener('click', () => {
      openForm = undefined;
      render();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const files = chosen();
      submit.disabled = true;
      submit.textContent = 'Saving…';
      showError('');
      void (async () => {
        try {
          const done = await ws.completeTask(t.id, note.value, files.length === 0 ? undefined : files);
          forms.delete(t.id);
          if (openForm === t.id) openForm = undefined;
          refresh(true);
          hooks.onCompleted(done);
        } catch (err) {
          const e = describeError(err);
          showError(completionErrorText(err, files), e.detail ?? e.code);
        } finally {
          submit.disabled = false;
          submit.textContent = 'Complete task';
        }
      })();
    });
    forms.set(t.id, f);
    return f;
  }

  function item(t: TaskItemView): HTMLElement {
    const c = t.completion;
    const canComplete = t.status === 'open' && (!c || c.status === 'rejected');
    const canBill = t.status !== 'cancelled' && c?.status !== 'rejected';
    const status = completionText(t);
    const overdue = t.status === 'open' && !c && t.due_date !== undefined && t.due_date < todayIso();
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
          ? h('span', { class: overdue ? 'due overdue' : 'due', 'data-testid': 'task-due', 'data-due': t.due_date }, `${overdue ? 'Overdue: was due' : 'Due'} ${formatDay(t.due_date)}`)
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
