// Service worker of the check-in pages (/espace/evenements/{id}/accueil): network first,
// the cached copy when the network is down. The page puts itself, its script and the
// style sheet in the cache once it is open (see accueil.js). POSTs are never touched.
'use strict';
const CACHE = 'maillage-accueil-v1';

self.addEventListener('install', (e) => { e.waitUntil(self.skipWaiting()); });
self.addEventListener('activate', (e) => { e.waitUntil(self.clients.claim()); });

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(
    fetch(req).then((rep) => {
      const url = new URL(req.url);
      if (rep.ok && (/\/accueil$/.test(url.pathname) || url.pathname.endsWith('.js') || url.pathname.endsWith('.css'))) {
        const copie = rep.clone();
        caches.open(CACHE).then((c) => c.put(url.pathname, copie));
      }
      return rep;
    }).catch(() => caches.match(new URL(req.url).pathname).then((r) => r || caches.match(req)).then((r) => r || Response.error()))
  );
});
