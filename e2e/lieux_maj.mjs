// Test navigateur des mises à jour des lieux / browser test of keeping the directory true.
//
//   MAILLAGE_E2E_COORD31=… MAILLAGE_E2E_COORD75=… MAILLAGE_E2E_MDP=… MAILLAGE_E2E_SECRET=… \
//   MAILLAGE_E2E_LIEU=… MAILLAGE_E2E_LIEN_PERIME=… node e2e/lieux_maj.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur lieux_maj`, which starts an empty
// instance, imports three places (what `maillage import` does), makes a coordinator of
// dép. 31 (COORD31) and one of dép. 75 (COORD75), and gives LIEU (the published id of the
// Muret place, which has no e-mail) and LIEN_PERIME (a link already expired). Then, through
// the pages only:
//   1. the coordinator of dép. 31 edits the place: a bad phone number is refused with the
//      field named; a new name appears on the public page « modifié par la coordination le … »;
//      « Annuler » restores the previous name;
//   2. « Retirer ce lieu » takes it out of the public page and the search; undone;
//   3. « Envoyer un lien au lieu »: a letter to print (the place has no e-mail);
//   4. the place opens its link without an account, corrects its hours: the public page says
//      « mis à jour par le lieu le … »; the same link again, and an expired one, are refused;
//   5. a campaign over dép. 31 and its dashboard;
//   6. the coordinator of dép. 75 cannot open the editing page.
// axe-core (WCAG 2.1 A/AA) on every page visited at 360 and 1280 px.

import assert from 'node:assert/strict';
import { avecContexte, axe, executer, exigerZeroViolation, preparer, seConnecter, verifier } from './commun.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/lieux_maj.mjs',
  harnais: 'navigateur/lieux_maj.rs',
  variables: ['COORD31', 'COORD75', 'MDP', 'SECRET', 'LIEU', 'LIEN_PERIME'],
  minutes: 6,
});

const compte = (email) => ({ email, mdp: E2E.MDP, secret: E2E.SECRET });
const texte = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();
const MODIFIER = `${BASE}/espace/lieux/${encodeURIComponent(E2E.LIEU)}/modifier`;
const PUBLIC = `${BASE}/lieux/${encodeURIComponent(E2E.LIEU)}`;

/**
 * Submits a form by its button and waits for the page it leads to (same URL or not). A
 * correction re-merges the whole directory (the demo's, here) before answering: up to a
 * minute on a loaded machine.
 */
async function soumettre(page, bouton) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: 60_000 }),
    bouton.click({ noWaitAfter: true }),
  ]);
}

const echecs = [];
const etat = { lien: '' };

