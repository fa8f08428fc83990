// Tests navigateur des pages publiques de Maillage / browser tests of Maillage's public pages.
//
//   node e2e/run.mjs http://127.0.0.1:PORT
//
// Run by `cargo test --workspace` (crates/maillage_essais/tests/navigateur/public.rs), which starts the
// server over the bundled demo data. Uses Debian's Chromium (/usr/bin/chromium) through
// playwright-core, and axe-core for accessibility. Exit status 1 on any failure.

import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import {
  avecContexte,
  decrireViolations,
  enParallele,
  executer,
  indenter,
  ouvrirContexte,
  PARALLELE,
  preparer,
  TAGS_AXE,
  verifier,
} from './commun.mjs';
import {
  BESOIN,
  chercherDepuisAccueil,
  cliquerEtAttendre,
  choisirCommuneSiAmbigu,
  cocher,
  estTuile,
  repondreAuxQuestions,
} from './lib.mjs';

const { base: BASE } = preparer({
  script: 'e2e/run.mjs',
  minutes: 15,
  filtre: process.env.E2E_FILTRE ? new RegExp(process.env.E2E_FILTRE, 'i') : null,
});
const ORIGINE = new URL(BASE).origin;
const LIMITES = { '/': 30 * 1024, '/lieux?ou=lille': 30 * 1024, '/carte': 100 * 1024 };
// Measured and printed, without a limit of their own.
const POIDS_INFO = ['/carte?lat=50.63&lon=3.06&zoom=12'];

/**
 * Runs `fn(page, contexte)` in a fresh context, then checks the pages threw no JS error.
 * Other-origin requests (map tiles) are checked by the map and widget tests themselves.
 */
const avecPage = (options, fn) => avecContexte({ ...options, autresOrigines: true }, fn);

const mode = (js) => (js ? 'JS' : 'sans JS / no JS');

// ---------------------------------------------------------------- a. orientation path

