// Tests navigateur de la collecte d’enquête, hors ligne / browser tests of the offline
// survey collection.
//
//   MAILLAGE_E2E_CAMPAGNE=ID node e2e/enquete.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur enquete`, which creates a structure,
// a surveyor and a coordinator (second factor on) through the accounts kernel, and a campaign
// with the surveyor and 11 addresses through the module's use cases (as the command line
// does). In Debian's Chromium through playwright-core, service workers allowed:
//   1. the surveyor opens the collection page online (campaign downloaded), axe 360/1280 px;
//   2. offline (network emulation), the page is reloaded (served by the service worker) and
//      10 visits are recorded: 3 absent, 1 refusal, 6 questionnaires; online, sync; sync
//      again: nothing new; the results page shows 3 / 1 / 6;
//   3. two browser contexts send the same questionnaire UUID at once: one submission;
//   4. the page is closed while a sync is under way (the server got it, the answer never
//      came back): reopened, it sends again and nothing is lost nor duplicated;
//   5. the coordinator creates a campaign (form), reads its management page and the first
//      campaign's (collection started), its results (map, tables), gives a « Mon espace »
//      key at the door; the public page of the campaign without JavaScript; axe 360/1280 px
//      on each.
// Exit status 1 on any failure.

import assert from 'node:assert/strict';
import { avecContexte, axe, executer, exigerZeroViolation, ouvrirContexte, preparer, seConnecter, verifier } from './commun.mjs';

const { base: BASE, variables } = preparer({
  script: 'e2e/enquete.mjs',
  harnais: 'navigateur/enquete.rs',
  variables: ['CAMPAGNE'],
  minutes: 8,
});
const CAMPAGNE = variables.CAMPAGNE;
const MDP = 'un mot de passe solide';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const ENQUETEUR = { email: 'enqueteur@exemple.fr', mdp: MDP, secret: SECRET };
const COORDINATEUR = { email: 'coordination@exemple.fr', mdp: MDP, secret: SECRET };
const PAGE = `${BASE}/espace/enquete/${CAMPAGNE}/collecte`;

