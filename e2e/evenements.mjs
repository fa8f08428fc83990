// Tests navigateur des Événements (côté public) / browser tests of the public side of Événements.
//
//   MAILLAGE_E2E_EVENEMENT=ID node e2e/evenements.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur evenements`, which imports a
// Numérique Tour stop in Muret through the module (no SQL) and gives its id. In Debian's
// Chromium through playwright-core:
//   1. JavaScript off, 360 px: list → event page (≤ 30 KB, JSON-LD, link to its .ics) →
//      registration to a session with its form → confirmation with the key → the printable
//      ticket (same key, QR code, the person's space; print styles hide the site's chrome);
//      the widget of Muret (links open in a new tab, frameable by any site);
//   2. the same with JavaScript on, to another session;
//   3. the calendar files the pages link to are iCalendar (text/calendar, CRLF);
// axe-core (WCAG 2.1 A/AA) on every page of the path at 360 and 1280 px, JS on and off (the
// JS-off DOM is analysed as served, scripts blocked), no sideways scroll and large touch
// targets at 360 px. Exit status 1 on any failure.

import assert from 'node:assert/strict';
import { avecContexte, axe, axeSurInstantanes, executer, exigerZeroViolation, preparer, verifier } from './commun.mjs';
import { cliquerEtAttendre } from './lib.mjs';

const { base: BASE, variables } = preparer({
  script: 'e2e/evenements.mjs',
  harnais: 'navigateur/evenements.rs',
  variables: ['EVENEMENT'],
  minutes: 8,
  ciblesTactiles: true,
});
const EVENEMENT = variables.EVENEMENT;
const TAILLE_MAX = 30 * 1024;
// The person's code (« Mon espace »): 20 characters in four groups.
const CLE = /^[A-HJ-NP-TV-Z2-9]{5}(-[A-HJ-NP-TV-Z2-9]{5}){2}-[A-HJ-NP-TV-Z2-9]{5}$/;

/**
 * The whole path; `instantane(nom)` is called on each page (to analyse it). `rang` chooses
 * the session (one per run, so that each run registers somewhere new).
 */
async function parcours(page, instantane, { prenom, rang }) {
  // The list.
  const r = await page.goto(`${BASE}/evenements?commune=31395`);
  assert.equal(r.status(), 200);
  assert.match(await page.locator('h1').innerText(), /Événements à venir à Muret/);
  assert.match(await page.locator('#lien-flux').getAttribute('href'), /^\/evenements\.ics\?commune=31395$/);
  await instantane('liste');
  // The event page.
  await cliquerEtAttendre(page, page.getByRole('link', { name: 'Numérique Tour : étape de Muret' }));
  assert.equal(new URL(page.url()).pathname, `/evenements/${EVENEMENT}`);
  const octets = (await (await page.request.get(page.url())).body()).length;
  console.log(`    page de l’événement / event page: ${octets} octets`);
  assert.ok(octets <= TAILLE_MAX, `page de l’événement ${octets} octets > 30 Ko`);
  const jsonLd = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
  assert.equal(jsonLd['@type'], 'Event');
  assert.equal(jsonLd.name, 'Numérique Tour : étape de Muret');
  assert.equal(jsonLd.location.address.addressLocality, 'Muret');
  assert.equal(await page.locator('#lien-agenda').getAttribute('href'), `/evenements/${EVENEMENT}.ics`);
  await instantane('événement');
  // Registration to a session with its form.
  const formulaire = page.locator('form[action^="/sessions/"]').nth(rang);
  const titreSession = await formulaire.locator('xpath=ancestor::article').locator('h3').innerText();
  await formulaire.getByLabel(/Votre prénom/).fill(prenom);
  await cliquerEtAttendre(page, formulaire.getByRole('button', { name: /M’inscrire/ }));
  assert.match(new URL(page.url()).pathname, /^\/sessions\/\d+\/inscription$/);
  assert.match(await page.locator('h1').innerText(), /Vous êtes inscrit/);
  const cle = (await page.locator('#cle').innerText()).trim();
  assert.match(cle, CLE, 'le code personnel du visiteur');
  assert.equal(await page.locator('.qr svg[role=img]').count(), 1, 'le code QR sur la confirmation');
  await instantane('confirmation');
  // The ticket.
  await cliquerEtAttendre(page, page.locator('#lien-billet'));
  assert.equal(new URL(page.url()).pathname, '/inscriptions/billet');
  // The whole code is shown once (stored hashed): the ticket shows its beginning.
  assert.equal((await page.locator('#cle').innerText()).trim(), `${cle.slice(0, 5)}-…`, 'le début du code sur le billet');
  const texte = await page.locator('main').innerText();
  assert.ok(texte.includes(prenom), 'le prénom');
  assert.ok(texte.includes(titreSession), 'la session');
  assert.ok(texte.includes('Place de la République, Muret'), 'le lieu');
  assert.ok(texte.includes('mardi 12 juin 2035'), 'la date');
  assert.equal(await page.locator('.qr svg[role=img]').count(), 1, 'le code QR');
  assert.match(await page.locator('#lien-espace').getAttribute('href'), /\/mon-espace$/);
  await instantane('billet');
  // Printed: the site's header, footer and the screen-only lines are hidden; key and QR stay.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.site').isVisible(), false, 'en-tête masqué à l’impression');
  assert.equal(await page.locator('footer.site').isVisible(), false, 'pied masqué à l’impression');
  assert.equal(await page.locator('.pas-imprime').first().isVisible(), false);
  assert.ok(await page.locator('#cle').isVisible());
  assert.ok(await page.locator('.qr svg').isVisible());
  await page.emulateMedia({ media: 'screen' });
  // « Mon espace » with the whole code: the registration is there.
  await page.goto(`${BASE}/mon-espace`);
  await page.getByLabel(/Mon code personnel/).fill(cle.toLowerCase());
  await soumettreMonEspace(page, 'Ouvrir mon espace');
  assert.equal(new URL(page.url()).pathname, '/mon-espace');
  const inscriptions = page.locator('#titre-inscriptions + ul li');
  assert.equal(await inscriptions.count(), 1, 'une inscription dans l’espace');
  assert.ok((await inscriptions.first().innerText()).includes(titreSession), 'la session dans l’espace');
  await instantane('mon espace');
  await soumettreMonEspace(page, 'Fermer mon espace');
  assert.equal(await page.getByRole('button', { name: 'Ouvrir mon espace' }).count(), 1, 'espace fermé');
  // The widget of Muret.
  const w = await page.goto(`${BASE}/evenements/widget?commune=31395`);
  assert.equal(w.status(), 200);
  // Made to be embedded anywhere, under the site's policy otherwise (no inline code).
  const csp = w.headers()['content-security-policy'] || '';
  assert.match(csp, /frame-ancestors \*$/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  const liens = await page.locator('main a[href]').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href'), cible: a.getAttribute('target'), rel: a.getAttribute('rel') })),
  );
  assert.ok(liens.some((l) => l.href === `/evenements/${EVENEMENT}`), 'l’événement dans le widget');
  for (const l of liens) {
    assert.equal(l.cible, '_blank', `${l.href} s’ouvre dans un nouvel onglet`);
    assert.equal(l.rel, 'noopener', `${l.href} rel=noopener`);
  }
  await instantane('widget');
  return cle;
}