const ID_LIEU = /^\/lieux\/[^/?#]+$/;

async function verifierResultats(page) {
  const items = page.locator('ol.resultats > li.resultat');
  const n = await items.count();
  assert.ok(n >= 1, `au moins un résultat / at least one result on ${page.url()}`);
  const premier = items.first();
  const lien = premier.locator('h2 > a[href^="/lieux/"]');
  assert.equal(await lien.count(), 1, 'le premier résultat a un lien h2 > a vers /lieux/{id}');
  const href = await lien.getAttribute('href');
  assert.match(href, ID_LIEU);
  assert.ok((await lien.innerText()).trim().length > 0, 'nom du lieu / place name');
  const distance = (await premier.locator('.distance').innerText()).trim();
  assert.match(distance, /\d.*\b(m|km)\b/, `texte de distance / distance text: « ${distance} »`);
  assert.ok((await premier.locator('.ouverture').innerText()).trim().length > 0, 'texte .ouverture');
  assert.ok((await premier.locator('a.itineraire').count()) >= 1, 'lien a.itineraire');
  const tels = await page.locator('a[href^="tel:"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const t of tels) assert.match(t, /^tel:\+?[0-9]+$/, `lien tel: / tel: link ${t}`);
  return { href, nom: (await lien.innerText()).trim(), n };
}

async function verifierLieu(page, { exigerHoraires }) {
  const h1 = (await page.locator('h1').first().innerText()).trim();
  assert.ok(h1.length > 0, 'h1');
  const tables = page.locator('table.horaires');
  const aHoraires = (await tables.count()) > 0;
  if (aHoraires) {
    const lignes = await tables.first().locator('tbody tr').count();
    assert.equal(lignes, 7, `table.horaires : 7 lignes (une par jour) / 7 rows, got ${lignes}`);
  } else if (exigerHoraires) {
    assert.fail('table.horaires absente / missing');
  }
  assert.match(await page.locator('main').innerText(), /mises à jour/i, 'fraîcheur « mises à jour »');
  const form = page.locator('form#signalement');
  assert.equal(await form.count(), 1, 'form#signalement');
  assert.equal((await form.getAttribute('method')).toLowerCase(), 'post');
  const id = new URL(page.url()).pathname.split('/')[2];
  assert.equal(await form.getAttribute('action'), `/lieux/${id}/signalement`);
  return { h1, aHoraires };
}

/** The step-by-step path, kept for whoever prefers one question per page. */
async function questionsUneParUne(js, ou) {
  await avecPage({ js, largeur: 360 }, async (page) => {
    const etapes = await repondreAuxQuestions(page, BASE, {
      ou,
      surEtape: async (p, etape) => {
        const form = p.locator('form#question');
        // One question at a time.
        const visibles = [];
        for (const nom of ['besoin', 'ou', 'quand']) {
          const l = form.locator(`input[name=${nom}]:not([type=hidden])`);
          if ((await l.count()) > 0 && (await l.first().isVisible())) visibles.push(nom);
        }
        assert.ok(visibles.length <= 1, `une question à la fois / one question at a time: ${visibles}`);
        if (etape !== 'besoin') {
          const cache = form.locator('input[type=hidden][name=besoin]');
          assert.equal(await cache.count(), 1, `réponse « besoin » gardée en champ caché à l'étape ${etape}`);
          assert.equal(await cache.inputValue(), BESOIN);
        }
        if (etape === 'ou') {
          const champ = p.getByLabel('Votre commune ou code postal');
          assert.equal(await champ.count(), 1, 'champ « Votre commune ou code postal »');
          const position = p.getByRole('button', { name: /Utiliser ma position/ });
          const vue = (await position.count()) > 0 && (await position.first().isVisible());
          assert.equal(vue, js, js ? 'bouton « Utiliser ma position » avec JS' : 'pas de bouton de position sans JS');
        }
        if (etape === 'quand' || etape === 'acces') {
          const cache = form.locator('input[type=hidden][name=ou]');
          assert.equal(await cache.count(), 1, `réponse « ou » gardée en champ caché à l'étape ${etape}`);
          assert.equal(await cache.inputValue(), ou);
        }
      },
    });
    assert.deepEqual(etapes, ['besoin', 'ou', 'quand', 'acces'], 'étapes besoin → ou → quand → acces');
    await choisirCommuneSiAmbigu(page);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/lieux');
    assert.equal(url.searchParams.get('besoin'), BESOIN);
    await verifierResultats(page);
  });
}

/**
 * Home → results in two page loads: the need and the commune on the home form, « quand » and
 * « accès » folded in « Préciser… » (opened and used when `preciser`).
 */
async function parcoursOrientation(js, ou, preciser = false) {
  await avecPage({ js, largeur: 360 }, async (page) => {
    const documents = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'document' && r.frame() === page.mainFrame()) documents.push(r.url().replace(BASE, ''));
    });
    await chercherDepuisAccueil(page, BASE, {
      ou,
      ...(preciser ? { quand: 'samedi-matin', frais: 'Gratuit' } : {}),
      surAccueil: async (p, form) => {
        assert.equal(await form.getAttribute('action'), '/lieux', 'le formulaire de l’accueil mène aux résultats');
        assert.equal((await form.getAttribute('method')).toLowerCase(), 'get');
        assert.equal(await form.locator('input[name=etape]').count(), 0, 'pas d’étape sur l’accueil');
        // The need and the commune are both asked, visible at once.
        assert.ok(await form.locator('input[type=radio][name=besoin]').first().isVisible(), 'besoins visibles');
        const champ = p.getByLabel('Votre commune ou code postal');
        assert.equal(await champ.count(), 1, 'champ « Votre commune ou code postal »');
        assert.ok(await champ.isVisible(), 'champ commune visible sur l’accueil');
        assert.equal(await champ.getAttribute('required'), '', 'commune obligatoire');
        const position = p.getByRole('button', { name: /Utiliser ma position/ });
        const vue = (await position.count()) > 0 && (await position.first().isVisible());
        assert.equal(vue, js, js ? 'bouton « Utiliser ma position » avec JS' : 'pas de bouton de position sans JS');
        // « quand » and « accès » are there, folded: optional.
        const details = form.locator('details.preciser');
        assert.equal(await details.count(), 1, 'details.preciser');
        assert.equal(await details.evaluate((d) => d.open), false, '« Préciser… » fermé au départ');
        assert.equal(await details.locator('input[type=radio][name=quand]').count(), 5, '« quand » : 5 choix');
        assert.ok((await details.locator('input[type=checkbox]').count()) >= 5, '« accès » : cases');
        assert.equal(await form.locator('input[name=quand]:visible').count(), 0, '« quand » replié');
        assert.equal(
          await p.getByRole('link', { name: 'Répondre aux questions une par une' }).getAttribute('href'),
          '/?etape=besoin',
        );
      },
    });
    assert.equal(new URL(page.url()).pathname, '/lieux', `résultats après l’accueil (${page.url()})`);
    assert.equal(documents.length, 2, `deux pages de l’accueil aux résultats / two page loads: ${documents}`);
    if (preciser) {
      const u = new URL(page.url());
      assert.equal(u.searchParams.get('quand'), 'samedi-matin', 'quand=samedi-matin gardé');
      assert.equal(u.searchParams.get('frais'), 'Gratuit', 'frais=Gratuit gardé');
      assert.ok(await page.locator('details.affiner input[name=quand][value=samedi-matin]').isChecked(), 'filtre « Samedi matin » coché');
    }
    await choisirCommuneSiAmbigu(page);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/lieux');
    assert.equal(url.searchParams.get('besoin'), BESOIN);
    const urlResultats = page.url();
    const premiers = await verifierResultats(page);
    if (preciser) return;

    // Place page, then a report.
    await cliquerEtAttendre(page, page.locator('ol.resultats > li.resultat').first().locator('h2 > a'));
    assert.equal(new URL(page.url()).pathname, premiers.href);
    await verifierLieu(page, { exigerHoraires: false });
    const form = page.locator('form#signalement');
    await cocher(form.locator('input[name=categorie][value=horaires]'));
    await form.locator('textarea[name=message]').fill('Fermé le mardi');
    await cliquerEtAttendre(page, form.locator('button[type=submit], input[type=submit]').first());
    const statut = page.locator('[role=status]');
    assert.ok((await statut.count()) >= 1, `[role=status] après signalement / after report (${page.url()})`);
    assert.match(await statut.first().innerText(), /Merci/, 'confirmation « Merci »');

    // Orientation sheet: two places ticked on the results page.
    await page.goto(urlResultats);
    // The checkboxes belong to form#fiche, nested in it or through their form= attribute.
    const items = page.locator('ol.resultats > li.resultat');
    assert.ok((await items.count()) >= 2, 'au moins deux résultats / at least two results');
    const fiche = page.locator('form#fiche');
    assert.equal(await fiche.count(), 1, 'form#fiche');
    assert.equal(await fiche.getAttribute('action'), '/fiche');
    assert.equal((await fiche.getAttribute('method')).toLowerCase(), 'get');
    const noms = [];
    for (const i of [0, 1]) {
      noms.push((await items.nth(i).locator('h2 > a').innerText()).trim());
      const caseACocher = items.nth(i).locator('input[type=checkbox][name=lieu]');
      assert.equal(await caseACocher.count(), 1, `case « lieu » du résultat ${i + 1}`);
      assert.equal(await caseACocher.evaluate((c) => c.form && c.form.id), 'fiche', 'la case appartient à form#fiche');
      await cocher(caseACocher);
    }
    const envoyer = page.getByRole('button', { name: /Préparer une fiche d'orientation/ });
    assert.equal(await envoyer.evaluate((b) => b.form && b.form.id), 'fiche', 'bouton de form#fiche');
    await cliquerEtAttendre(page, envoyer);
    const f = new URL(page.url());
    assert.equal(f.pathname, '/fiche');
    assert.equal(f.searchParams.getAll('lieu').length, 2, 'deux paramètres lieu= / two lieu= parameters');
    const texte = await page.locator('main').innerText();
    for (const nom of noms) assert.ok(texte.includes(nom), `la fiche nomme « ${nom} »`);
    const pdf = page.locator('a[href^="/fiche.pdf"]');
    assert.ok((await pdf.count()) >= 1, 'lien a[href^="/fiche.pdf"]');
    const reponse = await page.request.get(new URL(await pdf.first().getAttribute('href'), BASE).href);
    assert.equal(reponse.status(), 200);
    assert.match(reponse.headers()['content-type'] || '', /^application\/pdf/);
    const octets = await reponse.body();
    assert.equal(octets.subarray(0, 4).toString('latin1'), '%PDF', 'le PDF commence par %PDF');
  });
}

/** Some place among the results has opening hours shown as a 7-row table. */
async function lieuAvecHoraires() {
  await avecPage({ js: false, largeur: 360 }, async (page) => {
    await page.goto(`${BASE}/lieux?ou=lille&besoin=${encodeURIComponent(BESOIN)}`);
    await choisirCommuneSiAmbigu(page);
    const hrefs = await page
      .locator('li.resultat h2 > a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const href of hrefs) {
      await page.goto(new URL(href, BASE).href);
      const { aHoraires } = await verifierLieu(page, { exigerHoraires: false });
      if (aHoraires) return;
    }
    assert.fail(`aucun des ${hrefs.length} lieux n'a de table.horaires / none has opening hours`);
  });
}

/** An ambiguous place name offers the other communes (keeping the need); an unknown one says so. */
async function communeAmbigueOuIntrouvable(js) {
  await avecPage({ js, largeur: 360 }, async (page) => {
    await page.goto(`${BASE}/lieux?ou=saint-denis&besoin=${encodeURIComponent(BESOIN)}`);
    const autres = page.locator('main a[href^="/lieux?"][href*="ou="]');
    const hrefs = await autres.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const communes = hrefs.filter((h) => new URL(h, BASE).searchParams.get('ou') !== 'saint-denis');
    assert.ok(communes.length >= 2, `« saint-denis » propose d'autres communes / offers other communes: ${hrefs}`);
    for (const h of communes)
      assert.equal(new URL(h, BASE).searchParams.get('besoin'), BESOIN, `le besoin est gardé / need kept: ${h}`);
    await cliquerEtAttendre(page, page.locator(`main a[href="${communes[0]}"]`).first());
    assert.ok((await page.locator('li.resultat').count()) >= 1, `résultats après choix de la commune (${page.url()})`);

    const reponse = await page.goto(`${BASE}/lieux?ou=zzzz`);
    assert.ok(reponse.status() < 500);
    assert.match(await page.locator('main').innerText(), /zzzz/, 'le message cite la saisie / quotes the input');
    assert.equal(await page.locator('li.resultat').count(), 0);
  });
}

// ---------------------------------------------------------------- b. accessibility

/** Every public page, visited once by a person with JavaScript. */
async function pagesPubliques() {
  const pages = [];
  pages.push({ nom: 'accueil', url: `${BASE}/` });
  pages.push({ nom: 'accueil, « Préciser… » ouvert', url: `${BASE}/?quand=samedi-matin&frais=Gratuit` });
  await avecPage({ js: true, largeur: 1280 }, async (page) => {
    await repondreAuxQuestions(page, BASE, {
      ou: 'lille',
      surEtape: async (p, etape) => pages.push({ nom: `accueil, étape ${etape}`, url: p.url() }),
    });
    await choisirCommuneSiAmbigu(page);
    pages.push({ nom: 'résultats (questions)', url: page.url() });
    await page.goto(`${BASE}/lieux?ou=lille&besoin=${encodeURIComponent(BESOIN)}`);
    await choisirCommuneSiAmbigu(page);
    pages.push({ nom: 'résultats', url: page.url() });
    const hrefs = await page
      .locator('li.resultat h2 > a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.length >= 2, 'deux résultats pour la fiche');
    pages.push({ nom: 'lieu', url: new URL(hrefs[0], BASE).href });
    for (const href of hrefs) {
      await page.goto(new URL(href, BASE).href);
      if ((await page.locator('table.horaires').count()) > 0) {
        pages.push({ nom: 'lieu avec horaires', url: page.url() });
        break;
      }
    }
    // The place page as shown after a report (confirmation).
    await page.goto(new URL(hrefs[0], BASE).href);
    const form = page.locator('form#signalement');
    await cocher(form.locator('input[name=categorie][value=adresse]'));
    await form.locator('textarea[name=message]').fill('Test automatique : adresse');
    await cliquerEtAttendre(page, form.locator('button[type=submit], input[type=submit]').first());
    pages.push({ nom: 'lieu, après signalement', url: page.url() });
    const ids = hrefs.slice(0, 2).map((h) => h.split('/')[2]);
    pages.push({
      nom: 'fiche',
      url: `${BASE}/fiche?lieu=${ids[0]}&lieu=${ids[1]}&besoin=${encodeURIComponent(BESOIN)}`,
    });
  });
  pages.push({ nom: 'carte', url: `${BASE}/carte?lat=50.63&lon=3.06&zoom=12`, carte: true });
  pages.push({ nom: 'widget', url: `${BASE}/widget?ou=lille` });
  pages.push({ nom: 'widget (besoin)', url: `${BASE}/widget?besoin=${encodeURIComponent(BESOIN)}&ou=lille` });
  pages.push({ nom: 'résultats, commune ambiguë', url: `${BASE}/lieux?ou=saint-denis&besoin=${encodeURIComponent(BESOIN)}` });
  pages.push({ nom: 'résultats, commune introuvable', url: `${BASE}/lieux?ou=zzzz` });
  pages.push({ nom: 'résultats, faute de frappe (suggestions)', url: `${BASE}/lieux?ou=${encodeURIComponent('Saint-Gaudins')}` });
  pages.push({ nom: 'résultats, aucun lieu proche pour ce besoin', url: `${BASE}/lieux?ou=${encodeURIComponent('Castanet-Tolosan')}&besoin=${encodeURIComponent('Insertion professionnelle via le numérique')}` });
  pages.push({ nom: 'résultats outre-mer (Nouméa)', url: `${BASE}/lieux?ou=${encodeURIComponent('Nouméa')}` });
  pages.push({ nom: 'carte des résultats', url: `${BASE}/carte?vue=resultats&ou=lille&besoin=${encodeURIComponent(BESOIN)}`, carte: true });
  pages.push({ nom: 'mon mandat (code à saisir)', url: `${BASE}/mon-mandat` });
  pages.push({ nom: 'carte sans position', url: `${BASE}/carte`, carte: true });
  pages.push({ nom: 'territoires', url: `${BASE}/territoires` });
  pages.push({ nom: 'territoire (département)', url: `${BASE}/territoires/dep:31` });
  pages.push({ nom: 'territoire (tournée)', url: `${BASE}/territoires/epci:243100633?arrets=3&rayon_km=10` });
  pages.push({ nom: 'territoire (France)', url: `${BASE}/territoires/fr` });
  pages.push({ nom: 'territoire (réglage invalide)', url: `${BASE}/territoires/epci:243100633?arrets=0`, statut: 400 });
  pages.push({ nom: '404', url: `${BASE}/cette-page-n-existe-pas`, statut: 404 });
  return pages;
}

async function analyser(page) {
  const r = await new AxeBuilder({ page }).withTags(TAGS_AXE).analyze();
  return r.violations;
}

/**
 * axe-core cannot run in a page whose JavaScript is disabled (its timers never fire). So the
 * page is loaded without JavaScript, its DOM as rendered then (<noscript> content included,
 * scripts removed) is serialised, and axe analyses that DOM at the same URL in a context with
 * JavaScript where the page's own scripts are blocked.
 */
async function analyserSansJs(contexteSansJs, contexteJs, url) {
  const p = await contexteSansJs.newPage();
  const reponse = await p.goto(url);
  const statut = reponse.status();
  const html = await p.evaluate(() => {
    for (const s of document.querySelectorAll('script')) s.remove();
    for (const n of document.querySelectorAll('noscript')) n.replaceWith(...n.childNodes);
    return '<!doctype html>\n' + document.documentElement.outerHTML;
  });
  await p.close();
  const q = await contexteJs.newPage();
  try {
    await q.route('**/*', (route) => {
      const r = route.request();
      if (r.isNavigationRequest() && r.url() === url)
        return route.fulfill({ status: statut, contentType: 'text/html; charset=utf-8', body: html });
      if (r.resourceType() === 'script') return route.abort();
      return route.fallback();
    });
    await q.goto(url);
    return await analyser(q);
  } finally {
    await q.close();
  }
}

async function axePartout(pages, largeur, js) {
  const echecs = [];
  const contexteJs = await ouvrirContexte({ js: true, largeur });
  const contexteSansJs = js ? null : await ouvrirContexte({ js: false, largeur });
  try {
    // Analysed `PARALLELE` at a time, reported in the order of `pages`.
    const resultats = await enParallele(pages, PARALLELE, async (p) => {
      if (!js) return analyserSansJs(contexteSansJs, contexteJs, p.url);
      const page = await contexteJs.newPage();
      try {
        const reponse = await page.goto(p.url);
        assert.equal(reponse.status(), p.statut || 200, `${p.nom}: statut HTTP ${p.url}`);
        if (p.carte) {
          await page.waitForSelector('.leaflet-marker-icon', { timeout: 15_000 }).catch(() => {});
          await page.waitForLoadState('networkidle').catch(() => {});
        }
        return await analyser(page);
      } finally {
        await page.close();
      }
    });
    pages.forEach((p, i) => {
      const violations = resultats[i];
      const ligne = `    ${violations.length ? '✘' : '·'} ${p.nom} — ${p.url.replace(BASE, '')}`;
      console.log(ligne + (violations.length ? ` : ${violations.length} violation(s)` : ''));
      if (violations.length) {
        console.log(indenter(decrireViolations(violations), 6));
        echecs.push(`${p.nom} (${p.url.replace(BASE, '')}): ${violations.map((v) => v.id).join(', ')}`);
      }
    });
    if (js) assert.deepEqual(contexteJs.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
  } finally {
    await contexteJs.close();
    if (contexteSansJs) await contexteSansJs.close();
  }
  assert.deepEqual(echecs, [], 'violations axe (WCAG 2.1 A/AA)');
}

// ---------------------------------------------------------------- c. page weight

function telecharger(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
      const morceaux = [];
      r.on('data', (c) => morceaux.push(c));
      r.on('end', () => resolve({ statut: r.statusCode, entetes: r.headers, corps: Buffer.concat(morceaux) }));
      r.on('error', reject);
    });
    req.on('error', reject);
  });
}

