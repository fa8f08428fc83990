// Tests navigateur de « Connaître mon niveau » / browser tests of the self-assessment.
//
//   node e2e/competences.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur competences`, over the bundled
// instance (the demo directory). In Debian's Chromium through playwright-core:
//   1. JavaScript off, 360 px: a person at ease with the basics takes the assessment by
//      clicking labels and « Suivant » only, in at most 20 screens, sees a level per domain
//      (chart and table), gives « Muret » and gets three next steps with a real place;
//      « Question précédente » and « Effacer mes réponses » work; nothing is kept (no
//      cookie, no storage);
//   2. the same with JavaScript on;
//   3. with a mediator (MAILLAGE_E2E_MEDIATEUR, _MDP, _SECRET: an account with a TOTP
//      secret; _BENEFICIAIRE: the id of one of their beneficiaries' files), JavaScript off,
//      360 px: sign-in through the pages, the file, « Évaluer ses compétences avec la
//      personne », the consent box (refused unticked), the same adaptive pages, « Enregistrer
//      dans le dossier »; a second assessment at a higher level shows the progress per domain
//      in the file, and the dashboard's impact indicator counts the person;
//   4. the territory page of Muret, where the harness stored six assessments: the measured
//      needs (SVG and table, cells under 5 shown « moins de 5 »), axe at 360 and 1280 px;
// axe-core (WCAG 2.1 A/AA) runs on every kind of page (start, statement, practical item,
// missing answer, results, next steps, and the mediator's consent, question, result and file
// pages) at 360 and 1280 px, JS on and off (the JS-off DOM is analysed as served, scripts
// blocked); at 360 px no sideways scroll and large touch targets.
// Exit status 1 on any failure.

import assert from 'node:assert/strict';
import { allerEtAnalyser, avecContexte, axe, axeSurInstantanes, executer, exigerZeroViolation, preparer, seConnecter, verifier } from './commun.mjs';
import { cocher } from './lib.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/competences.mjs',
  harnais: 'navigateur/competences.rs',
  variables: ['MEDIATEUR', 'MDP', 'SECRET', 'BENEFICIAIRE'],
  minutes: 10,
  ciblesTactiles: true,
});
const MEDIATEUR = { email: E2E.MEDIATEUR, mdp: E2E.MDP, secret: E2E.SECRET };
const DOSSIER = `/espace/beneficiaires/${E2E.BENEFICIAIRE}`;

/** Clicks and waits for the next page (a POST to the same address: no URL change). */
async function soumettre(page, bouton) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), bouton.click()]);
}

/** The answer of a person at ease up to level `personne` (2 by default): « Oui, facilement » up to it, « Non » beyond; practical items: the first choice. */
async function repondre(page, personne = 2) {
  const id = await page.locator('input[name=question]').inputValue();
  const niveau = Number((id.split('-').pop() || '1')[0]);
  const enonce = (await page.locator('input[name=reponse][value=f]').count()) > 0;
  const valeur = enonce ? (niveau <= personne ? 'f' : 'n') : '0';
  await cocher(page.locator(`input[name=reponse][value="${valeur}"]`));
  await soumettre(page, page.getByRole('button', { name: 'Suivant' }));
  return { id, enonce };
}

/**
 * The whole path; `instantane(nom)` is called on each kind of page (to analyse it).
 * Returns the number of question screens.
 */
