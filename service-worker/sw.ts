/// <reference lib="webworker" />
// Satchel's service worker: it keeps the versioned app shell (HTML, JS, CSS, Wasm, icons) in a
// cache so that the app opens and reloads with the network off, and it uploads the outbox on the
// browser's Background Sync (when the app is closed or the phone slept). No domain logic lives
// here: the outbox entries are sealed to the server's key by the Wasm module at commit, and this
// worker only carries them, with the push-only token, exactly as the page's sync loop would.
//
// `__SATCHEL_PRECACHE__` is injected by www/build.mjs: every file of the built shell with a
// content hash, and a version that is a hash of those hashes. A new build therefore means a new
// sw.js, a new cache `satchel-shell-<version>`, and the old cache deleted on activate.
//
// Updates wait. A new version installs (precaches) beside the running one and stays `waiting`
// until the page, on the rep's "Update now", posts `{type: 'skip-waiting'}`; only then does it
// activate and take the open pages (which reload once). Nothing changes under an order being
// typed. The first install has no version to wait for, so it activates at once and claims the
// page, which keeps the app working offline after its very first visit. With every window of the
// app closed the browser activates a waiting version by itself, so the next start is current.

declare const self: ServiceWorkerGlobalScope;

interface PrecacheEntry {
  /** Absolute path on this origin, e.g. "/app.3f2a9c1d7e.js". */
  url: string;
  /** Content hash of the file. */
  revision: string;
  /** Named by its content (`app.<hash>.js`): any copy under that name is this file. */
  immutable?: boolean;
}

declare const __SATCHEL_PRECACHE__: { version: string; entries: PrecacheEntry[] };

const PRECACHE = __SATCHEL_PRECACHE__;
const CACHE_PREFIX = 'satchel-shell-';
const CACHE_NAME = `${CACHE_PREFIX}${PRECACHE.version}`;
const SHELL_PAGE = '/index.html';
const PRECACHED_PATHS = new Set(PRECACHE.entries.map((e) => e.url));

self.addEventListener('install', (event: ExtendableEvent) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE_NAME);
      // Files named by their content come from the HTTP cache when the page has just downloaded
      // them (a first visit then downloads the module once, not twice); the others (the page, the
      // manifest, the icons) bypass it with `reload`, so the cache holds exactly this build.
      await cache.addAll(PRECACHE.entries.map((e) => new Request(e.url, { cache: e.immutable ? 'default' : 'reload' })));
      // No skipWaiting() here: see the top of this file.
    })(),
  );
});

/** The page's "Update now": the one message this worker acts on. */
self.addEventListener('message', (event: ExtendableMessageEvent) => {
  const data: unknown = event.data;
  if (typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'skip-waiting') {
    event.waitUntil(self.skipWaiting());
  }
});

self.addEventListener('activate', (event: ExtendableEvent) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE_NAME).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event: FetchEvent) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The API is network-only: a failure must reach the module as a failure.
  if (url.pathname.startsWith('/api/')) return;

  if (request.mode === 'navigate') {
    // Every page of the app is the same shell; cache first so an offline reload opens the app.
    event.respondWith(fromCache(SHELL_PAGE, request));
  } else if (PRECACHED_PATHS.has(url.pathname)) {
    event.respondWith(fromCache(url.pathname, request));
  }
});

// ---- Background Sync: upload sealed outbox entries while no page runs --------------------------
//
// The page registers the tag `satchel-push` whenever orders wait. On `sync` the worker reads, in
// clear, what the module keeps readable without the data key (the device record with its
// push-only token, the sealed outbox entries, the number of document numbers left) and posts them
// in batches, unless a window of the app is open (its leader tab syncs). It never changes the outbox: the page's next push gets `duplicate` for what this
// one delivered and acknowledges it then (the answers must be sealed to the device's key, which
// is the module's job). A failure rejects the event, so the browser retries later.

const SYNC_TAG = 'satchel-push';
const DB_NAME = 'satchel';
const BATCH = 100;
// core's `PUSH_SEALED_BUDGET` and `PUSH_ENTRY_OVERHEAD` (sync/protocol.rs): a push takes entries
// while their sealed text fits half the server's 1 MiB body, and at least one. A day of large
// orders would otherwise make a body the server refuses, on every sync event.
const SEALED_BUDGET = 512 * 1024;
const ENTRY_OVERHEAD = 96;