await executer('Mises à jour des lieux', 'Lieux ', async () => {
  await verifier('1-3. la coordination modifie un champ (visible sur la fiche publique, « Annuler » le rétablit), retire le lieu puis le publie de nouveau, envoie au lieu son lien (un courrier à imprimer)', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORD31));
      await page.goto(MODIFIER);
      assert.equal(await page.getByLabel('Nom', { exact: true }).inputValue(), 'Atelier numérique du Barry');
      await axe(page, 'modifier un lieu', echecs);
      await page.getByLabel('Téléphone', { exact: true }).fill('pas un numéro');
      await soumettre(page, page.getByRole('button', { name: 'Enregistrer les modifications' }));
      assert.match(await texte(page.locator('[role=alert]')), /Téléphone : .*pas un numéro/);
      assert.equal(await page.getByLabel('Téléphone', { exact: true }).getAttribute('aria-invalid'), 'true');
      await axe(page, 'modifier un lieu (valeur refusée)', echecs);
      await page.getByLabel('Téléphone', { exact: true }).fill('05 61 51 90 00');
      await page.getByLabel('Nom', { exact: true }).fill('Atelier numérique du Barry (Muret)');
      await soumettre(page, page.getByRole('button', { name: 'Enregistrer les modifications' }));
      assert.match(await texte(page.locator('[role=status]')), /Modifications enregistrées/);
      assert.match(await texte(page.locator('table.historique')), /Nom .*Atelier numérique du Barry \(Muret\)/);

      await page.goto(PUBLIC);
      assert.equal(await texte(page.locator('h1')), 'Atelier numérique du Barry (Muret)');
      assert.match(await texte(page.locator('ul.provenances')), /Nom : modifié par la coordination le \d\d\/\d\d\/\d{4}/);
      await axe(page, 'fiche publique (modifiée par la coordination)', echecs);

      await page.goto(MODIFIER);
      await soumettre(page, page.getByRole('button', { name: /^Annuler : Nom/ }));
      assert.match(await texte(page.locator('[role=status]')), /Modification annulée/);
      assert.match(await texte(page.locator('table.historique')), /annulée le/);
      await axe(page, 'modifier un lieu (historique)', echecs);
      await page.goto(PUBLIC);
      assert.equal(await texte(page.locator('h1')), 'Atelier numérique du Barry');

      // 2. « Retirer ce lieu » le sort de l’annuaire public, « Annuler » le publie de nouveau.
      await page.goto(MODIFIER);
      await soumettre(page, page.getByRole('button', { name: 'Retirer ce lieu' }));
      assert.match(await texte(page.locator('p.alerte')), /retiré de l’annuaire public/);
      await axe(page, 'lieu retiré', echecs);
      const fiche = await page.goto(PUBLIC);
      assert.equal(fiche.status(), 404);
      const api = await page.request.get(`${BASE}/api/v1/lieux?q=Barry&departement=31`);
      assert.doesNotMatch(await api.text(), new RegExp(E2E.LIEU));
      await page.goto(MODIFIER);
      await soumettre(page, page.getByRole('button', { name: /^Annuler : Retrait/ }));
      const publie = await page.goto(PUBLIC);
      assert.equal(publie.status(), 200);
      const api2 = await page.request.get(`${BASE}/api/v1/lieux?q=Barry&departement=31`);
      assert.match(await api2.text(), new RegExp(E2E.LIEU));

      // 3. La coordination envoie au lieu son lien personnel : un courrier à imprimer.
      await page.goto(MODIFIER);
      await soumettre(page, page.getByRole('button', { name: 'Envoyer un lien au lieu' }));
      assert.match(await texte(page.locator('[role=status]')), /0 courriel\(s\) mis en file d’envoi, 1 courrier\(s\) à imprimer/);
      const lettre = await texte(page.locator('article.courrier'));
      assert.match(lettre, /Atelier numérique du Barry/);
      const jeton = /mise-a-jour\?jeton=([A-Za-z0-9_-]+)/.exec(lettre);
      assert.ok(jeton, lettre);
      etat.lien = `${BASE}/mise-a-jour?jeton=${jeton[1]}`;
      await axe(page, 'courrier à imprimer', echecs);
    });
  });

  await verifier('4. le lieu corrige ses horaires sans compte ; un lien utilisé ou expiré est refusé', async () => {
    await avecContexte({}, async (page) => {
      await page.goto(etat.lien);
      assert.equal(await page.getByLabel('Horaires d\'ouverture').inputValue(), 'Tu-Sa 09:00-12:00');
      await axe(page, 'formulaire du lieu', echecs);
      await page.getByLabel('Horaires d\'ouverture').fill('Tu-Sa 09:00-12:00,14:00-17:00');
      await page.getByRole('checkbox', { name: 'Maîtrise des outils numériques du quotidien', exact: true }).check();
      await soumettre(page, page.getByRole('button', { name: 'Enregistrer mes corrections' }));
      assert.match(await texte(page.locator('[role=status]')), /mis à jour par le lieu/);
      await axe(page, 'merci', echecs);
      await page.goto(PUBLIC);
      assert.match(await texte(page.locator('p.maj-lieu')), /mis à jour par le lieu le \d\d\/\d\d\/\d{4}/);
      assert.match(await texte(page.locator('ul.provenances')), /Horaires .*mis à jour par le lieu le/);
      assert.match(await texte(page.locator('table.horaires')), /14:00|14 h/);
      await axe(page, 'fiche publique (mise à jour par le lieu)', echecs);

      const encore = await page.goto(etat.lien);
      assert.equal(encore.status(), 410);
      assert.match(await texte(page.locator('main')), /déjà été utilisé/);
      await axe(page, 'lien déjà utilisé', echecs);
      const perime = await page.goto(`${BASE}/mise-a-jour?${new URL(E2E.LIEN_PERIME).searchParams}`);
      assert.equal(perime.status(), 410);
      assert.match(await texte(page.locator('main')), /a expiré/);
      await axe(page, 'lien expiré', echecs);
    });
  });

  await verifier('5. une campagne sur le département et son tableau de bord', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORD31));
      await page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Mises à jour des lieux' }).click();
      await page.waitForLoadState('load');
      await axe(page, 'campagnes', echecs);
      await page.getByLabel('Nom de la campagne').fill('Hiver');
      await page.getByLabel('Territoire').selectOption('dep:31');
      await soumettre(page, page.getByRole('button', { name: 'Envoyer les liens' }));
      assert.match(await texte(page.locator('[role=status]')), /courriel\(s\) mis en file d’envoi/);
      await axe(page, 'campagne envoyée', echecs);
      await soumettre(page, page.getByRole('link', { name: 'Suivre les réponses de la campagne' }));
      assert.match(await texte(page.locator('main')), /Taux de réponse : 0 %/);
      assert.match(await texte(page.locator('table.tableau-campagne')), /Muret/);
      await axe(page, 'tableau de bord de la campagne', echecs);
    });
  });

  await verifier('6. la coordination d’un autre département ne peut pas modifier ce lieu', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORD75));
      const r = await page.goto(MODIFIER);
      assert.equal(r.status(), 404);
      await axe(page, 'lieu d’un autre territoire', echecs);
    });
  });

  await verifier('7. aucune violation axe à 360 et 1280 px', async () => {
    exigerZeroViolation(echecs);
  });
});