async function parcours(page, instantane) {
  const r = await page.goto(`${BASE}/competences`);
  assert.equal(r.status(), 200);
  await instantane('accueil');
  await soumettre(page, page.getByRole('button', { name: 'Commencer' }));
  // Sending without an answer says so (and keeps the question).
  const premiere = await page.locator('input[name=question]').inputValue();
  await soumettre(page, page.getByRole('button', { name: 'Suivant' }));
  assert.match(await page.locator('[role=alert]').innerText(), /Choisissez une réponse/);
  assert.equal(await page.locator('input[name=question]').inputValue(), premiere);
  await instantane('réponse manquante');
  let ecrans = 0;
  let vuEnonce = false;
  let vuPratique = false;
  let precedente = false;
  while ((await page.locator('input[name=question]').count()) > 0) {
    ecrans += 1;
    assert.ok(ecrans <= 20, 'au plus 20 questions');
    const enonce = (await page.locator('input[name=reponse][value=f]').count()) > 0;
    if (enonce && !vuEnonce) {
      vuEnonce = true;
      await instantane('question (énoncé)');
    }
    if (!enonce && !vuPratique) {
      vuPratique = true;
      await instantane('question (mise en situation)');
    }
    const { id } = await repondre(page);
    if (ecrans === 2 && !precedente) {
      precedente = true;
      await soumettre(page, page.getByRole('button', { name: 'Question précédente' }));
      assert.equal(await page.locator('input[name=question]').inputValue(), id, 'retour à la question précédente');
      await repondre(page);
    }
  }
  assert.ok(vuEnonce, 'au moins un énoncé');
  // Results: five domains in a chart and a table.
  assert.equal(await page.locator('table tbody tr').count(), 5);
  assert.equal(await page.locator('svg[role=img] title').count(), 1);
  await instantane('résultats');
  await page.getByLabel(/Votre commune ou code postal/).fill('Muret');
  await soumettre(page, page.getByRole('button', { name: "Voir l'aide près de chez moi" }));
  assert.equal(await page.locator('ol.etapes > li').count(), 3, 'trois prochaines étapes');
  assert.ok((await page.locator('ol.etapes a[href^="/lieux/"]').count()) >= 1, 'un lieu réel près de Muret');
  await instantane('prochaines étapes');
  // Nothing kept in the browser.
  assert.deepEqual(await page.context().cookies(), [], 'aucun cookie');
  const stockage = await page.evaluate(() => {
    try {
      return localStorage.length + sessionStorage.length;
    } catch {
      return 0;
    }
  }).catch(() => 0);
  assert.equal(stockage, 0, 'rien dans le stockage du navigateur');
  await soumettre(page, page.getByRole('button', { name: 'Effacer mes réponses' }).last());
  assert.match(page.url(), /\/competences\?efface=1$/);
  assert.match(await page.locator('[role=status]').first().innerText(), /effacées/);
  return ecrans;
}

/**
 * With a mediator: from the file, the consent, the assessment at level `personne`, then
 * « Enregistrer dans le dossier »; back on the file. `instantane(nom)` on each kind of page.
 */
async function evaluationAvecMediateur(page, personne, instantane) {
  await page.goto(`${BASE}${DOSSIER}`);
  await soumettre(page, page.getByRole('link', { name: 'Évaluer ses compétences avec la personne' }));
  assert.equal(new URL(page.url()).pathname, `${DOSSIER}/competences`);
  await instantane('consentement');
  // Unticked: refused, the field named.
  await soumettre(page, page.getByRole('button', { name: 'Commencer l’évaluation' }));
  assert.match(await page.locator('[role=alert]').innerText(), /Consentement/);
  await cocher(page.getByLabel(/La personne accepte/));
  await soumettre(page, page.getByRole('button', { name: 'Commencer l’évaluation' }));
  let ecrans = 0;
  while ((await page.locator('input[name=question]').count()) > 0) {
    ecrans += 1;
    assert.ok(ecrans <= 20, 'au plus 20 questions');
    if (ecrans === 1) await instantane('question (avec médiateur)');
    await repondre(page, personne);
  }
  assert.equal(await page.locator('table tbody tr').count(), 5);
  await instantane('résultat (avec médiateur)');
  await soumettre(page, page.getByRole('button', { name: 'Enregistrer dans le dossier' }));
  assert.equal(new URL(page.url()).pathname, DOSSIER);
  return ecrans;
}

async function parcoursMediateur(page, instantane) {
  await seConnecter(page, MEDIATEUR);
  const premiere = await evaluationAvecMediateur(page, 1, instantane);
  assert.match(await page.locator('#competences').innerText(), /Compétences numériques/);
  assert.equal(await page.locator('table:has(caption:text("Évaluations")) tbody tr').count(), 1);
  assert.equal(await page.locator('#progres').count(), 0, 'pas de progrès avec une seule évaluation');
  const seconde = await evaluationAvecMediateur(page, 3, instantane);
  assert.equal(await page.locator('table:has(caption:text("Évaluations")) tbody tr').count(), 2);
  assert.equal(await page.locator('#progres').count(), 1, 'le progrès par domaine dès la deuxième');
  assert.ok((await page.getByText('a progressé').count()) >= 1, 'au moins un domaine en progrès');
  await instantane('dossier avec progrès');
  await page.goto(`${BASE}/espace`);
  assert.match(await page.locator('#impact-indicateur').innerText(), /1 sur 1/);
  await instantane('tableau de bord (indicateur d’impact)');
  console.log(`    ${premiere} puis ${seconde} questions`);
}