function genre(type, url) {
  if (type === 'document') return 'HTML';
  if (type === 'stylesheet') return 'CSS';
  if (type === 'script') return 'JS';
  if (type === 'fetch' || type === 'xhr') return 'API';
  if (/\.css(\?|$)/.test(url)) return 'CSS';
  if (/\.m?js(\?|$)/.test(url)) return 'JS';
  return 'autre';
}

/** What a first visit with JavaScript downloads (map tiles excepted), measured gzip-compressed. */
async function poids(chemin) {
  const requetes = [];
  await avecPage({ js: true, largeur: 1280 }, async (page, contexte) => {
    page.on('request', (r) => requetes.push({ url: r.url(), type: r.resourceType() }));
    await page.goto(BASE + chemin, { waitUntil: 'networkidle' });
    if (chemin.startsWith('/carte'))
      await page.waitForSelector('.leaflet-marker-icon', { timeout: 15_000 }).catch(() => {});
    await page.waitForLoadState('networkidle');
    contexte.etrangeres.length = 0;
  });
  const lignes = [];
  const vus = new Set();
  for (const { url, type } of requetes) {
    if (estTuile(url) || new URL(url).origin !== ORIGINE || vus.has(url)) continue;
    vus.add(url);
    const r = await telecharger(url);
    const gz = r.entetes['content-encoding'] === 'gzip';
    const brut = gz ? zlib.gunzipSync(r.corps).length : r.corps.length;
    lignes.push({ url: url.replace(ORIGINE, ''), genre: genre(type, url), transfere: r.corps.length, brut, gz });
  }
  return lignes;
}

