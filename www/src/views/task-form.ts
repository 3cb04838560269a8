// A task's completion form: a note and photos (the module checks them: type, size, count,
// space) and its refusals shown next to the field, in plain words.

import { describeError, errorText, type TaskItemView, type Workspace } from '../api.ts';
import { h } from '../dom.ts';

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

/** The completion form of one task: kept across re-renders, so a note being typed and the
 * photos chosen survive a sync status update. */
export interface CompletionForm {
  el: HTMLElement;
  note: HTMLTextAreaElement;
  photos: HTMLInputElement;
  info: HTMLElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
}

export function completionForm(ws: Workspace, t: TaskItemView, on: { done(task: TaskItemView): void; cancel(): void }): CompletionForm {
  const noteId = `task-note-${t.id}`;
  const photosId = `task-photos-${t.id}`;
  const note = h('textarea', { id: noteId, rows: 3, maxlength: 2000, autocomplete: 'off', 'data-testid': 'task-note' });
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
  cancel.addEventListener('click', () => on.cancel());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const files = chosen();
    submit.disabled = true;
    submit.textContent = 'Saving…';
    showError('');
    void (async () => {
      try {
        const done = await ws.completeTask(t.id, note.value, files.length === 0 ? undefined : files);
        on.done(done);
      } catch (err) {
        const e = describeError(err);
        showError(completionErrorText(err, files), e.detail ?? e.code);
      } finally {
        submit.disabled = false;
        submit.textContent = 'Complete task';
      }
    })();
  });
  return f;
}

