// The shared service worker of the pages that work offline (check-in, survey collection):
// network first, the cached copy when the network is down. A page puts itself, its
// scripts and the style sheet in the cache once it is open (hors-ligne.js, installer());
// afterwards, every fresh copy of a cached path, and of any script or style sheet,
// replaces the old one. POSTs are never touched.
'use strict';
const CACHE = 'maillage-hors-ligne-v1';

self.addEventListener('install', (e) => { e.waitUntil(self.skipWaiting()); });
self.addEventListener('activate', (e) => { e.waitUntil(self.clients.claim()); });

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  e.respondWith(
    fetch(req).then(async (rep) => {
      if (rep.ok) {
        const c = await caches.open(CACHE);
        const connu = await c.match(url.pathname);
        if (connu || url.pathname.endsWith('.js') || url.pathname.endsWith('.css')) {
          await c.put(url.pathname, rep.clone());
        }
      }
      return rep;
    }).catch(() => caches.match(url.pathname).then((r) => r || caches.match(req)).then((r) => r || Response.error()))
  );
});