/** The kiosk quiz: a correction after each answer, the score, « Recommencer ». */
async function quiz(page, instantane) {
  await page.goto(`${BASE}/competences/quiz/arnaques?kiosque=1`);
  await instantane('quiz (borne)');
  await soumettre(page, page.getByRole('button', { name: 'Commencer le quiz' }));
  let n = 0;
  while ((await page.locator('input[name=question]').count()) > 0) {
    n += 1;
    if (n === 1) await instantane('quiz, question');
    await cocher(page.locator('input[name=reponse][value="0"]'));
    await soumettre(page, page.getByRole('button', { name: 'Valider' }));
    assert.equal(await page.locator('#correction').count(), 1, 'une correction après chaque réponse');
    if (n === 1) await instantane('quiz, correction');
    await soumettre(page, page.getByRole('button', { name: /Question suivante|Voir mon score/ }));
  }
  assert.equal(n, 8);
  assert.match(await page.locator('#score').innerText(), /sur 8$/);
  await instantane('quiz, score');
  await soumettre(page, page.getByRole('button', { name: 'Recommencer' }));
  assert.match(page.url(), /\/competences\/quiz\/arnaques\?kiosque=1$/);
}

await executer('Tests navigateur — Connaître mon niveau', 'e2e competences', async () => {
  const echecs = [];
  const instantanes = [];
  await verifier('1. sans JavaScript, 360 px : évaluation, résultats, aide près de Muret', async () => {
    await avecContexte({ js: false, largeur: 360 }, async (page) => {
      const prendre = async (nom) => {
        instantanes.push({ nom, url: page.url(), html: await page.content() });
      };
      const ecrans = await parcours(page, prendre);
      await quiz(page, prendre);
      console.log(`    ${ecrans} questions`);
    });
  });
  await verifier('1. axe sans JavaScript (DOM servi, scripts bloqués), 360 et 1280 px', async () => {
    assert.ok(instantanes.length >= 5, `${instantanes.length} pages`);
    await axeSurInstantanes(instantanes, '/competences', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  const mediateur = [];
  await verifier('3. avec un médiateur, sans JavaScript, 360 px : consentement, dossier, deuxième évaluation, progrès', async () => {
    await avecContexte({ js: false, largeur: 360 }, async (page) => {
      await parcoursMediateur(page, async (nom) => {
        mediateur.push({ nom, url: page.url(), html: await page.content() });
      });
    });
  });
  await verifier('3. axe sur les pages du médiateur (sans JavaScript), 360 et 1280 px', async () => {
    assert.ok(mediateur.length >= 5, `${mediateur.length} pages`);
    await axeSurInstantanes(mediateur, '/competences', echecs);
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('4. besoins mesurés sur la page du territoire (Muret : 6 évaluations), axe à 360 et 1280 px', async () => {
    await avecContexte({ js: true, largeur: 360 }, async (page) => {
      await allerEtAnalyser(page, '/territoires/commune:31395', 'territoire, besoins mesurés', echecs);
      const ligne = await page.locator('table.besoins tbody tr').first().innerText();
      assert.match(ligne, /\b6\b/, `six évaluations dans le premier domaine : ${ligne}`);
      assert.ok((await page.locator('table.besoins').getByText('moins de 5').count()) >= 1, 'cellules sous 5 masquées');
      assert.equal(await page.locator('svg.besoins title').count(), 1);
    });
    exigerZeroViolation(echecs.splice(0));
  });
  await verifier('2. avec JavaScript : le même parcours, axe sur chaque page', async () => {
    await avecContexte({ js: true, largeur: 360 }, async (page) => {
      await parcours(page, (nom) => axe(page, nom, echecs));
      await quiz(page, (nom) => axe(page, nom, echecs));
    });
    exigerZeroViolation(echecs.splice(0));
  });
});
