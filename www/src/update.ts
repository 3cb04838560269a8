// "A new version is ready": the page half of the service worker's update flow.
//
// A deploy installs a new worker beside the running one, and it waits (service-worker/sw.ts). This
// module notices the waiting worker and offers it through `onReady`; the rep applies it with a
// tap, never the app by itself, so no order being typed is interrupted. Applying asks the waiting
// worker to skip waiting; when it has taken the page (`controllerchange`) the page reloads, once.
//
// Nothing reloads unless this page asked: the first install also changes the controller (its
// `clients.claim()`), and another tab's update changes it under this one; neither reloads here.
// A reload loop is not possible: the reloaded page is controlled by the worker it asked for and
// finds nothing waiting.

import { h } from './dom.ts';

/** How often an open, visible app asks the server for a new sw.js (a few hundred bytes, or a 304). */
const CHECK_EVERY_MS = 30 * 60_000;
/** Coming back to the app checks at most this often (switching apps flips visibility a lot). */
const MIN_GAP_MS = 60_000;

/** Called with the way to apply the update (possibly again, with a new way, for the same banner). */
export type OnUpdateReady = (apply: () => void) => void;

export function watchForUpdates(registration: ServiceWorkerRegistration, onReady: OnUpdateReady): void {
  const sw = navigator.serviceWorker;
  let controlled = Boolean(sw.controller);
  let offered: ServiceWorker | undefined;
  let applying = false;
  let reloading = false;

  const offer = (worker: ServiceWorker): void => {
    // No controller: the first install, which activates by itself without a prompt.
    if (!sw.controller || offered === worker) return;
    offered = worker;
    onReady(() => {
      applying = true;
      worker.postMessage({ type: 'skip-waiting' });
    });
  };
  const track = (worker: ServiceWorker | null): void => {
    if (!worker) return;
    const installed = (): void => {
      if (worker.state === 'installed' && registration.waiting === worker) offer(worker);
    };
    worker.addEventListener('statechange', installed);
    installed();
  };

  if (registration.waiting) offer(registration.waiting);
  track(registration.installing);
  registration.addEventListener('updatefound', () => track(registration.installing));

  sw.addEventListener('controllerchange', () => {
    if (applying) {
      if (!reloading) {
        reloading = true;
        location.reload();
      }
      return;
    }
    if (!controlled) {
      controlled = true; // the first install claimed this page
      return;
    }
    // Another tab applied the update: this page runs the old code under the new worker. The
    // banner stays; its button now only has to reload.
    onReady(() => {
      if (!reloading) {
        reloading = true;
        location.reload();
      }
    });
  });

  scheduleChecks(registration);
}

/** Asks for a new sw.js now and then, cheaply: never offline, never from a hidden page. */
function scheduleChecks(registration: ServiceWorkerRegistration): void {
  let last = Date.now(); // registering has just checked
  const check = (force: boolean): void => {
    if (!navigator.onLine || document.visibilityState !== 'visible') return;
    if (!force && Date.now() - last < MIN_GAP_MS) return;
    last = Date.now();
    registration.update().catch(() => {
      // Unreachable server or a broken sw.js: the running version carries on; next time.
    });
  };
  setInterval(() => check(true), CHECK_EVERY_MS);
  document.addEventListener('visibilitychange', () => check(false));
  // Back from the basement: the deploy may have happened meanwhile, and a check while offline failed.
  window.addEventListener('online', () => check(true));
}

/**
 * The banner, fixed at the top of the viewport above whatever screen shows (the lock screen
 * included), outside the app's root so that screen changes leave it alone. A second call
 * replaces the banner: there is only ever one, with the latest `apply`.
 */
export function renderUpdateBanner(apply: () => void): HTMLElement {
  document.querySelector('[data-testid="update-ready"]')?.remove();
  const button = h('button', { type: 'button', class: 'update-now', 'data-testid': 'update-now' }, 'Update now');
  button.addEventListener('click', () => {
    button.disabled = true;
    button.textContent = 'Updating…';
    apply();
  });
  const banner = h('div', { class: 'update-banner', 'data-testid': 'update-ready', role: 'status' }, h('span', {}, 'A new version is ready'), button);
  document.body.append(banner);
  document.body.classList.add('update-ready');
  return banner;
}
