// Test navigateur du back office de l’annuaire / browser test of the directory's back office.
//
//   MAILLAGE_E2E_COORDINATEUR31=… MAILLAGE_E2E_COORDINATEUR75=… MAILLAGE_E2E_MDP=… \
//   MAILLAGE_E2E_SECRET=… MAILLAGE_E2E_DOSSIER=… node e2e/lieux.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur lieux`, which starts an empty
// instance (no place) with two coordinators made through the accounts kernel's use cases:
// COORDINATEUR31 (territory dep:31) and COORDINATEUR75 (dep:75), password MDP, TOTP SECRET.
// Everything else goes through pages:
//   1. the coordinator of dep:31 uploads two files of places (two sources describing the same
//      two Toulouse places, and a Paris row outside their territory): the preview, « Appliquer »,
//      the line-by-line report and its CSV;
//   2. the duplicate queue: « lieux différents » on one pair, « même lieu » on the other;
//   3-4. a visitor reports an error from a place's public page; the coordinator corrects the
//      place through « Modifier ce lieu » from the report, marks the report « traité » with a
//      note, and the public page shows the correction with its provenance; the freshness view
//      lists the stale place;
//   5. the coordinator of dep:75 sees no candidate, no report, and cannot open the upload.
// axe-core (WCAG 2.1 A/AA) on every back-office page visited, at 360 and 1280 px, no sideways
// scroll at 360 px.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { avecContexte, axe, executer, exigerZeroViolation, preparer, seConnecter, verifier } from './commun.mjs';
import { cliquerEtAttendre, cocher } from './lib.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/lieux.mjs',
  harnais: 'navigateur/lieux.rs',
  variables: ['COORDINATEUR31', 'COORDINATEUR75', 'MDP', 'SECRET'],
  minutes: 8,
});

const compte = (email) => ({ email, mdp: E2E.MDP, secret: E2E.SECRET });
const DOSSIER = process.env.MAILLAGE_E2E_DOSSIER || os.tmpdir();
const texte = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

/** Submits a form whose answer may come back at the same URL, and waits for the new page. */
async function soumettre(page, bouton) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), bouton.click()]);
}

const ENTETE = 'id,nom,adresse,code_postal,commune,latitude,longitude,date_maj';
const FICHIERS = {
  'mediatheques-31': [
    'm1,Médiathèque José Cabanis,1 allée Jacques Chaban-Delmas,31500,Toulouse,43.6098,1.4537,2026-10-01',
    'm2,Maison de quartier Bagatelle,11 rue Henri Desbals,31100,Toulouse,43.5826,1.4101,2026-10-01',
    'm3,Espace numérique de Muret,2 place de la République,31600,Muret,43.4614,1.3270,2020-03-01',
    'm4,Espace numérique Rivoli,10 rue de Rivoli,75004,Paris,48.8556,2.3592,2026-10-01',
  ],
  'reseau-31': [
    'r1,Médiathèque José Cabanis,1 allée Jacques Chaban-Delmas,31500,Toulouse,43.6099,1.4538,2026-11-02',
    'r2,Maison de quartier de Bagatelle,11 rue Henri Desbals,31100,Toulouse,43.5827,1.4102,2026-11-02',
  ],
};

const echecs = [];
const etat = { imports: [], lieuAncien: '' };