/** Posts a form of « Mon espace » (it answers by a redirect to the same address). */
async function soumettreMonEspace(page, bouton) {
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/mon-espace' && r.request().method() === 'GET'),
    page.getByRole('button', { name: bouton }).click(),
  ]);
  await page.waitForLoadState('load');
}

/** The calendar files the pages link to. */
async function calendriers(page) {
  for (const chemin of [`/evenements/${EVENEMENT}.ics`, '/evenements.ics?commune=31395', '/evenements.ics?territoire=dep:31']) {
    const r = await page.request.get(`${BASE}${chemin}`);
    assert.equal(r.status(), 200, chemin);
    assert.equal(r.headers()['content-type'], 'text/calendar; charset=utf-8', chemin);
    const texte = await r.text();
    assert.ok(texte.startsWith('BEGIN:VCALENDAR\r\n'), chemin);
    assert.ok(!/[^\r]\n/.test(texte), `${chemin}: CRLF`);
    assert.ok(texte.includes('Numérique Tour : étape de Muret'), chemin);
    assert.ok(!texte.includes('ORGANIZER'), chemin);
  }
}

await executer('Tests navigateur — Événements', 'e2e evenements', async () => {
  const echecs = [];
  const instantanes = [];
  const cles = [];
  await verifier('1. sans JavaScript, 360 px : liste, événement, inscription, confirmation, billet, widget', async () => {
    await avecContexte({ js: false, largeur: 360 }, async (page) => {
      cles.push(
        await parcours(
          page,
          async (nom) => {
            instantanes.push({ nom, html: await page.content() });
          },
          { prenom: 'Lucienne', rang: 0 },
        ),
      );
    });
  });
  await verifier('1. axe sans JavaScript (DOM servi, scripts bloqués), 360 et 1280 px', async () => {
    assert.ok(instantanes.length >= 6, `${instantanes.length} pages`);
    await axeSurInstantanes(instantanes, '/evenements', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('2. avec JavaScript : le même parcours (une autre session), axe sur chaque page', async () => {
    await avecContexte({ js: true, largeur: 360 }, async (page) => {
      cles.push(await parcours(page, (nom) => axe(page, nom, echecs), { prenom: 'Paul', rang: 1 }));
    });
    exigerZeroViolation(echecs.splice(0));
    assert.notEqual(cles[0], cles[1], 'une clé par inscription');
  });
  await verifier('3. les fichiers iCalendar liés depuis les pages', async () => {
    await avecContexte({ js: true, largeur: 360 }, calendriers);
  });
});
