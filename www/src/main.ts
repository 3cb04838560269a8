// Satchel's PWA entry point: register the service worker, load the Wasm module, open the
// workspace (IndexedDB) and show either the sign-in screen or the workspace.

import init, { Workspace } from '../pkg/satchel.js';
import { errorText, type SyncStatus, type WorkspaceApi } from './api.ts';
import { h } from './dom.ts';
import { renderSignIn } from './signin.ts';
import { renderWorkspace } from './workspace.ts';

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  // The app works without it (online); offline reloads need it. Failure is logged, not shown.
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
    console.warn('service worker registration failed', err);
  });
}

async function boot(root: HTMLElement): Promise<void> {
  registerServiceWorker();
  await init({ module_or_path: __WASM_URL__ });
  const ws: WorkspaceApi = await Workspace.open({});

  // One status listener and one sync loop for the page's lifetime; screens come and go.
  let statusHandler: ((s: SyncStatus) => void) | undefined;
  ws.onStatus((s) => statusHandler?.(s));
  let syncing = false;
  const startSync = (): void => {
    if (syncing) return;
    syncing = true;
    ws.startSync();
  };

  const showSignIn = (): void => {
    renderSignIn(root, ws, () => showWorkspace());
  };
  const showWorkspace = (): void => {
    const session = ws.session();
    if (!session) {
      showSignIn();
      return;
    }
    renderWorkspace(root, ws, session, {
      onSignedOut: () => {
        // The module ends its loop with the session; a new sign-in starts a new one.
        syncing = false;
        showSignIn();
      },
      setStatusHandler: (handler) => (statusHandler = handler),
    });
    startSync();
  };

  if (ws.session()) showWorkspace();
  else showSignIn();
  root.dataset['ready'] = 'true';
}

const root = document.getElementById('app');
if (root) {
  boot(root).catch((err: unknown) => {
    console.error(err);
    root.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h('h1', {}, 'Satchel could not start'),
        h('p', { class: 'error', 'data-testid': 'error', role: 'alert' }, errorText(err)),
        h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, 'Try again'),
      ),
    );
  });
}
