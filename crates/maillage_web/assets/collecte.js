// The collection page of a survey campaign (/espace/enquete/{id}/collecte): keeps the
// campaign's file (questionnaire, addresses) in IndexedDB, records visits (absent → revisit,
// refusal, done) and questionnaires with no network, and sends them when the network is
// back. Each visit and each questionnaire carries a UUID drawn here: sending twice stores
// nothing twice. A questionnaire holds the commune (and IRIS) of the address, never the
// address. The offline machinery is the shared module hors-ligne.js.
'use strict';
(function () {
  const racine = document.getElementById('collecte');
  if (!racine) return;
  const H = self.MaillageHorsLigne;
  const campagne = racine.dataset.campagne;
  const csrf = racine.dataset.csrf;
  const API = '/api/v1/enquete/' + campagne;
  const $ = (id) => document.getElementById(id);
  const K = (n) => n + '-' + campagne;
  const coffre = H.coffre('maillage-enquete');
  const file = new H.File(coffre, K('file'));
  let dossier = null;   // as GET …/dossier answered
  let rejets = [];      // items the server refused, with the reason
  let adresseCourante = null;

  const ISSUES = { absent: 'absent, à revoir', refus: 'refus', fait: 'questionnaire fait' };

  function message(texte) {
    const li = document.createElement('li');
    li.textContent = texte;
    $('collecte-messages').prepend(li);
  }
  function heure() { return new Date().toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' }); }

  function afficherEtat() {
    const q = file.elements.filter((e) => e.type === 'questionnaire').length;
    const v = file.elements.filter((e) => e.type === 'visite').length;
    $('collecte-etat').textContent = (navigator.onLine ? 'En ligne' : 'Hors ligne') + ' — à envoyer : ' +
      v + ' visite(s), ' + q + ' questionnaire(s).' + (rejets.length ? ' Refusés par le serveur : ' + rejets.length + '.' : '');
  }

  // The last outcome of each address: the server's, then this device's.
  function issues() {
    const d = {};
    for (const v of dossier.visites) d[v.adresse_id] = v;
    for (const e of file.elements) if (e.type === 'visite') d[e.adresse_id] = e;
    return d;
  }

  function afficherAdresses() {
    const ul = $('collecte-adresses');
    ul.textContent = '';
    const d = issues();
    for (const a of dossier.adresses) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Visiter ' + a.adresse;
      b.addEventListener('click', () => ouvrir(a));
      li.append(b);
      const v = d[a.id];
      if (v) li.append(' — ' + (ISSUES[v.issue] || v.issue) + (v.revisite ? ' (le ' + v.revisite.split('-').reverse().join('/') + ')' : ''));
      ul.append(li);
    }
  }

  function ouvrir(a) {
    adresseCourante = a;
    $('collecte-adresse').textContent = a.adresse;
    $('collecte-questionnaire').hidden = true;
    $('collecte-visite').hidden = false;
    $('collecte-visite-titre').focus();
  }
  function fermer() {
    adresseCourante = null;
    $('collecte-visite').hidden = true;
  }

  function revisite() {
    const d = new Date(Date.now() + 7 * 86400000);
    return d.toISOString().slice(0, 10);
  }

  async function visite(issue) {
    const a = adresseCourante;
    if (!a) return;
    const v = { type: 'visite', uuid: H.uuid(), adresse_id: a.id, issue, at: new Date().toISOString() };
    if (issue === 'absent') v.revisite = revisite();
    await file.ajouter(v);
    return v;
  }

  async function absentOuRefus(issue) {
    const a = adresseCourante;
    await visite(issue);
    message(a.adresse + ' : ' + ISSUES[issue] + ' (' + heure() + ').');
    fermer();
    afficherAdresses();
    afficherEtat();
    if (navigator.onLine) synchroniser();
  }

  // The questionnaire's form, built from the campaign's version.
  function champ(q) {
    const id = 'q-' + q.code;
    const bloc = document.createElement('div');
    bloc.className = 'question';
    const choix = (type, options) => {
      const fs = document.createElement('fieldset');
      const lg = document.createElement('legend');
      lg.textContent = q.libelle + (q.requise ? ' (obligatoire)' : '');
      fs.append(lg);
      options.forEach((o, i) => {
        const p = document.createElement('p');
        const input = document.createElement('input');
        input.type = type;
        input.name = q.code;
        input.value = o.code;
        input.id = id + '-' + i;
        if (q.requise && type === 'radio') input.required = true;
        const label = document.createElement('label');
        label.htmlFor = input.id;
        label.textContent = o.libelle;
        p.append(input, ' ', label);
        fs.append(p);
      });
      return fs;
    };
    if (q.type === 'choix_unique') bloc.append(choix('radio', q.options));
    else if (q.type === 'choix_multiple') bloc.append(choix('checkbox', q.options));
    else if (q.type === 'oui_non') bloc.append(choix('radio', [{ code: 'oui', libelle: 'Oui' }, { code: 'non', libelle: 'Non' }]));
    else {
      const p = document.createElement('p');
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = q.libelle + (q.requise ? ' (obligatoire)' : '');
      const input = document.createElement('input');
      input.id = id;
      input.name = q.code;
      if (q.type === 'nombre') {
        input.type = 'number';
        input.inputMode = 'numeric';
        if (q.min !== undefined) input.min = q.min;
        if (q.max !== undefined) input.max = q.max;
      } else {
        input.type = 'text';
        input.maxLength = 200;
      }
      if (q.requise) input.required = true;
      p.append(label, document.createElement('br'), input);
      bloc.append(p);
    }
    return bloc;
  }

  function construireFormulaire() {
    const div = $('collecte-questions');
    div.textContent = '';
    for (const q of dossier.questionnaire.questions) div.append(champ(q));
  }

  function lireReponses() {
    const f = $('collecte-questionnaire');
    const r = {};
    for (const q of dossier.questionnaire.questions) {
      if (q.type === 'choix_multiple') {
        const v = Array.from(f.querySelectorAll('input[name="' + q.code + '"]:checked'), (i) => i.value);
        if (v.length) r[q.code] = v;
      } else if (q.type === 'choix_unique' || q.type === 'oui_non') {
        const i = f.querySelector('input[name="' + q.code + '"]:checked');
        if (i) r[q.code] = i.value;
      } else {
        const i = f.querySelector('#q-' + q.code);
        const v = i ? i.value.trim() : '';
        if (v) r[q.code] = q.type === 'nombre' ? Number(v) : v;
      }
    }
    return r;
  }

  async function enregistrerQuestionnaire(e) {
    e.preventDefault();
    const a = adresseCourante;
    if (!a) return;
    const q = {
      type: 'questionnaire', uuid: H.uuid(), questionnaire_id: dossier.questionnaire_id,
      commune: a.commune, reponses: lireReponses(), at: new Date().toISOString(),
    };
    if (a.iris) q.iris = a.iris;
    await file.ajouter(q);
    await visite('fait');
    $('collecte-questionnaire').reset();
    message(a.adresse + ' : questionnaire enregistré sur l’appareil (' + heure() + ').');
    fermer();
    afficherAdresses();
    afficherEtat();
    if (navigator.onLine) synchroniser();
  }

  async function telecharger() {
    dossier = await H.appel('GET', API + '/dossier', csrf);
    await coffre.ecrire(K('dossier'), dossier);
  }

  // Syncs run one after the other (the network's return and a tap on the button may ask
  // at the same time): each gets its own answer.
  let chaine = Promise.resolve();
  function synchroniser() {
    chaine = chaine.then(synchroniserMaintenant, synchroniserMaintenant);
    return chaine;
  }

  async function synchroniserMaintenant() {
    try {
      const envoi = await file.envoyer((lot) => H.appel('POST', API + '/synchro', csrf, {
        visites: lot.filter((x) => x.type === 'visite').map(({ type, ...v }) => v),
        questionnaires: lot.filter((x) => x.type === 'questionnaire').map(({ type, ...q }) => q),
      }), (r) => r.nouveaux.concat(r.deja_recus, r.rejets.map((x) => x.uuid)));
      if (!envoi) return;
      const { lot, reponse: r } = envoi;
      for (const x of r.rejets) {
        const el = lot.find((y) => y.uuid === x.uuid);
        rejets.push({ element: el, message: x.message });
        message('Refusé par le serveur : ' + x.message + '.');
      }
      await coffre.ecrire(K('rejets'), rejets);
      await telecharger();
      message('Envoyé à ' + heure() + ' : ' + r.nouveaux.length + ' nouveau(x), ' + r.deja_recus.length + ' déjà reçu(s).');
    } catch (err) {
      message('Envoi impossible pour le moment (' + err.message + ') : tout reste sur l’appareil.');
    } finally {
      afficherAdresses();
      afficherEtat();
    }
  }

  async function demarrer() {
    dossier = (await coffre.lire(K('dossier'))) || null;
    rejets = (await coffre.lire(K('rejets'))) || [];
    await file.charger();
    if (navigator.onLine) {
      try {
        if (file.longueur) await synchroniser();
        else await telecharger();
        message('Campagne téléchargée : l’appareil est prêt à travailler hors ligne.');
      } catch (err) {
        message('Campagne non mise à jour (' + err.message + ').');
      }
    }
    if (!dossier) {
      $('collecte-etat').textContent = 'La campagne n’est pas encore sur cet appareil : ouvrez cette page une fois avec du réseau.';
      return;
    }
    construireFormulaire();
    $('collecte-outils').hidden = false;
    $('collecte-absent').addEventListener('click', () => absentOuRefus('absent'));
    $('collecte-refus').addEventListener('click', () => absentOuRefus('refus'));
    $('collecte-accepte').addEventListener('click', () => { $('collecte-questionnaire').hidden = false; });
    $('collecte-fermer').addEventListener('click', fermer);
    $('collecte-questionnaire').addEventListener('submit', enregistrerQuestionnaire);
    $('collecte-synchroniser').addEventListener('click', synchroniser);
    window.addEventListener('online', () => { afficherEtat(); synchroniser(); });
    window.addEventListener('offline', afficherEtat);
    afficherAdresses();
    afficherEtat();
  }

  H.installer('/espace/enquete/hors-ligne-sw.js', '/espace/enquete/',
    [location.pathname, '/espace/hors-ligne.js', '/espace/enquete/collecte.js', '/assets/maillage.css']);
  demarrer().catch((err) => { $('collecte-etat').textContent = 'Erreur : ' + err.message; });
})();
