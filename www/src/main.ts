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

/** Which screen the page last showed, kept so that the next start can paint it before the
 * module has loaded: the state only ("signed_out" or "locked"), no name and no business data. */
const SCREEN_HINT = 'satchel.screen';
type ScreenHint = 'signed_out' | 'locked';

function lastScreen(): ScreenHint {
  try {
    return localStorage.getItem(SCREEN_HINT) === 'locked' ? 'locked' : 'signed_out';
  } catch {
    return 'signed_out';
  }
}

function rememberScreen(hint: ScreenHint): void {
  try {
    if (localStorage.getItem(SCREEN_HINT) !== hint) localStorage.setItem(SCREEN_HINT, hint);
  } catch {
    // Private mode or storage off: the next start paints the sign-in screen first, as on a new device.
  }
}

/** Resolves once the screen just rendered has been painted (the frame after it), or after
 * 100 ms where frames do not run (a page opened in the background). */
function afterFirstPaint(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => resolve();
    requestAnimationFrame(() => setTimeout(done, 0));
    setTimeout(done, 100);
  });
}

/** Gives the browser its turn between slices of background work: input, frames, and the
 * page's other tasks (sync, IndexedDB answers) queued meanwhile all go first. (`scheduler.yield`
 * would put the next slice ahead of those, and the workspace's own first paint behind them.) */
function yieldToBrowser(): Promise<void> {
  // A message rather than `setTimeout(0)`, which browsers stretch to 4 ms once nested.
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

// A slice of the catalog's opening: a few milliseconds of a cheap phone's main thread.
const SLICE_MS = 8;
const SLICE_PRODUCTS = 25;

/** Opens the products an unlock left sealed, in slices after the workspace is painted, so the
 * outlets of the day show first and a tap is never kept waiting. A search typed before the last
 * slice opens the rest at once (the module never answers from part of the catalog).
 * `#app[data-catalog]` says where it stands: `opening`, then `open`. */
function openCatalogInSlices(ws: Workspace, root: HTMLElement): void {
  if (root.dataset['catalog'] === 'opening') return;
  root.dataset['catalog'] = 'opening';
  void (async () => {
    await afterFirstPaint();
    try {
      for (;;) {
        const start = performance.now();
        let left = ws.openProducts(SLICE_PRODUCTS);
        while (left > 0 && performance.now() - start < SLICE_MS) left = ws.openProducts(SLICE_PRODUCTS);
        if (left === 0) break;
        await yieldToBrowser();
      }
      root.dataset['catalog'] = 'open';
    } catch {
      // Locked meanwhile: the next unlock seals the catalog again and opens it again.
      delete root.dataset['catalog'];
    }
  })();
}

async function boot(root: HTMLElement): Promise<void> {
  document.documentElement.dataset['build'] = __BUILD_TAG__;
  const idle = idleTimeoutOption();
  // The screen the page last showed is painted from this script first; the module downloads
  // and compiles (streaming) after that paint, so that on a slow network it does not take the
  // bandwidth the first screen needs. A cheap phone can type its PIN or its password meanwhile,
  // and a submit waits for the module.
  const loading: Promise<Workspace> = afterFirstPaint()
    .then(() => init({ module_or_path: __WASM_URL__ }))
    .then(() => Workspace.open(idle === undefined ? {} : { idle_timeout_ms: idle }));
  // The service worker registers once the module is in (or failed): on a first visit its
  // precache then finds the module in the HTTP cache instead of downloading it again alongside.
  void loading.then(registerServiceWorker, registerServiceWorker);
  let signingIn = false;
  let route: () => void = () => {};
  const early =
    lastScreen() === 'locked'
      ? { kind: 'locked' as const, screen: renderLock(loading, undefined) }
      : {
          kind: 'signed_out' as const,
          screen: renderSignIn(root, loading, () => route(), {
            onBusy: (busy) => {
              signingIn = busy;
            },
            // As below: a refusal keeps this screen (and its error) unless the vault moved.
            onFailed: () => {
              void loading.then((w) => (w.vaultStatus().state !== 'signed_out' ? route() : undefined)).catch(() => {});
            },
          }),
        };
  if (early.kind === 'locked') root.replaceChildren(early.screen.el);
  root.dataset['screen'] = 'early';
  const ws: Workspace = await loading;

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
  // The screen painted before the module, taken over by the first route when it is the right one.
  let painted: typeof early | undefined = early;
  const showSignIn = (): void => {
    if (painted?.kind === 'signed_out') {
      const screen = painted.screen;
      painted = undefined;
      statusHandler = (s) => screen.onStatus(s);
      return;
    }
    painted = undefined;
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
    let screen: LockScreen;
    if (painted?.kind === 'locked') {
      screen = painted.screen;
      screen.setSession(ws.session());
      screen.onVault(ws.vaultStatus());
    } else {
      screen = renderLock(ws, ws.session());
      root.replaceChildren(screen.el);
    }
    painted = undefined;
    lockScreen = screen;
    statusHandler = (s) => screen.onStatus(s);
    void ws.status().then((s) => screen.onStatus(s));
    startSync();
  };
  const showWorkspace = (): void => {
    painted = undefined;
    lockScreen = undefined;
    if (workspaceEl) {
      root.replaceChildren(workspaceEl);
      openCatalogInSlices(ws, root);
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
    openCatalogInSlices(ws, root);
    startSync();
    // The loop may already run (it did behind the lock screen): show its state now.
    void ws.status().then((s) => statusHandler?.(s));
  };
  route = (): void => {
    const v = ws.vaultStatus();
    rememberScreen(v.state === 'signed_out' ? 'signed_out' : 'locked');
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
  root.dataset['screen'] = 'module';
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
