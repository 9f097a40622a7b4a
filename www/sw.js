// The built site's service worker. scripts/build-site.sh writes VERSION (a hash of every file's
// content hash) and PRECACHE (the site, the element and the default model) into dist/sw.js, so a
// new build is a new sw.js: the browser installs it, it fills a new cache, drops the old one and
// takes over. Files not precached (other models) are kept when first fetched.

const VERSION = 'dev';
const PRECACHE = [];
// Several builds may live on one origin under different paths: the scope keeps them apart.
const PREFIX = `attention-playground ${self.registration.scope} `;
const CACHE = `${PREFIX}${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(PRECACHE.map((file) => new Request(file, { cache: 'no-cache' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // A shared link's query string (index.html?text=…) is the same page.
    const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (cached) return cached;
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  })());
});
