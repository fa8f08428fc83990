// Test navigateur du Pass numérique / browser test of the Pass numérique.
//
//   MAILLAGE_E2E_FINANCEUR=… MAILLAGE_E2E_PRESCRIPTEUR=… MAILLAGE_E2E_MEDIATEUR=… \
//   MAILLAGE_E2E_MDP=… MAILLAGE_E2E_SECRET=… node e2e/pass.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur pass`, which starts an empty
// instance with three structures and their accounts (made through the accounts kernel's use
// cases, as the CLI does): FINANCEUR, a coordinator of the Département; PRESCRIPTEUR, a
// mediator of the CAF; MEDIATEUR, a mediator of the Médiathèque de Muret (SIRET, a place of
// activity); all with password MDP and TOTP secret SECRET. Everything else goes through pages:
//   1. the funder simulates then creates a programme, qualifies the Médiathèque, adds the CAF
//      as prescriber, issues a carnet of 3 passes and prints it (PDF read back with pdftotext:
//      its codes);
//   2. the prescriber gives the first pass to a person with a new personal code;
//   3. the mediator redeems it while recording the accompaniment (the activity form), the
//      pass's code read by scanning its QR code (camera and detector simulated, see there);
//   4. the person opens « Mon espace » with the code: the pass is « utilisé le … à … »;
//   5. the funder's dashboard counts it, the month's statement of the Médiathèque lists it.
// axe-core (WCAG 2.1 A/AA) on every page visited at 360 and 1280 px, no sideways scroll and
// large touch targets at 360 px.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { avecContexte, axe, executer, exigerZeroViolation, preparer, seConnecter, verifier } from './commun.mjs';
import { cliquerEtAttendre, cocher } from './lib.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/pass.mjs',
  harnais: 'navigateur/pass.rs',
  variables: ['FINANCEUR', 'PRESCRIPTEUR', 'MEDIATEUR', 'MDP', 'SECRET'],
  minutes: 8,
  // The prescriber and the mediator work on a phone too: small checkboxes and buttons fail.
  ciblesTactiles: true,
});

const compte = (email) => ({ email, mdp: E2E.MDP, secret: E2E.SECRET });
const DOSSIER = process.env.MAILLAGE_E2E_DOSSIER || os.tmpdir();
const texte = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

const echecs = [];
const etat = { programme: '', codes: [], cle: '' };

