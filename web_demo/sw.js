// The service worker: the page keeps working offline. A template: edge/app/site.py fills in the
// version (a hash of every file) and the files to keep at install. A new export changes the
// version, so this file changes, the browser installs it, and it replaces the old cache.
const VERSION = '{{version}}';
const CACHE = `edge-${VERSION}`;
const PRECACHE = {{precache}};
const IMMUTABLE = '/v/'; // content-hashed folders: a URL's bytes never change

self.addEventListener('install', (event) => {
  // the page's first visit already put these in the HTTP cache: no second download
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const name of await caches.keys()) {
      if (name === CACHE || !name.startsWith('edge-')) continue;
      // keep the runtime files the old version stored under the same URL (same hash, same bytes)
      const old = await caches.open(name);
      for (const request of await old.keys()) {
        if (PRECACHE.some((url) => request.url.endsWith(url.replace(/^\.\//, ''))) || !request.url.includes(IMMUTABLE)) continue;
        if (await cache.match(request)) continue;
        const response = await old.match(request);
        if (response) await cache.put(request, response);
      }
      await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// the page tells which runtime files it loaded (the browser picks a threaded build or not)
self.addEventListener('message', (event) => {
  const port = event.ports[0];
  const urls = (event.data && event.data.keep) || [];
  caches.open(CACHE).then((cache) => cache.addAll(urls))
    .then(() => port && port.postMessage({ ok: true, kept: urls.length }))
    .catch((error) => port && port.postMessage({ ok: false, error: String(error) }));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.includes(IMMUTABLE)) { // cache first: these never change
    event.respondWith(caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(request, { ignoreVary: true });
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok) cache.put(request, response.clone());
      return response;
    }));
    return;
  }
  // the page, the model manifest, the app manifest: the network when there is one, else the copy
  event.respondWith(fetch(request).then((response) => {
    if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, response.clone())).catch(() => {});
    return response;
  }).catch(async () => (await caches.match(request, { ignoreSearch: true, ignoreVary: true }))
    || (request.mode === 'navigate' && (await caches.match('./', { ignoreVary: true })))
    || Response.error()));
});
