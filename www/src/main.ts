// Satchel's PWA entry point: register the service worker, load the Wasm module, open the
// workspace (IndexedDB) and show either the sign-in screen or the workspace.

import init, { Workspace } from '../pkg/satchel.js';
import { errorText, type SyncStatusView } from './api.ts';
import { renderLock, type LockScreen } from './lock.ts';
import { h } from './dom.ts';
import { renderSignIn } from './signin.ts';
import { renderUpdateBanner, watchForUpdates } from './update.ts';
import { renderWorkspace } from './workspace.ts';

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  // The app works without it (online); offline reloads need it. Failure is logged, not shown.
  navigator.serviceWorker
    .register('/sw.js', { scope: '/' })
    .then((reg) => watchForUpdates(reg, renderUpdateBanner))
    .catch((err: unknown) => {
      console.warn('service worker registration failed', err);
    });
}

/** Asks the browser to wake the service worker for a push when the network is back, even if
 * the app is closed by then (Background Sync). Where the browser has no Background Sync, the
 * module's own triggers (app start, `online`, visibility, the backoff timer) do the work. */
function requestBackgroundSync(): void {
  if (!('serviceWorker' in navigator)) return;
  void navigator.serviceWorker.ready
    .then((reg) => (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync?.register('satchel-push'))
    .catch(() => {
      // Permission denied or unsupported: the page's own sync loop covers it.
    });
}

/** The deployment's inactivity timeout, shortened (never lengthened) by `?lock_after_ms=`. */
function idleTimeoutOption(): number | undefined {
  const raw = new URLSearchParams(location.search).get('lock_after_ms');
  const ms = raw === null ? NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 1000 ? ms : undefined;
}

async function boot(root: HTMLElement): Promise<void> {
  document.documentElement.dataset['build'] = __BUILD_TAG__;
  registerServiceWorker();
  await init({ module_or_path: __WASM_URL__ });
  const idle = idleTimeoutOption();
  const ws: Workspace = await Workspace.open(idle === undefined ? {} : { idle_timeout_ms: idle });

  // Any tap or key press is activity: it postpones the inactivity lock.
  for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
    document.addEventListener(type, () => ws.touch(), { capture: true, passive: true });
  }

  // One status listener and one sync loop for the page's lifetime; screens come and go.
  let statusHandler: ((s: SyncStatusView) => void) | undefined;
  ws.onStatus((s) => {
    if (s.pending !== 0) requestBackgroundSync();
    statusHandler?.(s);
  });
  let syncing = false;
  const startSync = (): void => {
    if (syncing) return;
    syncing = true;
    ws.startSync();
  };

  // The workspace screen survives a lock detached from the page (so an order being typed is
  // not lost), and comes back on unlock; the lock screen replaces it meanwhile.
  let workspaceEl: HTMLElement | undefined;
  let workspaceHandler: ((s: SyncStatusView) => void) | undefined;
  let lockScreen: LockScreen | undefined;

  // While a sign-in runs, the vault unlocks before the first download is done: the sign-in
  // screen stays (showing the download's progress) until `signIn` resolves.
  let signingIn = false;
  const showSignIn = (): void => {
    workspaceEl = undefined;
    lockScreen = undefined;
    const screen = renderSignIn(root, ws, () => route(), {
      onBusy: (busy) => {
        signingIn = busy;
      },
      // Refused after the vault changed (rare): show where the vault is now.
      onFailed: () => {
        if (ws.vaultStatus().state !== 'signed_out') route();
      },
    });
    statusHandler = (s) => screen.onStatus(s);
  };
  const showLock = (): void => {
    const screen = renderLock(ws, ws.session());
    lockScreen = screen;
    statusHandler = (s) => screen.onStatus(s);
    root.replaceChildren(screen.el);
    void ws.status().then((s) => screen.onStatus(s));
    startSync();
  };
  const showWorkspace = (): void => {
    lockScreen = undefined;
    if (workspaceEl) {
      root.replaceChildren(workspaceEl);
      statusHandler = workspaceHandler;
      void ws.status().then((s) => statusHandler?.(s));
      return;
    }
    const session = ws.session();
    if (!session) {
      showSignIn();
      return;
    }
    const el = document.createElement('div');
    workspaceEl = el;
    renderWorkspace(el, ws, session, {
      onSignedOut: () => {
        // The module ends its loop with the session; a new sign-in starts a new one.
        syncing = false;
        showSignIn();
      },
      setStatusHandler: (handler) => {
        workspaceHandler = handler;
        statusHandler = handler;
      },
    });
    root.replaceChildren(el);
    startSync();
    // The loop may already run (it did behind the lock screen): show its state now.
    void ws.status().then((s) => statusHandler?.(s));
  };
  const route = (): void => {
    const v = ws.vaultStatus();
    if (v.state === 'signed_out') showSignIn();
    else if (v.state === 'locked') {
      if (lockScreen) lockScreen.onVault(v);
      else showLock();
    } else showWorkspace();
  };
  ws.onVaultChange(() => {
    if (!signingIn) route();
  });

  route();
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