await executer('Back office de l’annuaire', 'Back office ', async () => {
  await verifier('1. le coordinateur du 31 importe deux fichiers : aperçu, « Appliquer », rapport', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORDINATEUR31));
      await cliquerEtAttendre(
        page,
        page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Annuaire' }),
      );
      assert.equal(new URL(page.url()).pathname, '/espace/lieux');
      await axe(page, 'annuaire (accueil du back office)', echecs);
      for (const [source, lignes] of Object.entries(FICHIERS)) {
        if (source === 'mediatheques-31') {
          await cliquerEtAttendre(page, page.getByRole('link', { name: 'Importer un fichier de lieux' }));
        } else {
          await cliquerEtAttendre(page, page.getByRole('link', { name: 'Importer un autre fichier' }));
        }
        assert.equal(new URL(page.url()).pathname, '/espace/lieux/import');
        if (source === 'mediatheques-31') await axe(page, 'importer un fichier', echecs);
        const fichier = path.join(DOSSIER, `${source}.csv`);
        fs.writeFileSync(fichier, [ENTETE, ...lignes].join('\n') + '\n');
        await page.getByLabel('Nom de la source').fill(source);
        await page.getByLabel(/^Fichier \(CSV/).setInputFiles(fichier);
        await cliquerEtAttendre(page, page.getByRole('button', { name: 'Voir l’aperçu' }));
        assert.match(new URL(page.url()).pathname, /^\/espace\/lieux\/import\/[^/]+$/);
        const apercu = new URL(page.url()).pathname;
        etat.imports.push(apercu);
        assert.match(await texte(page.locator('main')), /Rien n’est encore enregistré/);
        assert.equal(await texte(page.locator('[data-compte=ajoutes]')), source === 'mediatheques-31' ? '3' : '2');
        assert.equal(await texte(page.locator('[data-compte=retires]')), '0');
        assert.match(await texte(page.locator('table').first()), /Médiathèque José Cabanis/);
        if (source === 'mediatheques-31') {
          assert.match(await texte(page.locator('main')), /hors de vos territoires/);
          await axe(page, 'aperçu de l’import', echecs);
        }
        await soumettre(page, page.getByRole('button', { name: 'Appliquer' }));
        assert.equal(new URL(page.url()).pathname, apercu);
        assert.match(await texte(page.locator('[role=status]').first()), /Import appliqué : \d ajoutés/);
        assert.match(await texte(page.locator('h1')), /Rapport de l’import/);
        if (source === 'mediatheques-31') {
          await axe(page, 'rapport de l’import', echecs);
          const lien = page.getByRole('link', { name: 'Télécharger le rapport (CSV)' });
          const csv = await page.request.get(new URL(await lien.getAttribute('href'), BASE).href);
          assert.equal(csv.status(), 200);
          assert.match(csv.headers()['content-type'] || '', /^text\/csv/);
          const corps = (await csv.body()).toString('utf8');
          assert.match(corps, /Enregistrement;Identifiant;Champ;Gravité;Message/);
          assert.match(corps, /m4;code_insee;rejeté;hors de vos territoires/);
        }
      }
    });
  });

  await verifier('2. la file des doublons : « lieux différents » puis « même lieu »', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORDINATEUR31));
      await page.goto(`${BASE}/espace/lieux/doublons`);
      await axe(page, 'doublons à examiner', echecs);
      const paires = page.locator('section.paire');
      assert.equal(await paires.count(), 2, 'deux paires / two pairs');
      const cabanis = paires.filter({ hasText: 'reseau-31#r1' });
      assert.match(await texte(cabanis), /mediatheques-31#m1/);
      // The explained score opens.
      await cabanis.locator('summary').click();
      assert.ok(await cabanis.locator('table.criteres').isVisible(), 'critères visibles');
      await cabanis.getByLabel('Note (facultative)').fill('Deux salles distinctes du même bâtiment');
      await soumettre(page, cabanis.getByRole('button', { name: 'Lieux différents' }));
      assert.match(await texte(page.locator('[role=status]')), /lieux différents/);
      await soumettre(page, page.locator('section.paire').filter({ hasText: 'reseau-31#r2' }).getByRole('button', { name: 'Même lieu' }));
      assert.match(await texte(page.locator('[role=status]')), /même lieu/);
      assert.equal(await page.locator('section.paire').count(), 0, 'la file est vide / queue empty');
      const historique = await texte(page.locator('table.historique'));
      assert.match(historique, /lieux différents/);
      assert.match(historique, /même lieu/);
      assert.match(historique, /Camille Coordination/);
      assert.match(historique, /Deux salles distinctes/);
      assert.equal(await page.getByRole('button', { name: 'Annuler cette décision' }).count(), 2);
      await axe(page, 'doublons après décision', echecs);
    });
  });

  await verifier('4. un signalement du public, « traité » avec une note ; la fraîcheur', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORDINATEUR31));
      await page.goto(`${BASE}/espace/lieux/fraicheur`);
      await axe(page, 'lieux à mettre à jour', echecs);
      assert.equal(await texte(page.locator('[data-compte=anciens]')), '1');
      const lien = page.getByRole('link', { name: 'Espace numérique de Muret' });
      etat.lieuAncien = await lien.getAttribute('href');
      assert.match(etat.lieuAncien, /^\/lieux\//);
      const csv = await page.request.get(`${BASE}/espace/lieux/fraicheur.csv`);
      assert.match((await csv.body()).toString('utf8'), /Espace numérique de Muret;31395;Muret;mediatheques-31;01\/03\/2020/);
    });
    // A visitor, no account, from the place's public page.
    await avecContexte({}, async (page) => {
      await page.goto(`${BASE}${etat.lieuAncien}`);
      const form = page.locator('form#signalement');
      await cocher(form.locator('input[name=categorie][value=horaires]'));
      await form.locator('textarea[name=message]').fill('Fermé le samedi depuis septembre');
      await cliquerEtAttendre(page, form.locator('button[type=submit], input[type=submit]').first());
      assert.match(await page.locator('[role=status]').first().innerText(), /Merci/);
    });
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORDINATEUR31));
      await page.goto(`${BASE}/espace/signalements`);
      await axe(page, 'signalements à traiter', echecs);
      let ligne = page.locator('tr').filter({ hasText: 'Fermé le samedi depuis septembre' });
      assert.equal(await ligne.count(), 1);
      // 3. The place is corrected from the report (« Modifier ce lieu »), then the report closed.
      await cliquerEtAttendre(page, ligne.getByRole('link', { name: 'Modifier ce lieu' }));
      assert.match(new URL(page.url()).pathname, /^\/espace\/lieux\/[^/]+\/modifier$/);
      await axe(page, 'modifier le lieu signalé', echecs);
      await page.getByLabel(/^Horaires/).fill('Mo-Fr 09:00-12:00');
      await soumettre(page, page.getByRole('button', { name: 'Enregistrer les modifications' }));
      assert.match(await texte(page.locator('[role=status]')), /Modifications enregistrées/);
      await page.goto(`${BASE}/espace/signalements`);
      ligne = page.locator('tr').filter({ hasText: 'Fermé le samedi depuis septembre' });
      await ligne.getByLabel('Note (facultative)').fill('Horaires corrigés avec la mairie');
      await soumettre(page, ligne.getByRole('button', { name: 'Traité' }));
      assert.match(await texte(page.locator('[role=status]')), /traité/);
      await page.goto(`${BASE}/espace/signalements?tous=1`);
      const clos = page.locator('tr').filter({ hasText: 'Fermé le samedi depuis septembre' });
      assert.match(await texte(clos), /traité : Horaires corrigés avec la mairie/);
      await axe(page, 'signalements (tous)', echecs);
    });
    // The public page shows the correction and where it comes from.
    await avecContexte({}, async (page) => {
      await page.goto(`${BASE}${etat.lieuAncien}`);
      const corps = await texte(page.locator('main'));
      assert.match(corps, /Mo-Fr 09:00-12:00|lundi|Lundi/, corps);
      assert.match(await texte(page.locator('ul.provenances')), /modifié par la coordination le \d\d\/\d\d\/\d{4}/);
    });
  });

  await verifier('5. le coordinateur de Paris ne voit rien du 31', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.COORDINATEUR75));
      await page.goto(`${BASE}/espace/lieux/doublons`);
      assert.match(await texte(page.locator('main')), /Aucune paire à examiner/);
      assert.match(await texte(page.locator('main')), /Décisions prises Aucune décision/);
      await page.goto(`${BASE}/espace/signalements?tous=1`);
      assert.match(await texte(page.locator('main')), /Aucun signalement\./);
      for (const chemin of etat.imports) {
        const r = await page.goto(`${BASE}${chemin}`);
        assert.equal(r.status(), 404, chemin);
        const csv = await page.request.get(`${BASE}${chemin}/rapport.csv`);
        assert.equal(csv.status(), 404, `${chemin}/rapport.csv`);
      }
      await page.goto(`${BASE}/espace/lieux/fraicheur`);
      assert.equal(await texte(page.locator('[data-compte=anciens]')), '0');
    });
  });

  await verifier('axe : zéro violation (WCAG 2.1 A/AA) à 360 et 1280 px', async () => {
    exigerZeroViolation(echecs);
  });
});
