/// <reference lib="webworker" />
// Satchel's service worker: it keeps the versioned app shell (HTML, JS, CSS, Wasm, icons) in a
// cache so that the app opens and reloads with the network off. No domain logic lives here:
// orders, the outbox and sync belong to the Wasm module, and `/api/` is never touched.
//
// `__SATCHEL_PRECACHE__` is injected by www/build.mjs: every file of the built shell with a
// content hash, and a version that is a hash of those hashes. A new build therefore means a new
// sw.js, a new cache `satchel-shell-<version>`, and the old cache deleted on activate.

declare const self: ServiceWorkerGlobalScope;

interface PrecacheEntry {
  /** Absolute path on this origin, e.g. "/app.3f2a9c1d7e.js". */
  url: string;
  /** Content hash of the file. */
  revision: string;
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
      // `reload` bypasses the HTTP cache, so the cache holds exactly the files this build names.
      await cache.addAll(PRECACHE.entries.map((e) => new Request(e.url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
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

/** The cached copy of `path` in this version's cache, else the network. */
async function fromCache(path: string, request: Request): Promise<Response> {
  const cache = await caches.open(CACHE_NAME);
  const hit = await cache.match(path);
  return hit ?? fetch(request);
}

export {};