async function appareil() {
  const contexte = await ouvrirContexte({ js: true, largeur: 360, serviceWorkers: 'allow' });
  const page = await contexte.newPage();
  await seConnecter(page, ENQUETEUR);
  const r = await page.goto(PAGE);
  assert.equal(r.status(), 200);
  await page.locator('#collecte-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
  await page.locator('#collecte-outils').waitFor();
  await page.waitForFunction(async () => {
    if (!navigator.serviceWorker.controller) return false;
    const c = await caches.open('maillage-hors-ligne-v1');
    return !!(await c.match(location.pathname));
  }, null, { timeout: 15_000 });
  return { contexte, page };
}

async function visiter(page, n) {
  await page.getByRole('button', { name: `Visiter ${n} rue de la Mairie`, exact: true }).click();
  await page.locator('#collecte-visite').waitFor();
}

async function issue(page, n, bouton) {
  const avant = await page.locator('#collecte-messages li').count();
  await visiter(page, n);
  await page.getByRole('button', { name: bouton }).click();
  await page.waitForFunction((k) => document.querySelectorAll('#collecte-messages li').length > k, avant);
}

async function questionnaire(page, n, sansInternet) {
  const avant = await page.locator('#collecte-messages li').count();
  await visiter(page, n);
  await page.getByRole('button', { name: 'La personne accepte' }).click();
  const f = page.locator('#collecte-questionnaire');
  await f.getByRole('group', { name: /Quel âge avez-vous/ }).getByLabel('75 ans ou plus').check();
  await f.getByRole('group', { name: /Ces trois derniers mois, avez-vous utilisé internet/ })
    .getByLabel(sansInternet ? 'Non' : 'Oui', { exact: true }).check();
  await f.getByLabel('Envoyer ou recevoir un courriel').check();
  await f.getByLabel(/personnes de 75 ans ou plus/).fill('2');
  await page.getByRole('button', { name: 'Enregistrer le questionnaire' }).click();
  await page.waitForFunction((k) => document.querySelectorAll('#collecte-messages li').length > k, avant);
  assert.match(await page.locator('#collecte-messages li').first().innerText(), /questionnaire enregistré/);
}

async function synchroniser(page) {
  const avant = await page.locator('#collecte-messages li').count();
  await page.getByRole('button', { name: 'Envoyer maintenant' }).click();
  await page.waitForFunction((k) => document.querySelectorAll('#collecte-messages li').length > k, avant);
  return page.locator('#collecte-messages li').first().innerText();
}

async function resultats(page) {
  await page.goto(`${BASE}/espace/enquete/${CAMPAGNE}/resultats`);
  const texte = await page.locator('main').innerText();
  const n = (re) => Number(re.exec(texte)[1]);
  return { questionnaires: n(/Questionnaires : (\d+)/), refus: n(/Refus : (\d+)/), absents: n(/Absents \(à revoir\) : (\d+)/) };
}

await executer('Tests navigateur — collecte d’enquête hors ligne', 'e2e enquete', async () => {
  const echecs = [];
  let a = null;
  await verifier('1. en ligne : la page de collecte télécharge la campagne, axe 360 et 1280 px', async () => {
    a = await appareil();
    assert.match(await a.page.locator('#collecte-etat').innerText(), /En ligne/);
    await axe(a.page, 'collecte', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('2. hors ligne : 3 absents, 1 refus, 6 questionnaires ; envoi, renvoi, pas de doublon', async () => {
    const { contexte, page } = a;
    await contexte.setOffline(true);
    await page.reload();
    await page.locator('#collecte-outils').waitFor();
    assert.match(await page.locator('#collecte-etat').innerText(), /Hors ligne/);
    for (const n of [1, 2, 3]) await issue(page, n, 'Personne : repasser');
    await issue(page, 4, 'Refus');
    for (const n of [5, 6, 7, 8, 9, 10]) await questionnaire(page, n, n <= 6);
    assert.match(await page.locator('#collecte-etat').innerText(), /10 visite\(s\), 6 questionnaire\(s\)/);
    await visiter(page, 11);
    await page.getByRole('button', { name: 'La personne accepte' }).click();
    await axe(page, 'collecte, questionnaire ouvert, hors ligne', echecs);
    exigerZeroViolation(echecs.splice(0));
    await page.getByRole('button', { name: 'Fermer' }).click();
    // Back online: the page sends by itself (and the button asks too): 16 stored once.
    await contexte.setOffline(false);
    await page.getByRole('button', { name: 'Envoyer maintenant' }).click();
    await page.locator('#collecte-messages').getByText(/16 nouveau\(x\), 0 déjà reçu/).first().waitFor();
    assert.match(await synchroniser(page), /0 nouveau\(x\), 0 déjà reçu/);
    assert.match(await page.locator('#collecte-etat').innerText(), /0 visite\(s\), 0 questionnaire\(s\)/);
    assert.deepEqual(await resultats(page), { questionnaires: 6, refus: 1, absents: 3 });
    await axe(page, 'résultats de la campagne', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('3. deux appareils envoient le même questionnaire en même temps : une seule soumission', async () => {
    const b = await appareil();
    await a.page.goto(PAGE);
    await a.page.locator('#collecte-outils').waitFor();
    const corps = (page) => page.evaluate(async () => {
      const r = document.getElementById('collecte');
      const d = await (await fetch(`/api/v1/enquete/${r.dataset.campagne}/dossier`)).json();
      return { csrf: r.dataset.csrf, q: d.questionnaire_id };
    });
    const [ca, cb] = [await corps(a.page), await corps(b.page)];
    const uuid = crypto.randomUUID();
    const envoyer = (page, c) => page.evaluate(async ({ c, uuid, campagne }) => {
      const r = await fetch(`/api/v1/enquete/${campagne}/synchro`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF': c.csrf },
        body: JSON.stringify({ questionnaires: [{ uuid, questionnaire_id: c.q, commune: '31395',
          reponses: { age: '60-74', internet_3mois: 'oui' }, at: new Date().toISOString() }] }),
      });
      return r.json();
    }, { c, uuid, campagne: CAMPAGNE });
    const [ra, rb] = await Promise.all([envoyer(a.page, ca), envoyer(b.page, cb)]);
    assert.equal(ra.nouveaux.length + rb.nouveaux.length, 1, JSON.stringify([ra, rb]));
    assert.equal(ra.deja_recus.length + rb.deja_recus.length, 1);
    await b.contexte.close();
    assert.equal((await resultats(a.page)).questionnaires, 7);
  });
  await verifier('4. page fermée pendant l’envoi : rien de perdu, rien en double', async () => {
    const { contexte } = a;
    let page = a.page;
    await page.goto(PAGE);
    await page.locator('#collecte-outils').waitFor();
    await contexte.setOffline(true);
    await questionnaire(page, 1, false);
    // Online again: the page starts sending; it is closed as soon as the upload leaves
    // (or after 2 s), whatever the server has done with it.
    const parti = page.waitForRequest('**/synchro', { timeout: 2_000 }).catch(() => null);
    await contexte.setOffline(false);
    await parti;
    await page.close();
    page = await contexte.newPage();
    await page.goto(PAGE);
    await page.locator('#collecte-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
    await page.waitForFunction(() => /à envoyer : 0 visite\(s\), 0 questionnaire\(s\)/.test(document.getElementById('collecte-etat').textContent));
    assert.deepEqual(await resultats(page), { questionnaires: 8, refus: 1, absents: 3 });
    await contexte.close();
  });
  await verifier('5. coordination : nouvelle campagne, gestion, résultats, clé à la porte ; page publique sans JS ; axe 360 et 1280 px', async () => {
    const contexte = await ouvrirContexte({ js: true, largeur: 360 });
    const page = await contexte.newPage();
    await seConnecter(page, COORDINATEUR);
    await page.goto(`${BASE}/espace/enquete/nouvelle`);
    await axe(page, 'nouvelle campagne', echecs);
    await page.getByLabel('Intitulé', { exact: true }).fill('Besoins à Muret, deuxième vague');
    await page.getByLabel('Périmètre', { exact: true }).fill('commune:31395');
    await page.getByLabel('Début', { exact: true }).fill('2027-01-10');
    await page.getByLabel('Fin', { exact: true }).fill('2027-03-31');
    await page.getByRole('button', { name: 'Créer la campagne' }).click();
    await page.waitForURL(/\/gestion/);
    await page.getByText('La campagne est créée').waitFor();
    await axe(page, 'gestion d’une campagne', echecs);
    await page.goto(`${BASE}/espace/enquete/${CAMPAGNE}/gestion`);
    assert.match(await page.locator('main').innerText(), /La collecte a commencé/);
    await axe(page, 'gestion, collecte commencée', echecs);
    await page.goto(`${BASE}/espace/enquete/${CAMPAGNE}/resultats`);
    assert.equal(await page.locator('svg.carte-territoire').count(), 1);
    await axe(page, 'résultats (coordination)', echecs);
    await page.goto(PAGE);
    await page.getByLabel(/Une clé/).check();
    await page.getByLabel('La personne est d’accord').check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.locator('.code-personnel').waitFor();
    await axe(page, 'clé « Mon espace » donnée à la porte', echecs);
    await page.goto(`${BASE}/espace/enquete/${CAMPAGNE}/resultats`);
    assert.match(await page.locator('main').innerText(), /Clés « Mon espace » : 1/);
    await contexte.close();
    // The public page reads without JavaScript (a context with JavaScript off), and axe
    // runs on it with the page's scripts refused (axe itself needs JavaScript).
    const sansJs = await ouvrirContexte({ js: false, largeur: 360 });
    const p = await sansJs.newPage();
    const r = await p.goto(`${BASE}/enquetes/${CAMPAGNE}`);
    assert.equal(r.status(), 200);
    assert.match(await p.locator('main').innerText({ timeout: 10_000 }), /Illectronisme mesuré/);
    await sansJs.close();
    await avecContexte({ js: true, largeur: 360 }, async (page) => {
      await page.route('**/*.js', (route) => route.abort());
      await page.goto(`${BASE}/enquetes/${CAMPAGNE}`);
      await axe(page, 'page publique de la campagne (sans JS)', echecs);
    });
    exigerZeroViolation(echecs.splice(0));
  });
});
