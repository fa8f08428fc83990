// The check-in page (/espace/evenements/{id}/accueil): keeps the sessions' lists in
// IndexedDB, checks people in (by name, or by the ticket's QR code where BarcodeDetector
// exists), adds walk-ins within the seats this device holds (its allotment), and sends
// everything when the network is back. Each check-in carries a UUID drawn here: sending
// twice creates nothing on the server. The offline machinery (UUIDs, IndexedDB, the queue,
// the service worker) is the shared module hors-ligne.js.
'use strict';
(function () {
  const racine = document.getElementById('accueil');
  if (!racine) return;
  const ev = racine.dataset.evenement;
  const csrf = racine.dataset.csrf;
  const API = '/api/v1/evenements/' + ev;
  const $ = (id) => document.getElementById(id);
  const PLACES_DEMANDEES = 5;

  const H = self.MaillageHorsLigne;
  const uuid = H.uuid;
  const coffre = H.coffre('maillage-accueil');

  let appareil = localStorage.getItem('maillage-appareil');
  if (!appareil) { appareil = uuid(); localStorage.setItem('maillage-appareil', appareil); }

  // State kept on the device for this event.
  let listes = null;          // as GET …/listes answered
  const K = (n) => n + '-' + ev;
  const file = new H.File(coffre, K('file')); // check-ins not yet sent
  let allocations = {};       // session id → seats held by this device (left)

  async function sauver() {
    await coffre.ecrire(K('listes'), listes);
    await file.sauver();
    await coffre.ecrire(K('allocations'), allocations);
  }

  function message(texte) {
    const li = document.createElement('li');
    li.textContent = texte;
    $('accueil-messages').prepend(li);
  }
  function etat(texte) { $('accueil-etat').textContent = texte; }
  function heure() { return new Date().toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' }); }

  function sessionCourante() {
    if (!listes) return null;
    const id = Number($('accueil-session').value);
    return listes.sessions.find((s) => s.id === id) || null;
  }

  function enAttente(sessionId) { return file.elements.filter((p) => p.session === sessionId); }

  function afficherPlaces() {
    const s = sessionCourante();
    if (!s) return;
    const tenues = allocations[s.id] || 0;
    const n = enAttente(s.id).length;
    $('accueil-places').textContent =
      'Places tenues par cet appareil pour des personnes sans inscription : ' + tenues +
      '. Pointages à envoyer : ' + n + '.';
  }

  function afficherEtat() {
    etat((navigator.onLine ? 'En ligne' : 'Hors ligne') + ' — ' + file.longueur +
      ' pointage(s) à envoyer. Listes lues à ' + (listes ? new Date(listes.lu_a).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' }) : '—') + '.');
    afficherPlaces();
  }

  function afficherResultats() {
    const ul = $('accueil-resultats');
    ul.textContent = '';
    const s = sessionCourante();
    if (!s) return;
    const q = $('accueil-recherche').value.trim().toLocaleLowerCase('fr');
    if (!q) return;
    const trouves = s.inscriptions.filter((i) => i.prenom.toLocaleLowerCase('fr').includes(q)).slice(0, 20);
    if (!trouves.length) {
      const li = document.createElement('li');
      li.textContent = 'Personne de ce nom dans la liste de cette session.';
      ul.append(li);
    }
    for (const i of trouves) {
      const li = document.createElement('li');
      if (i.pointe_a) {
        li.textContent = i.prenom + ' : déjà pointé à ' + i.pointe_a + '.';
      } else {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = 'Pointer ' + i.prenom;
        b.addEventListener('click', () => pointer(s, i));
        li.append(b);
        if (i.statut !== 'inscrit') {
          li.append(' (' + (i.statut === 'liste_attente' ? 'sur liste d’attente' : i.statut === 'annule' ? 'inscription annulée' : i.statut) + ')');
        }
      }
      ul.append(li);
    }
  }

  // The need chosen for this check-in (then the choice goes back to « none »).
  function besoin() {
    const b = $('accueil-besoin');
    const v = b.value;
    b.value = '';
    return v || undefined;
  }

  async function pointer(s, i) {
    i.pointe_a = heure();
    await file.ajouter({ uuid: uuid(), session: s.id, inscription: i.uuid, besoin: besoin(), heure: new Date().toISOString() });
    await sauver();
    message(i.prenom + ' : pointé à ' + i.pointe_a + '.');
    afficherResultats();
    afficherEtat();
    if (navigator.onLine) synchroniser(false);
  }

  async function surPlace(e) {
    e.preventDefault();
    const s = sessionCourante();
    if (!s) return;
    const tenues = allocations[s.id] || 0;
    if (tenues <= 0) {
      message('Refusé : cet appareil n’a plus de place tenue pour « ' + s.titre +
        ' ». Envoyez les pointages quand le réseau revient pour en demander d’autres.');
      return;
    }
    allocations[s.id] = tenues - 1;
    await file.ajouter({
      uuid: uuid(), session: s.id, tranche_age: $('accueil-tranche').value,
      statut: $('accueil-statut').value, besoin: besoin(), heure: new Date().toISOString(),
    });
    s.sur_place += 1;
    await sauver();
    message('Personne sans inscription ajoutée à « ' + s.titre + ' » (' + heure() + ').');
    afficherEtat();
    if (navigator.onLine) synchroniser(false);
  }

  function appel(methode, chemin, corps) {
    return H.appel(methode, API + chemin, csrf, corps);
  }

  async function telecharger() {
    const nouvelles = await appel('GET', '/listes');
    // Keep what this device checked in and has not sent yet.
    for (const p of file.elements) {
      const s = nouvelles.sessions.find((x) => x.id === p.session);
      if (!s) continue;
      if (p.inscription) {
        const i = s.inscriptions.find((x) => x.uuid === p.inscription);
        if (i && !i.pointe_a) i.pointe_a = new Date(p.heure).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
      } else {
        s.sur_place += 1;
      }
    }
    listes = nouvelles;
  }

  async function demanderAllocations() {
    const sessions = listes.sessions.map((s) => ({ session: s.id, places: Math.max(PLACES_DEMANDEES, allocations[s.id] || 0) }));
    const r = await appel('POST', '/allocations', { appareil, sessions });
    allocations = {};
    for (const a of r.allocations) allocations[a.session] = a.places;
  }

  let enCours = false;
  async function synchroniser(rendre) {
    if (enCours) return;
    enCours = true;
    try {
      // Every check-in of the batch has an answer: the queue forgets the whole batch.
      const envoi = await file.envoyer(
        (lot) => appel('POST', '/pointages', { appareil, pointages: lot, rendre }),
        (r, lot) => lot.map((p) => p.uuid));
      if (!envoi) return;
      const { lot, reponse: r } = envoi;
      const prenoms = {};
      for (const s of listes.sessions) for (const i of s.inscriptions) prenoms[i.uuid] = i.prenom;
      for (const res of r.resultats) {
        const p = lot.find((x) => x.uuid === res.uuid);
        const qui = p && p.inscription ? (prenoms[p.inscription] || 'inscription') : 'personne sans inscription';
        if (res.etat === 'deja_pointe' || res.etat === 'refuse') message(qui + ' : ' + res.message + '.');
      }
      for (const a of r.avertissements) message(a + '.');
      allocations = {};
      for (const a of r.allocations) allocations[a.session] = a.places;
      await telecharger();
      await demanderAllocations();
      await sauver();
      message('Pointages envoyés (' + lot.length + ') à ' + heure() + '. L’appareil est prêt à travailler hors ligne.');
    } catch (err) {
      message('Envoi impossible pour le moment (' + err.message + ') : les pointages restent sur l’appareil.');
    } finally {
      enCours = false;
      afficherResultats();
      afficherEtat();
    }
  }

  async function scanner() {
    const video = $('accueil-video');
    try {
      const flux = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = flux;
      video.hidden = false;
      await video.play();
      const detecteur = new BarcodeDetector({ formats: ['qr_code'] });
      const fin = Date.now() + 30000;
      while (Date.now() < fin) {
        const codes = await detecteur.detect(video).catch(() => []);
        const m = codes.length && /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(codes[0].rawValue);
        if (m) {
          const u = m[0].toLowerCase();
          let trouve = null;
          for (const s of listes.sessions) { const i = s.inscriptions.find((x) => x.uuid === u); if (i) { trouve = [s, i]; break; } }
          if (!trouve) message('Ce billet n’est pas dans les listes de cet événement.');
          else if (trouve[1].pointe_a) message(trouve[1].prenom + ' : déjà pointé à ' + trouve[1].pointe_a + '.');
          else await pointer(trouve[0], trouve[1]);
          break;
        }
        await new Promise((ok) => setTimeout(ok, 250));
      }
      flux.getTracks().forEach((t) => t.stop());
    } catch (err) {
      message('Caméra indisponible (' + err.message + ') : cherchez la personne par son prénom.');
    }
    video.hidden = true;
  }

  async function demarrer() {
    listes = (await coffre.lire(K('listes'))) || null;
    await file.charger();
    allocations = (await coffre.lire(K('allocations'))) || {};
    if (navigator.onLine) {
      try {
        if (file.longueur) await synchroniser(false);
        else { await telecharger(); await demanderAllocations(); await sauver(); }
        message('Listes téléchargées : l’appareil est prêt à travailler hors ligne.');
      } catch (err) {
        message('Listes non mises à jour (' + err.message + ').');
      }
    }
    if (!listes) {
      etat('Les listes ne sont pas encore sur cet appareil : ouvrez cette page une fois avec du réseau.');
      return;
    }
    $('accueil-outils').hidden = false;
    if ('BarcodeDetector' in window && navigator.mediaDevices) {
      $('accueil-scanner-zone').hidden = false;
      $('accueil-scanner').addEventListener('click', scanner);
    }
    $('accueil-session').addEventListener('change', () => { afficherResultats(); afficherEtat(); });
    $('accueil-recherche').addEventListener('input', afficherResultats);
    $('accueil-sur-place').addEventListener('submit', surPlace);
    $('accueil-synchroniser').addEventListener('click', () => synchroniser(false));
    window.addEventListener('online', () => { afficherEtat(); synchroniser(false); });
    window.addEventListener('offline', afficherEtat);
    afficherEtat();
  }

  H.installer('/espace/evenements/accueil-sw.js', '/espace/evenements/',
    [location.pathname, '/espace/hors-ligne.js', '/espace/evenements/accueil.js', '/assets/maillage.css']);
  demarrer().catch((err) => etat('Erreur : ' + err.message));
})();