await executer('Pass numérique', 'Pass ', async () => {
  await verifier('1. le financeur crée le programme, qualifie un lieu, imprime un carnet', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.FINANCEUR));
      await cliquerEtAttendre(
        page,
        page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Pass numérique' }),
      );
      await axe(page, 'pass numérique (accueil)', echecs);
      await page.getByLabel('Nom du programme').fill('Pass numérique Haute-Garonne');
      await page.getByLabel('Budget (€)').fill('1000');
      await page.getByLabel('Valeur d’un pass (€)').fill('10');
      await page.getByLabel('Territoire', { exact: true }).fill('dep:31');
      await page.getByLabel('Fin de validité').fill('2035-12-31');
      await page.getByLabel(/^Tolérance/).fill('2036-01-31');
      await cocher(page.getByRole('checkbox', { name: 'Retraité', exact: true }));
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Simuler le coût et la couverture' })).catch(() => {});
      await page.waitForLoadState('load');
      const simulation = await texte(page.locator('section.simulation'));
      assert.match(simulation, /Pass financés 100 /, simulation);
      await axe(page, 'simulation', echecs);
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Créer le programme' }));
      assert.match(new URL(page.url()).pathname, /^\/espace\/pass\/programmes\/\d+$/);
      etat.programme = new URL(page.url()).pathname;
      await axe(page, 'programme', echecs);

      await page.getByLabel(/^Qualifier un lieu/).selectOption({ label: 'Médiathèque de Muret' });
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Qualifier ce lieu' })).catch(() => {});
      await page.waitForLoadState('load');
      assert.match(await texte(page.locator('[role=status]')), /Lieu qualifié : SIRET 73282932000074/);
      await page.getByLabel(/^Ajouter une structure prescriptrice/).selectOption({ label: 'CAF de la Haute-Garonne' });
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Ajouter ce prescripteur' })).catch(() => {});
      await page.waitForLoadState('load');
      assert.match(await texte(page.locator('[role=status]')), /Prescripteur ajouté/);
      await page.getByLabel(/^Émettre un carnet/).fill('3');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Émettre le carnet' })).catch(() => {});
      await page.waitForLoadState('load');
      assert.match(await texte(page.locator('[role=status]')), /Carnet n° \d+ émis : 3 pass/);
      await axe(page, 'programme avec son carnet', echecs);

      const lien = page.getByRole('link', { name: /^Imprimer le carnet/ });
      const href = await lien.getAttribute('href');
      const reponse = await page.request.get(BASE + href);
      assert.equal(reponse.status(), 200);
      assert.equal(reponse.headers()['content-type'], 'application/pdf');
      const fichier = path.join(DOSSIER, 'carnet.pdf');
      fs.writeFileSync(fichier, await reponse.body());
      const lu = execFileSync('pdftotext', ['-layout', fichier, '-'], { encoding: 'utf8' });
      etat.codes = [...lu.matchAll(/Pass ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/g)].map((m) => m[1]);
      assert.equal(etat.codes.length, 3, `codes lus dans le PDF / codes read from the PDF: ${lu}`);
      assert.match(lu, /Carnet n° \d+ — Pass numérique Haute-Garonne/);
      console.log(`    codes : ${etat.codes.join(', ')}`);
    });
  });

  await verifier('2. le prescripteur remet un pass avec un nouveau code personnel', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.PRESCRIPTEUR));
      await page.goto(`${BASE}/espace/pass`);
      await cliquerEtAttendre(page, page.getByRole('link', { name: 'Remettre un pass à une personne' }));
      await axe(page, 'remettre un pass', echecs);
      await page.getByLabel('Code du pass').fill(etat.codes[0]);
      await page.getByLabel(/^Commune de la personne/).fill('31395');
      await page.getByLabel('Tranche d’âge').selectOption('70+');
      await page.getByLabel('Situation').selectOption({ label: 'Retraité' });
      await cocher(page.getByRole('radio', { name: /nouveau code personnel/ }));
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Remettre le pass' })).catch(() => {});
      await page.waitForLoadState('load');
      assert.match(await texte(page.locator('[role=status]')), new RegExp(`Pass ${etat.codes[0]} remis`));
      etat.cle = await texte(page.locator('strong.code-personnel'));
      assert.match(etat.cle, /^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$/);
      await axe(page, 'pass remis (code personnel)', echecs);
    });
  });

  await verifier('3. le médiateur utilise le pass en enregistrant l’accompagnement', async () => {
    await avecContexte({}, async (page) => {
      // The phone's camera reads the printed pass's QR code (the address of its check page,
      // as the carnet's PDF prints it). Debian's Chromium has no BarcodeDetector on Linux and a
      // headless browser no camera: a canvas stream and a detector that reads that address
      // stand in for them; the page's own code does the rest (button, code taken from the
      // address, field filled, stream stopped).
      await page.addInitScript((adresse) => {
        window.BarcodeDetector = class {
          async detect(video) { return video.srcObject ? [{ rawValue: adresse }] : []; }
        };
        navigator.mediaDevices.getUserMedia = async () => {
          const toile = document.createElement('canvas');
          toile.width = 64; toile.height = 64;
          toile.getContext('2d').fillRect(0, 0, 64, 64);
          window.__fluxCamera = toile.captureStream();
          return window.__fluxCamera;
        };
      }, `${BASE}/pass/${etat.codes[0]}`);
      await seConnecter(page, compte(E2E.MEDIATEUR));
      await page.goto(`${BASE}/espace/activites/nouvelle`);
      await page.getByLabel('Durée', { exact: true }).selectOption({ label: '45 min' });
      await page.getByLabel('Où ?').selectOption('lieu_activite');
      await page.getByLabel('Lieu d’activité', { exact: true }).selectOption({ index: 0 });
      await cocher(page.getByRole('checkbox', { name: 'E-mail', exact: true }));
      await page.locator('#anon_tranche').selectOption({ label: '70 ans et plus' });
      await page.getByLabel('Statut', { exact: true }).selectOption({ label: 'Retraité' });
      await page.getByRole('button', { name: 'Scanner le code QR du pass' }).click();
      await page.waitForFunction(() => document.getElementById('pass').value !== '');
      const lu = await page.getByLabel(/^Code du pass numérique/).inputValue();
      assert.equal(lu.replace(/-/g, ''), etat.codes[0].replace(/-/g, '').toUpperCase());
      assert.match(await texte(page.locator('#pass-scanner-message')), /^Code lu : /);
      assert.equal(await page.evaluate(() => window.__fluxCamera.getTracks().every((t) => t.readyState === 'ended')), true,
        'la caméra est rendue après la lecture / the camera is released after reading');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Enregistrer l’activité' }));
      assert.match(new URL(page.url()).pathname, /^\/espace\/activites\/\d+$/);
      const corps = await texte(page.locator('main'));
      assert.match(corps, new RegExp(`payée par le pass ${etat.codes[0]}`), corps);
      await axe(page, 'activité payée par le pass', echecs);
    });
  });

  await verifier('4. la personne voit son pass « utilisé » dans Mon espace', async () => {
    await avecContexte({}, async (page) => {
      await page.goto(`${BASE}/mon-espace`);
      await page.getByLabel(/^Mon code personnel/).fill(etat.cle);
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Ouvrir mon espace' })).catch(() => {});
      await page.waitForLoadState('load');
      const pass = await texte(page.locator('section[aria-labelledby=titre-pass]'));
      assert.match(pass, new RegExp(`${etat.codes[0]}.*utilisé le \\d{2}/\\d{2}/\\d{4} à \\d{2}:\\d{2}`), pass);
      await axe(page, 'mon espace (pass utilisé)', echecs);
    });
  });

  await verifier('5. le tableau de bord et le relevé du mois le montrent', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.FINANCEUR));
      await page.goto(BASE + etat.programme);
      await cliquerEtAttendre(page, page.getByRole('link', { name: 'Tableau de bord' }));
      const total = (await page.locator('#cap-total ~ tbody td').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(total.slice(0, 3), ['3', '1', '1'], `émis, distribués, utilisés : ${total}`);
      assert.ok((await page.locator('svg.graphique').count()) >= 1, 'graphiques SVG');
      await axe(page, 'tableau de bord', echecs);
      await page.goto(BASE + etat.programme);
      await page.getByLabel('Lieu', { exact: true }).selectOption({ label: 'Médiathèque de Muret' });
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Voir le relevé' }));
      const releve = await texte(page.locator('main'));
      assert.match(releve, new RegExp(etat.codes[0]), releve);
      assert.match(releve, /Total : 1 pass, 10,00 €/, releve);
      await axe(page, 'relevé du mois', echecs);
    });
  });

  await verifier('5b. un coordinateur crée une clé d’API (montrée une fois) puis la révoque', async () => {
    await avecContexte({}, async (page) => {
      await seConnecter(page, compte(E2E.FINANCEUR));
      await page.goto(`${BASE}/espace/pass`);
      await cliquerEtAttendre(page, page.getByRole('link', { name: 'Clés d’API du lieu' }));
      await axe(page, 'clés d’API (vide)', echecs);
      await page.getByLabel(/^Nom/).fill('Caisse de l’accueil');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Créer la clé' })).catch(() => {});
      await page.waitForLoadState('load');
      const cle = await texte(page.locator('strong.code-personnel'));
      assert.match(cle, /^mpk_[0-9a-f]{16}_[0-9a-f]{64}$/, cle);
      await axe(page, 'clé d’API créée (montrée une fois)', echecs);
      await cliquerEtAttendre(page, page.getByRole('button', { name: /^Révoquer la clé/ })).catch(() => {});
      await page.waitForLoadState('load');
      assert.match(await texte(page.locator('[role=status]')), /révoquée/);
      assert.equal(await page.locator('strong.code-personnel').count(), 0, 'never shown again');
      await axe(page, 'clé d’API révoquée', echecs);
    });
  });

  await verifier('6. aucune violation axe à 360 et 1280 px', async () => {
    exigerZeroViolation(echecs);
  });
});
