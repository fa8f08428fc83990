// The shared offline module of the pages that work without network (the check-in page of
// Événements, the collection page of Enquête). It gives:
// - uuid(): a client-generated UUID v4 (the server stores each UUID once);
// - coffre(nom): values by key in an IndexedDB database of that name;
// - new File(coffre, cle): a queue kept in IndexedDB *before* anything is sent. envoyer()
//   sends a copy of the queue and forgets only the items the server acknowledged; a page
//   closed during a sync loses nothing (the queue is still there, the next sync sends it
//   again, the server ignores what it already has);
// - installer(sw, portee, urls): registers the shared service worker (network first, the
//   cached copy offline) and puts the page and its scripts in its cache.
'use strict';
(function () {
  const CACHE = 'maillage-hors-ligne-v1';

  function uuid() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    const o = new Uint8Array(16);
    crypto.getRandomValues(o);
    o[6] = (o[6] & 0x0f) | 0x40;
    o[8] = (o[8] & 0x3f) | 0x80;
    const h = Array.from(o, (b) => b.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function coffre(nom) {
    let ouverte = null;
    function base() {
      if (!ouverte) {
        ouverte = new Promise((ok, ko) => {
          const r = indexedDB.open(nom, 1);
          r.onupgradeneeded = () => r.result.createObjectStore('valeurs');
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
      }
      return ouverte;
    }
    return {
      async lire(cle) {
        const db = await base();
        return new Promise((ok, ko) => {
          const r = db.transaction('valeurs').objectStore('valeurs').get(cle);
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
      },
      async ecrire(cle, valeur) {
        const db = await base();
        return new Promise((ok, ko) => {
          const t = db.transaction('valeurs', 'readwrite');
          t.objectStore('valeurs').put(valeur, cle);
          t.oncomplete = () => ok();
          t.onerror = () => ko(t.error);
        });
      },
    };
  }

  // A queue of items, each with its `uuid`, kept on the device.
  class File {
    constructor(c, cle) { this.coffre = c; this.cle = cle; this.elements = []; this.enCours = false; }
    async charger() { this.elements = (await this.coffre.lire(this.cle)) || []; return this; }
    async sauver() { await this.coffre.ecrire(this.cle, this.elements); }
    async ajouter(element) { this.elements.push(element); await this.sauver(); }
    get longueur() { return this.elements.length; }
    // `envoi(lot)` sends the items and resolves to the server's answer; `acquittes(reponse,
    // lot)` gives the UUIDs the server holds now. Only those leave the queue.
    async envoyer(envoi, acquittes) {
      if (this.enCours) return null;
      this.enCours = true;
      try {
        const lot = this.elements.slice();
        const reponse = await envoi(lot);
        const faits = new Set(acquittes(reponse, lot));
        this.elements = this.elements.filter((e) => !faits.has(e.uuid));
        await this.sauver();
        return { lot, reponse };
      } finally {
        this.enCours = false;
      }
    }
  }

  function installer(sw, portee, urls) {
    if (!('serviceWorker' in navigator)) return Promise.resolve();
    return navigator.serviceWorker.register(sw, { scope: portee })
      .then(() => navigator.serviceWorker.ready)
      .then(() => caches.open(CACHE))
      .then((c) => Promise.all(urls.map((u) => fetch(u, { credentials: 'same-origin' }).then((r) => r.ok && c.put(u, r)))))
      .catch(() => {});
  }

  // A JSON call to the API with the session's CSRF token; the error carries the server's
  // French message.
  async function appel(methode, url, csrf, corps) {
    const r = await fetch(url, {
      method: methode,
      credentials: 'same-origin',
      headers: corps ? { 'Content-Type': 'application/json', 'X-CSRF': csrf } : {},
      body: corps ? JSON.stringify(corps) : undefined,
    });
    const json = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(json.erreur || ('réponse ' + r.status));
    return json;
  }

  self.MaillageHorsLigne = { CACHE, uuid, coffre, File, installer, appel };
})();