/** How many of `entries` go in one push (the module's own pushes cut theirs the same way). */
function fits(entries: OutboxEntry[]): number {
  let used = 0;
  let taken = 0;
  for (const e of entries) {
    used += e.sealed.length + ENTRY_OVERHEAD;
    if (taken > 0 && used > SEALED_BUDGET) break;
    taken += 1;
  }
  return taken;
}

interface DeviceRecord {
  device_id: string;
  push_token: string;
}
interface OutboxEntry {
  seq: number;
  id: string;
  sealed: string;
}
interface NumberRange {
  first: number;
  last: number;
}

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}

self.addEventListener('sync', ((event: SyncEvent) => {
  if (event.tag === SYNC_TAG) event.waitUntil(pushOutbox());
}) as EventListener);

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The module's database if it exists, never creating it: opening without a version creates
 * an empty version-1 database when there is none (after the browser evicted IndexedDB), which
 * the module's own migrations then could not upgrade, and the app would not start. An upgrade
 * this open would need is aborted instead. */
async function openExisting(): Promise<IDBDatabase | undefined> {
  return new Promise((resolve) => {
    const req = indexedDB.open(DB_NAME);
    let created = false;
    req.onupgradeneeded = () => {
      created = true;
      req.transaction?.abort();
    };
    req.onsuccess = () => {
      if (created) {
        req.result.close();
        resolve(undefined);
      } else resolve(req.result);
    };
    req.onerror = () => resolve(undefined);
    req.onblocked = () => resolve(undefined);
  });
}

async function readOutbox(): Promise<{ device: DeviceRecord; entries: OutboxEntry[]; numbersLeft: number } | undefined> {
  const db = await openExisting();
  if (!db) return undefined;
  try {
    if (!db.objectStoreNames.contains('outbox') || !db.objectStoreNames.contains('meta')) return undefined;
    const tx = db.transaction(['meta', 'outbox'], 'readonly');
    const meta = tx.objectStore('meta');
    const deviceText = await request(meta.get('device'));
    if (typeof deviceText !== 'string') return undefined;
    const device = JSON.parse(deviceText) as DeviceRecord;
    // The counters record (data format 5); a device whose app has not opened since the update
    // still has format 4's separate record.
    const countersText = await request(meta.get('counters'));
    const legacyText = typeof countersText === 'string' ? undefined : await request(meta.get('number_ranges'));
    const ranges =
      typeof countersText === 'string'
        ? ((JSON.parse(countersText) as { number_ranges?: NumberRange[] }).number_ranges ?? [])
        : typeof legacyText === 'string'
          ? (JSON.parse(legacyText) as NumberRange[])
          : [];
    // A count of numbers, not money.
    const numbersLeft = ranges.reduce((n, r) => n + Math.max(0, r.last - r.first + 1), 0);
    const values = await request(tx.objectStore('outbox').getAll(undefined, BATCH));
    const entries = values.filter((v): v is string => typeof v === 'string').map((v) => JSON.parse(v) as OutboxEntry);
    return { device, entries: entries.slice(0, fits(entries)), numbersLeft };
  } finally {
    db.close();
  }
}

async function pushOutbox(): Promise<void> {
  // An open app window runs the module's own sync loop (one leader tab): pushing from here too
  // would only send the same entries twice. This is for when no window of the app is open.
  const windows = await self.clients.matchAll({ type: 'window' });
  if (windows.length > 0) return;
  const found = await readOutbox();
  if (!found || found.entries.length === 0) return;
  const { device, entries, numbersLeft } = found;
  const res = await fetch('/api/v1/sync/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${device.push_token}` },
    body: JSON.stringify({
      device_id: device.device_id,
      sealed: entries.map((e) => ({ seq: e.seq, id: e.id, sealed: e.sealed })),
      numbers_left: numbersLeft,
    }),
  });
  // 4xx other than a rate limit will not get better by retrying; the page shows those.
  if (res.status >= 500 || res.status === 429) throw new Error(`push answered ${res.status}`);
}

/** The cached copy of `path` in this version's cache, else the network. */
async function fromCache(path: string, request: Request): Promise<Response> {
  const cache = await caches.open(CACHE_NAME);
  const hit = await cache.match(path);
  return hit ?? fetch(request);
}

export {};