const ko = (o) => (o / 1024).toFixed(1).replace('.', ',');

async function verifierPoids() {
  const tableau = [];
  const depassements = [];
  for (const [chemin, limite] of [...Object.entries(LIMITES), ...POIDS_INFO.map((c) => [c, null])]) {
    const lignes = await poids(chemin);
    console.log(`    ${chemin}`);
    for (const l of lignes)
      console.log(
        `      ${l.genre.padEnd(5)} ${String(l.transfere).padStart(7)} o${l.gz ? ' gzip' : '     '} (${l.brut} o) ${l.url}`,
      );
    const somme = (g) => lignes.filter((l) => g.includes(l.genre)).reduce((s, l) => s + l.transfere, 0);
    const total = chemin.startsWith('/carte') ? lignes.reduce((s, l) => s + l.transfere, 0) : somme(['HTML', 'CSS', 'JS']);
    tableau.push({
      chemin,
      html: somme(['HTML']),
      css: somme(['CSS']),
      js: somme(['JS']),
      autres: somme(['API', 'autre']),
      total,
      limite,
    });
    if (limite !== null && total > limite) depassements.push(`${chemin}: ${ko(total)} Ko > ${ko(limite)} Ko`);
  }
  console.log('\n    | Page | HTML | CSS | JS | API et autres (hors tuiles) | Total compté | Limite |');
  console.log('    |---|---|---|---|---|---|---|');
  for (const t of tableau)
    console.log(
      `    | \`${t.chemin}\` | ${ko(t.html)} Ko | ${ko(t.css)} Ko | ${ko(t.js)} Ko | ${ko(t.autres)} Ko | **${ko(t.total)} Ko** | ${t.limite === null ? '(info)' : ko(t.limite) + ' Ko'} |`,
    );
  console.log('    (Ko = 1 024 octets transférés, corps gzip ; « total compté » : HTML+CSS+JS, et tout sauf les tuiles pour /carte)\n');
  assert.deepEqual(depassements, [], 'poids des pages / page weight');
}

