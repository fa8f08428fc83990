// Tests navigateur de l’accueil du jour, hors ligne / browser tests of the offline check-in.
//
//   MAILLAGE_E2E_EVENEMENT=ID node e2e/accueil.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur accueil`, which creates a structure,
// its mediator and coordinator (with a second factor) through the accounts kernel, imports an
// event as the coordinator, publishes it and registers six people through the module's use
// cases, then gives the event's id. In Debian's Chromium through playwright-core, service
// workers allowed:
//   1. the mediator opens the check-in page online (lists downloaded, seats held for
//      walk-ins), axe at 360 and 1280 px;
//   2. offline (network emulation), the page is reloaded (served by the service worker) and
//      5 registered people and 3 walk-ins are checked in; online again, sync; sync again;
//      the event's list page (read back) shows 5 present and 3 walk-ins, no duplicate;
//   3. two browser contexts (the mediator's phone and the coordinator's), both offline, check
//      the same person in: once online, one check-in, and the second device is told
//      « déjà pointé par un autre appareil à HH:MM »;
//   4. offline, a device cannot add more walk-ins than the seats it holds: the page says so;
//   5. JavaScript off, the organisers' space: create a draft (named error first), complete it
//      on the edit page (address, accessibility, a second session), publish; the day's event
//      refuses a capacity below its seats taken; a key « Mon espace » given on the check-in
//      page (shown once, counted « clés remises » in the report); axe on each page at 360
//      and 1280 px.
// Exit status 1 on any failure.

import assert from 'node:assert/strict';
import { avecContexte, axe, axeSurInstantanes, executer, exigerZeroViolation, ouvrirContexte, preparer, seConnecter, verifier } from './commun.mjs';
import { cliquerEtAttendre } from './lib.mjs';

const { base: BASE, variables } = preparer({
  script: 'e2e/accueil.mjs',
  harnais: 'navigateur/accueil.rs',
  variables: ['EVENEMENT'],
  minutes: 8,
});
const EVENEMENT = variables.EVENEMENT;
const MDP = 'un mot de passe solide';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const MEDIATEUR = { email: 'accueil@exemple.fr', mdp: MDP, secret: SECRET };
const COORDINATEUR = { email: 'coordination@exemple.fr', mdp: MDP, secret: SECRET };
const PAGE = `${BASE}/espace/evenements/${EVENEMENT}/accueil`;

