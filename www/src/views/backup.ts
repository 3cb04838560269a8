// Backup of unsynced work (issue 20): a file the rep can keep when the browser may clear the
// app's storage (it does, on cheap phones short of space), and the import of such a file. The
// file is sealed to the server: only the server reads it, and only this device could make it.

import { errorText, type Workspace } from '../api.ts';
import { h } from '../dom.ts';
import { count, duration } from '../format.ts';
import type { BackupAdvice } from '../api.ts';
import type { Store } from '../store.ts';

/** Saves `text` as `name`: the share sheet where the phone can share files, else a download. */
async function save(name: string, text: string): Promise<'shared' | 'downloaded'> {
  const file = new File([text], name, { type: 'application/json' });
  const nav = navigator as Navigator & { canShare?: (d: ShareData) => boolean };
  if (nav.canShare?.({ files: [file] }) && matchMedia('(pointer: coarse)').matches) {
    try {
      await nav.share({ files: [file], title: name });
      return 'shared';
    } catch (err) {
      if ((err as DOMException)?.name === 'AbortError') throw err;
      // Sharing failed for another reason: download instead.
    }
  }
  const url = URL.createObjectURL(file);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return 'downloaded';
}

/** The advice's words. */
function adviceText(a: BackupAdvice): string {
  const what = count(Number(a.pending), 'change');
  return a.reason === 'nearly_full'
    ? `This phone's storage for the app is ${(Number(a.permille) / 10).toFixed(0)} % full and ${what} ${Number(a.pending) === 1 ? 'waits' : 'wait'} to sync. Export ${Number(a.pending) === 1 ? 'it' : 'them'} to a file so nothing is lost if the browser clears space.`
    : `This browser may clear the app's data when space runs low, and ${what} ${Number(a.pending) === 1 ? 'has' : 'have'} waited ${duration(Number(a.waited_ms))} to sync. Export ${Number(a.pending) === 1 ? 'it' : 'them'} to a file, or install the app.`;
}

/** The backup card, and a banner for the top of the page that offers the export when the
 * module says the unsynced work is at risk (`backupAdvice`). */
export function renderBackup(ws: Workspace, store: Store): { card: HTMLElement; banner: HTMLElement } {
  const exportButton = h('button', { type: 'button', 'data-testid': 'export-backup', disabled: true }, 'Export unsynced work');
  const exportResult = h('p', { class: 'small', role: 'status', 'data-testid': 'export-result' });
  const fileInput = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'import-file', id: 'import-file' });
  const importResult = h('p', { class: 'small', role: 'status', 'data-testid': 'import-result' });

  store.watch(['pending'], ({ pending }) => {
    const n = pending ?? 0;
    exportButton.disabled = n === 0;
    exportButton.textContent = n === 0 ? 'Export unsynced work (nothing waits)' : `Export unsynced work (${count(n, 'change')})`;
  });

  const exportNow = (): void => {
    exportButton.disabled = true;
    void (async () => {
      try {
        const file = await ws.exportBackup();
        if (!file) {
          exportResult.textContent = 'Nothing waits to sync: there is nothing to back up.';
          return;
        }
        const how = await save(file.file_name, file.text);
        exportResult.dataset['changes'] = String(file.changes);
        exportResult.textContent = `${count(file.changes, 'change')} ${how === 'shared' ? 'shared' : 'saved'} as ${file.file_name}. Keep it until they have synced; your supervisor or you can import it after signing in again.`;
      } catch (err) {
        exportResult.textContent = (err as DOMException)?.name === 'AbortError' ? 'Not saved.' : errorText(err);
      } finally {
        exportButton.disabled = (store.state.pending ?? 0) === 0;
      }
    })();
  };
  exportButton.addEventListener('click', exportNow);

  const adviceWords = h('span', {});
  const adviceButton = h('button', { type: 'button', 'data-testid': 'advice-export' }, 'Export now');
  const banner = h('p', { class: 'confirm', role: 'status', 'data-testid': 'backup-advice', hidden: true }, adviceWords, ' ', adviceButton);
  adviceButton.addEventListener('click', () => {
    card.open = true;
    exportNow();
    exportResult.scrollIntoView({ block: 'nearest' });
  });
  // The risk is checked when what waits changes, else at most once a minute.
  let checked = 0;
  let lastPending: number | null | undefined = -1;
  store.watch(['status', 'pending'], (st) => {
    const changed = st.pending !== lastPending;
    if (!changed && Date.now() - checked < 60_000) return;
    lastPending = st.pending;
    checked = Date.now();
    void (async () => {
      const storage = navigator.storage as StorageManager | undefined;
      const e = storage?.estimate ? await storage.estimate() : {};
      const persisted = storage?.persisted ? await storage.persisted() : undefined;
      const advice = await ws.backupAdvice(e.usage ?? 0, e.quota ?? 0, persisted);
      banner.hidden = !advice;
      banner.dataset['reason'] = advice?.reason ?? '';
      adviceWords.textContent = advice ? adviceText(advice) : '';
    })().catch(() => {
      // Advice is best effort: the card still exports.
    });
  });

  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    importResult.textContent = `Sending ${file.name}…`;
    delete importResult.dataset['applied'];
    void (async () => {
      try {
        const s = await ws.importBackup(await file.text());
        importResult.dataset['applied'] = String(s.applied);
        importResult.dataset['duplicate'] = String(s.duplicate);
        importResult.dataset['ok'] = 'true';
        const parts = [`${count(s.applied, 'change')} sent now`, `${s.duplicate} already on the server`];
        if (s.rejected) parts.push(`${s.rejected} refused (see the supervisor's review)`);
        if (s.waiting) parts.push(`${s.waiting} waiting for another change`);
        importResult.textContent = `Backup imported: ${parts.join(', ')}.`;
      } catch (err) {
        importResult.dataset['ok'] = 'false';
        importResult.textContent = `Not imported: ${errorText(err)}`;
      } finally {
        fileInput.value = '';
      }
    })();
  });

  const card = h(
    'details',
    { class: 'card', 'data-testid': 'backup' },
    h('summary', {}, 'Backup of unsynced work'),
    h('p', { class: 'small muted' }, 'If this browser may clear its storage, export what waits to sync and keep the file until it has synced. It is sealed: only the server can read it.'),
    exportButton,
    exportResult,
    h('label', { for: 'import-file' }, 'Import a backup file'),
    fileInput,
    importResult,
  );
  return { card, banner };
}