// ---------------------------------------------------------------- d. map

async function carteAvecJs(largeur) {
  await avecPage({ js: true, largeur }, async (page, contexte) => {
    const requetes = [];
    page.on('request', (r) => requetes.push({ url: r.url(), type: r.resourceType() }));
    const reponse = await page.goto(`${BASE}/carte?lat=50.63&lon=3.06&zoom=12`);
    assert.equal(reponse.status(), 200);
    await page.waitForSelector('.leaflet-marker-icon', { timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    assert.ok((await page.locator('.leaflet-marker-icon').count()) > 0, 'marqueurs ou groupes / markers or clusters');
    const leaflet = requetes.filter(
      (r) => new URL(r.url).origin === ORIGINE && /^\/assets\/.*leaflet[^/]*\.js/i.test(new URL(r.url).pathname),
    );
    assert.ok(leaflet.length >= 1, 'Leaflet chargé depuis /assets/ / Leaflet loaded from /assets/');
    const etrangeres = [...contexte.etrangeres, ...requetes.map((r) => r.url)].filter(
      (u) => new URL(u).origin !== ORIGINE && !estTuile(u) && !u.startsWith('data:'),
    );
    assert.deepEqual([...new Set(etrangeres)], [], "requêtes vers une autre origine (CDN ?) / other-origin requests");
    const api = requetes.filter((r) => new URL(r.url).origin === ORIGINE && new URL(r.url).pathname.startsWith('/api/'));
    assert.ok(api.length >= 1, "la carte interroge l'API / the map queries the API");
    for (const { url } of api) {
      const bbox = new URL(url).searchParams.get('bbox');
      assert.ok(bbox, `paramètre bbox= dans ${url}`);
      const [sud, ouest, nord, est] = bbox.split(',').map(Number);
      assert.ok(sud < 50.63 && 50.63 < nord && ouest < 3.06 && 3.06 < est, `bbox autour de Lille : ${bbox}`);
      assert.ok(nord - sud < 2 && est - ouest < 4, `bbox limitée à la vue / only the visible area: ${bbox}`);
    }
  });
}

async function carteSansJs(largeur) {
  await avecPage({ js: false, largeur }, async (page) => {
    const reponse = await page.goto(`${BASE}/carte?lat=50.63&lon=3.06&zoom=12`);
    assert.equal(reponse.status(), 200);
    const liens = page.locator('main a[href^="/lieux/"]');
    const n = await liens.count();
    assert.ok(n > 0, 'sans JS, /carte liste des lieux avec des liens / lists places with links');
    assert.ok(
      (await page.locator('main table a[href^="/lieux/"], main ul a[href^="/lieux/"], main ol a[href^="/lieux/"]').count()) > 0,
      'liste ou tableau de repli / list or table fallback',
    );
  });
}

// ---------------------------------------------------------------- e. widget

async function widget(js, largeur) {
  await avecPage({ js, largeur }, async (page) => {
    const url = `${BASE}/widget?besoin=${encodeURIComponent(BESOIN)}&ou=lille`;
    const reponse = await page.goto(url);
    assert.equal(reponse.status(), 200);
    const entetes = reponse.headers();
    assert.ok(!/deny|sameorigin/i.test(entetes['x-frame-options'] || ''), 'X-Frame-Options empêche l’intégration');
    assert.ok(!/frame-ancestors\s+'none'/i.test(entetes['content-security-policy'] || ''), 'CSP frame-ancestors');
    assert.ok((await page.locator('a[href*="/lieux/"]').count()) > 0, 'le widget montre des lieux / shows places');
    assert.equal(
      await page.locator('header.site, footer.site, [role=banner], [role=contentinfo], .lien-evitement').count(),
      0,
      'pas d’en-tête ni de pied de page du site / no site header or footer',
    );
    const cibles = await page.locator('a[href]').evaluateAll((as) => {
      const base = document.querySelector('base[target]');
      return as.map((a) => ({ href: a.getAttribute('href'), cible: a.getAttribute('target') || (base && base.getAttribute('target')) || '' }));
    });
    // Links that stay in the widget (its own pages), phone and mail links may keep the frame.
    const resteDansLeWidget = (h) => /^(#|tel:|mailto:|sms:)/.test(h) || new URL(h, BASE).pathname === '/widget';
    const mauvaises = cibles.filter((c) => !['_top', '_blank'].includes(c.cible) && !resteDansLeWidget(c.href));
    assert.ok(cibles.some((c) => /\/lieux\//.test(c.href) && ['_top', '_blank'].includes(c.cible)), 'liens vers les lieux en _top/_blank');
    assert.deepEqual(mauvaises, [], 'liens du widget ouverts dans la page parente (target _top/_blank)');
  });
}

/** The widget inside an iframe of another origin (localhost vs 127.0.0.1) shows its results. */
async function widgetDansUneIframe() {
  await avecPage({ js: true, largeur: 1280 }, async (page, contexte) => {
    const autre = BASE.replace('127.0.0.1', 'localhost');
    const parent = `${autre}/__page-parente-de-test`;
    const src = `${BASE}/widget?besoin=${encodeURIComponent(BESOIN)}&ou=lille`;
    await page.route(parent, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="fr"><title>Parent</title><iframe title="Lieux" src="${src}" width="400" height="600"></iframe>`,
      }),
    );
    contexte.etrangeres.length = 0;
    await page.goto(parent);
    const cadre = page.frameLocator('iframe');
    await cadre.locator('a[href*="/lieux/"]').first().waitFor({ timeout: 15_000 });
  });
}

// ---------------------------------------------------------------- main

await executer('Tests navigateur / browser tests', 'e2e', async () => {
  for (const js of [true, false]) {
    for (const ou of ['lille', '59000']) {
      await verifier(`a. parcours d'orientation / orientation path (${mode(js)}, 360 px, « ${ou} »)`, () =>
        parcoursOrientation(js, ou),
      );
    }
    await verifier(`a. accueil avec « Préciser… » / home with refinements (${mode(js)}, 360 px)`, () =>
      parcoursOrientation(js, 'lille', true),
    );
    await verifier(`a. questions une par une / one question per page (${mode(js)}, 360 px)`, () =>
      questionsUneParUne(js, 'lille'),
    );
  }
  await verifier('a. un lieu de Lille a ses horaires en tableau / a Lille place has an hours table', lieuAvecHoraires);
  for (const js of [true, false]) {
    await verifier(`a. commune ambiguë ou introuvable / ambiguous or unknown commune (${mode(js)})`, () =>
      communeAmbigueOuIntrouvable(js),
    );
  }

  let pages = null;
  await verifier('b. pages publiques à analyser / public pages to analyse', async () => {
    pages = await pagesPubliques();
    for (const p of pages) console.log(`    ${p.nom}: ${p.url.replace(BASE, '')}`);
  });
  for (const largeur of [360, 1280]) {
    for (const js of [true, false]) {
      await verifier(`b. axe WCAG 2.1 A/AA, zéro violation / zero violations (${mode(js)}, ${largeur} px)`, async () => {
        assert.ok(pages, 'liste des pages / page list');
        await axePartout(pages, largeur, js);
      });
    }
  }

  await verifier('c. poids des pages / page weight (gzip)', verifierPoids);

  for (const largeur of [360, 1280]) {
    await verifier(`d. carte / map (JS, ${largeur} px)`, () => carteAvecJs(largeur));
    await verifier(`d. carte, repli en liste / map list fallback (sans JS / no JS, ${largeur} px)`, () =>
      carteSansJs(largeur),
    );
  }

  for (const js of [true, false]) {
    for (const largeur of [360, 1280]) {
      await verifier(`e. widget (${mode(js)}, ${largeur} px)`, () => widget(js, largeur));
    }
  }
  await verifier('e. widget dans une iframe d’une autre origine / widget in a cross-origin iframe', widgetDansUneIframe);
});