/** A signed-in context with service workers, on the check-in page, ready offline. */
async function appareil(compte) {
  const contexte = await ouvrirContexte({ js: true, largeur: 360, serviceWorkers: 'allow' });
  const page = await contexte.newPage();
  await seConnecter(page, compte);
  const r = await page.goto(PAGE);
  assert.equal(r.status(), 200);
  await page.locator('#accueil-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
  await page.locator('#accueil-outils').waitFor();
  // The service worker controls the page and holds its copy.
  await page.waitForFunction(async () => {
    if (!navigator.serviceWorker.controller) return false;
    const c = await caches.open('maillage-hors-ligne-v1');
    return !!(await c.match(location.pathname));
  }, null, { timeout: 15_000 });
  return { contexte, page };
}

async function pointer(page, prenom) {
  await page.getByLabel('Chercher un prénom').fill(prenom);
  await page.getByRole('button', { name: `Pointer ${prenom}` }).click();
  await page.locator('#accueil-messages').getByText(`${prenom} : pointé à`).first().waitFor();
}

async function surPlace(page) {
  const avant = await page.locator('#accueil-messages li').count();
  await page.getByRole('button', { name: 'Ajouter la personne' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#accueil-messages li').length > n, avant);
  return page.locator('#accueil-messages li').first().innerText();
}

async function synchroniser(page, n) {
  await page.getByRole('button', { name: 'Envoyer les pointages maintenant' }).click();
  await page.locator('#accueil-messages').getByText(new RegExp(`Pointages envoyés \\(${n}\\)`)).first().waitFor();
}

/** Figures of the event's list page (read back from the server). */
async function compteurs(page) {
  await page.goto(`${BASE}/espace/evenements/${EVENEMENT}`);
  const lire = async (nom) => Number(await page.locator(`[data-compte="${nom}"]`).first().innerText());
  return { presents: await lire('presents'), surPlace: await lire('sur-place'), inscrits: await lire('inscrits') };
}

/** Seats this device still holds (read on the page). */
async function tenues(page) {
  const t = await page.locator('#accueil-places').innerText();
  const m = /pour des personnes sans inscription : (\d+)/.exec(t);
  assert.ok(m, t);
  return Number(m[1]);
}

await executer('Tests navigateur — accueil hors ligne', 'e2e accueil', async () => {
  const echecs = [];
  let a = null;
  await verifier('1. en ligne : la page d’accueil télécharge les listes, axe 360 et 1280 px', async () => {
    a = await appareil(MEDIATEUR);
    assert.match(await a.page.locator('#accueil-etat').innerText(), /En ligne/);
    await axe(a.page, 'accueil du jour', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('2. hors ligne : rechargée par le service worker, 5 inscrits et 3 personnes sans inscription ; envoi, renvoi, pas de doublon', async () => {
    const { contexte, page } = a;
    await contexte.setOffline(true);
    await page.reload();
    await page.locator('#accueil-outils').waitFor();
    assert.match(await page.locator('#accueil-etat').innerText(), /Hors ligne/);
    assert.ok((await tenues(page)) >= 3, 'au moins 3 places tenues');
    for (const prenom of ['Alice', 'Bruno', 'Chloé', 'David', 'Emma']) await pointer(page, prenom);
    for (let i = 0; i < 3; i++) assert.match(await surPlace(page), /sans inscription ajoutée/);
    assert.match(await page.locator('#accueil-etat').innerText(), /8 pointage\(s\) à envoyer/);
    await axe(page, 'accueil du jour, hors ligne', echecs);
    exigerZeroViolation(echecs.splice(0));
    await contexte.setOffline(false);
    await synchroniser(page, 8);
    await synchroniser(page, 0);
    assert.deepEqual(await compteurs(page), { presents: 5, surPlace: 3, inscrits: 1 });
    await axe(page, 'liste de l’événement', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('3. deux appareils hors ligne pointent la même personne : un seul pointage, le second est prévenu', async () => {
    await a.page.goto(PAGE);
    await a.page.locator('#accueil-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
    const b = await appareil(COORDINATEUR);
    await a.contexte.setOffline(true);
    await b.contexte.setOffline(true);
    await pointer(a.page, 'Farid');
    await pointer(b.page, 'Farid');
    await a.contexte.setOffline(false);
    await synchroniser(a.page, 1);
    await b.contexte.setOffline(false);
    await synchroniser(b.page, 1);
    await b.page.locator('#accueil-messages').getByText(/Farid : déjà pointé par un autre appareil à \d\d:\d\d/).first().waitFor();
    // The first device is told at its next sync.
    await synchroniser(a.page, 0);
    await a.page.locator('#accueil-messages').getByText(/aussi pointée par un autre appareil/).first().waitFor();
    assert.deepEqual(await compteurs(b.page), { presents: 6, surPlace: 3, inscrits: 0 });
    assert.deepEqual(b.contexte.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
    await b.contexte.close();
  });
  await verifier('4. hors ligne, pas plus de personnes sans inscription que les places tenues par l’appareil', async () => {
    const { contexte, page } = a;
    await page.goto(PAGE);
    await page.locator('#accueil-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
    await contexte.setOffline(true);
    await page.reload();
    await page.locator('#accueil-outils').waitFor();
    const n = await tenues(page);
    for (let i = 0; i < n; i++) assert.match(await surPlace(page), /sans inscription ajoutée/);
    assert.match(await surPlace(page), /Refusé : cet appareil n’a plus de place tenue/);
    assert.equal(await tenues(page), 0);
    await contexte.setOffline(false);
    await synchroniser(page, n);
    const c = await compteurs(page);
    assert.equal(c.surPlace, 3 + n);
    assert.deepEqual(contexte.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
    await contexte.close();
  });
  const instantanes = [];
  await verifier('5. sans JavaScript, l’espace des organisateurs : liste, création (erreur nommée, puis brouillon), brouillon complété, publication, capacité refusée, bilan', async () => {
    await avecContexte({ js: false, largeur: 360 }, async (page) => {
      const capture = async (nom) => instantanes.push({ nom, html: await page.content() });
      await seConnecter(page, COORDINATEUR);
      await page.goto(`${BASE}/espace/evenements`);
      assert.ok((await page.locator('main').innerText()).includes('Journée numérique de Muret'));
      await capture('événements de la structure');
      await cliquerEtAttendre(page, page.getByRole('link', { name: 'Créer un événement' }));
      await capture('créer un événement');
      await page.getByLabel('Titre', { exact: true }).first().fill('Atelier tablette à Muret');
      await page.getByLabel(/^Commune/).fill('Muret');
      await page.getByLabel('Adresse').fill('Médiathèque');
      await page.getByLabel('Début', { exact: true }).first().fill('2035-07-01T14:00');
      await page.getByLabel('Fin', { exact: true }).first().fill('2035-07-01T16:00');
      const s1 = page.locator('fieldset.session-ligne').first();
      await s1.getByLabel('Titre').fill('Prendre en main sa tablette');
      await s1.getByLabel('Début').fill('2035-07-01T14:00');
      await s1.getByLabel('Fin').fill('2035-07-01T16:00');
      await s1.getByLabel(/Capacité/).fill('douze');
      await cliquerEtAttendre(page, page.getByRole('button', { name: /Créer l’événement/ }));
      assert.match(await page.locator('[role=alert]').innerText(), /Session 1, capacité/);
      await capture('créer un événement (erreur)');
      await page.locator('fieldset.session-ligne').first().getByLabel(/Capacité/).fill('12');
      await cliquerEtAttendre(page, page.getByRole('button', { name: /Créer l’événement/ }));
      assert.match(await page.locator('[role=status]').innerText(), /créé en brouillon/);
      await capture('événement créé');
      // The draft completed in the browser: its place and a second session, then published.
      await cliquerEtAttendre(page, page.getByRole('link', { name: 'Modifier l’événement et son programme' }));
      assert.equal(await page.getByLabel('Adresse').inputValue(), 'Médiathèque');
      await capture('modifier un événement');
      await page.getByLabel('Adresse').fill('Médiathèque, 2 rue Castelvieilh');
      await page.getByLabel('Mobilité réduite').fill('Plain-pied');
      const s2 = page.locator('fieldset.session-ligne').nth(1);
      await s2.getByLabel('Titre').fill('Quiz : vrai ou faux sur Internet ?');
      await s2.getByLabel('Type').selectOption('quiz');
      await s2.getByLabel('Début').fill('2035-07-01T16:00');
      await s2.getByLabel('Fin').fill('2035-07-01T17:00');
      await s2.getByLabel(/Capacité/).fill('20');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Enregistrer les modifications' }));
      assert.match(await page.locator('[role=status]').innerText(), /Modifications enregistrées/);
      assert.ok((await page.locator('main').innerText()).includes('Quiz : vrai ou faux sur Internet ?'));
      await cliquerEtAttendre(page, page.getByRole('button', { name: /Publier/ }));
      assert.match(await page.locator('[role=status]').innerText(), /Événement publié/);
      // The day's event: its capacity cannot fall below the seats taken.
      await page.goto(`${BASE}/espace/evenements/${EVENEMENT}/modifier`);
      assert.match(await page.locator('fieldset.session-ligne').first().locator('legend').innerText(), /place\(s\) prise\(s\) sur 14/);
      await page.locator('fieldset.session-ligne').first().getByLabel(/Capacité/).fill('1');
      // The refusal answers the form again at the same address (400): wait for that answer.
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/modifier') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Enregistrer les modifications' }).click(),
      ]);
      await page.waitForLoadState('load');
      assert.match(await page.locator('[role=alert]').innerText(), /Session 1, capacité : \d+ places sont déjà prises/);
      await capture('modifier un événement (capacité refusée)');
      // A walk-in wants a key: « Donner une clé » (online, no JavaScript needed); the code is
      // shown once with the address of « Mon espace », and the report counts it.
      await page.goto(PAGE);
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Donner une clé' }));
      assert.match(await page.locator('#cle').innerText(), /^[A-Z0-9]{5}(-[A-Z0-9]{4,5}){3}$/);
      assert.match(await page.locator('#lien-espace').innerText(), /\/mon-espace$/);
      await capture('clé remise');
      await page.goto(`${BASE}/espace/evenements/${EVENEMENT}/bilan`);
      assert.match(await page.locator('[data-total=participants]').innerText(), /^\d+$/);
      assert.equal(await page.locator('[data-total=cles]').innerText(), '1');
      await capture('bilan');
      assert.ok((await page.request.get(`${BASE}/espace/evenements/${EVENEMENT}/bilan.csv`)).ok());
    });
    await axeSurInstantanes(instantanes, '/espace/evenements', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
});
