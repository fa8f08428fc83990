// Tests navigateur du module Mandats / browser tests of the Mandats module.
//
//   MAILLAGE_E2E_AIDANT=… MAILLAGE_E2E_MDP=… MAILLAGE_E2E_SECRET=… node e2e/mandats.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur_mandats`, which builds the world in a
// fresh database and passes it through MAILLAGE_E2E_* variables: AIDANT (a mediator of a
// structure, habilitated to sign mandates, with the TOTP secret SECRET), MDP (its password),
// DOSSIER (optional: where the PDF is written for pdftotext; the system's temporary
// directory otherwise).
//
// The acceptance scenario, in Debian's Chromium (/usr/bin/chromium) through playwright-core:
//   1. the aidant signs in with e-mail, password and TOTP code;
//   2. signs a 6-month mandate for « Social » and « Logement » for a new person (identity
//      seen on a document, declarations, consent, a fresh TOTP code to sign);
//   3. gets the print page (QR code, personal code, fingerprint) and the PDF, read back with
//      pdftotext;
//   4. the person, in a separate browser context, opens /mon-mandat with the personal code
//      and revokes « Logement » only;
//   5. the aidant is refused « Logement » (HTTP 422, French message) and declares « Social »;
//   6. /verifier?empreinte=… says « Mandat n° … : actif »;
//   7. the person's space also works with JavaScript disabled.
// axe-core (WCAG 2.1 A/AA) runs on every page visited, at 360 and 1280 px; at 360 px no page
// may scroll sideways and checkboxes, radios (≥ 24 px) and buttons (≥ 44 px high) must be
// large touch targets; the keyboard focus must be visible on the new-mandate form.
// Exit status 1 on any failure.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  allerEtAnalyser,
  avecContexte,
  axe,
  chemin,
  codeNeuf,
  executer,
  exigerZeroViolation,
  ouvrirContexte,
  preparer,
  seConnecter,
  verifier,
} from './commun.mjs';
import { cliquerEtAttendre, cocher } from './lib.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/mandats.mjs',
  harnais: 'navigateur_mandats.rs',
  variables: ['AIDANT', 'MDP', 'SECRET'],
  minutes: 8,
  // Mandates are signed on a phone or a tablet too: small checkboxes and buttons fail.
  ciblesTactiles: true,
});

const AIDANT = { email: E2E.AIDANT, mdp: E2E.MDP, secret: E2E.SECRET };
const DOSSIER = process.env.MAILLAGE_E2E_DOSSIER || os.tmpdir();

/** The person the mandate is signed for. */
const PERSONNE = { nom: 'Durand', prenoms: 'Lucienne Marie', naissance: '1948-05-12' };
const REFUS_LOGEMENT = 'Refusé : la démarche « Logement » a été révoquée pour ce mandat.';

/** The page's text with its spaces (no-break ones included) collapsed. */
const texte = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

// ---------------------------------------------------------------- accessibility

/**
 * Visible focus: moves the focus with the keyboard (Shift+Tab then Tab, from `depart`) and
 * returns the focused element's outline as computed (style, width in px).
 */
async function focusClavier(page, depart) {
  await depart.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  return page.evaluate(() => {
    const e = document.activeElement;
    const c = getComputedStyle(e);
    return { id: e.id, style: c.outlineStyle, largeur: parseFloat(c.outlineWidth) || 0 };
  });
}

async function exigerFocusVisible(page, depart, nom) {
  const f = await focusClavier(page, depart);
  assert.ok(f.style !== 'none' && f.largeur >= 2, `focus visible sur ${nom} (#${f.id}) : outline ${f.style} ${f.largeur} px`);
}

// ---------------------------------------------------------------- navigation helpers

/**
 * Submits a form by clicking `bouton` and waits for the new page (a POST may answer on the
 * same URL). Returns the HTTP response of the document (after redirects).
 */
async function soumettre(page, bouton) {
  const [reponse] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), bouton.click()]);
  assert.ok(reponse, `pas de réponse après l’envoi du formulaire / no response (${page.url()})`);
  return reponse;
}

// ---------------------------------------------------------------- the scenario

/** What the steps pass on to each other. */
const mandat = { id: null, code: null, empreinte: null };

/** Fills the identity, démarches, duration and declarations of the new-mandate form. */
async function remplirIdentiteEtChoix(page) {
  await page.getByLabel('Nom de naissance').fill(PERSONNE.nom);
  await page.getByLabel('Prénoms').fill(PERSONNE.prenoms);
  await page.getByLabel('Date de naissance').fill(PERSONNE.naissance);
  await page.getByLabel('Pièce d’identité vue').selectOption({ label: 'carte nationale d’identité' });
  await cocher(page.getByRole('checkbox', { name: /^Social - Santé/ }));
  await cocher(page.getByRole('checkbox', { name: /^Logement/ }));
  await cocher(page.getByRole('radio', { name: '6 mois (182 jours)', exact: true }));
}

/** The declarations: asked again whenever the form comes back. */
async function cocherDeclarations(page, { consentement = true } = {}) {
  await cocher(page.getByRole('checkbox', { name: /^J’ai vérifié l’identité/ }));
  await cocher(page.getByRole('checkbox', { name: /^La personne déclare ne pas être sous tutelle/ }));
  await cocher(page.getByRole('checkbox', { name: /^J’ai lu à la personne les mentions légales/ }));
  if (consentement) await cocher(page.getByRole('checkbox', { name: /^La personne consent explicitement/ }));
}

async function parcoursAidant(contexte, page) {
  await verifier('1. connexion de l’aidant·e (mot de passe et code TOTP) / aidant signs in', async () => {
    const echecs = [];
    await seConnecter(page, AIDANT, { echecs });
    assert.equal(new URL(page.url()).pathname, '/espace');
    await cliquerEtAttendre(
      page,
      page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Mandats' }),
    );
    assert.equal(chemin(page), '/espace/mandats');
    assert.equal(await texte(page.locator('h1')), 'Mandats');
    assert.match(await texte(page.getByRole('main')), /Aucun mandat dans votre structure\./, 'liste vide / empty list');
    await axe(page, 'mandats (liste vide)', echecs);
    exigerZeroViolation(echecs);
  });

  await verifier('2. mandat de 6 mois « Social » et « Logement » signé pour une nouvelle personne / mandate signed', async () => {
    const echecs = [];
    await cliquerEtAttendre(page, page.getByRole('link', { name: 'Signer un nouveau mandat' }));
    assert.equal(chemin(page), '/espace/mandats/nouveau');
    assert.equal(await texte(page.locator('h1')), 'Nouveau mandat');
    await axe(page, 'nouveau mandat (formulaire)', echecs);
    await exigerFocusVisible(page, page.getByRole('checkbox', { name: /^Logement/ }), 'une case à cocher');
    await exigerFocusVisible(page, page.getByRole('radio', { name: '6 mois (182 jours)' }), 'un bouton radio');
    await exigerFocusVisible(page, page.getByRole('button', { name: 'Signer le mandat' }), 'le bouton « Signer le mandat »');

    // Without the person's consent: refused (422) before the second factor is checked, the
    // form comes back with what was typed and a French message.
    await remplirIdentiteEtChoix(page);
    await cocherDeclarations(page, { consentement: false });
    await page.getByLabel(/^Votre code à usage unique/).fill('000000');
    let reponse = await soumettre(page, page.getByRole('button', { name: 'Signer le mandat' }));
    assert.equal(reponse.status(), 422, 'sans consentement : 422');
    assert.match(await texte(page.getByRole('alert')), /consentement explicite de la personne est obligatoire/);
    assert.equal(await page.getByLabel('Nom de naissance').inputValue(), PERSONNE.nom, 'nom conservé / kept');
    assert.equal(await page.getByLabel('Date de naissance').inputValue(), PERSONNE.naissance, 'date conservée / kept');
    assert.ok(await page.getByRole('checkbox', { name: /^Logement/ }).isChecked(), 'démarches conservées / kept');
    assert.ok(await page.getByRole('radio', { name: '6 mois (182 jours)' }).isChecked(), 'durée conservée / kept');
    await axe(page, 'nouveau mandat (erreur de saisie)', echecs);

    // Signed with a TOTP step not used at sign-in (a step is accepted once).
    for (let essai = 0; essai < 2; essai++) {
      await cocherDeclarations(page);
      const champ = page.getByLabel(/^Votre code à usage unique/);
      await champ.fill('');
      await champ.pressSequentially(await codeNeuf(AIDANT));
      reponse = await soumettre(page, page.getByRole('button', { name: 'Signer le mandat' }));
      if (reponse.status() === 200) break;
      const alerte = await page.locator('[role=alert]').allInnerTexts();
      console.log(`    (signature refusée / signing refused: ${reponse.status()} ${alerte.join(' ')} ; nouvel essai au pas suivant)`);
    }
    assert.equal(reponse.status(), 200, `signature du mandat / signing: ${await texte(page.getByRole('main'))}`);

    // The print page, with the personal code shown once.
    const h1 = await texte(page.locator('h1').first());
    const n = h1.match(/^Mandat n° (\d+)$/);
    assert.ok(n, `h1 de la page d’impression / print page h1: « ${h1} »`);
    mandat.id = Number(n[1]);
    assert.match(await texte(page.getByRole('status')), /Mandat signé et inscrit au journal\./);
    await axe(page, 'mandat signé (impression, avec le code personnel)', echecs);
    exigerZeroViolation(echecs);
  });

  await verifier('3. impression : QR code, code personnel, empreinte, PDF / print page and PDF', async () => {
    assert.ok(mandat.id, 'mandat signé à l’étape 2 / mandate signed at step 2');
    // Two copies: the person's (with the code and the address of « Mon mandat »), then the
    // structure's (without the code).
    assert.equal(await page.locator('article.mandat').count(), 2, 'deux exemplaires / two copies');
    const article = page.locator('article.mandat').first();
    const contenu = await texte(article);
    assert.ok(contenu.includes('Exemplaire de la personne') && contenu.includes('/mon-mandat'), `exemplaire de la personne : ${contenu}`);
    assert.equal(await page.locator('article.mandat').nth(1).locator('.code-personnel').count(), 0, 'pas de code sur l’exemplaire de la structure');
    assert.ok(contenu.includes(`${PERSONNE.prenoms} ${PERSONNE.nom}, née ou né le 12/05/1948`), `personne : ${contenu}`);
    assert.ok(contenu.includes('Social - Santé') && contenu.includes('Logement'), `démarches : ${contenu}`);
    assert.ok(contenu.includes('6 mois (182 jours)'), `durée : ${contenu}`);
    assert.ok(contenu.includes('carte nationale d’identité'), `pièce vue : ${contenu}`);
    assert.equal(await article.locator('.qr svg').count(), 1, 'QR code');
    assert.ok(
      await article.getByRole('img', { name: 'QR code de vérification du mandat' }).isVisible(),
      'QR code visible, avec un nom accessible / visible, with an accessible name',
    );
    mandat.code = (await texte(article.locator('.code-personnel'))).trim();
    assert.match(mandat.code, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){3}$/, `code personnel : « ${mandat.code} »`);
    mandat.empreinte = (await texte(article.locator('code'))).trim();
    assert.match(mandat.empreinte, /^[0-9a-f]{64}$/, `empreinte : « ${mandat.empreinte} »`);
    const lien = await article.getByRole('link', { name: /\/verifier\?empreinte=/ }).getAttribute('href');
    assert.ok(lien.endsWith(`/verifier?empreinte=${mandat.empreinte}`), `lien de vérification : ${lien}`);

    // The PDF, with the aidant's cookies.
    const url = `/espace/mandats/${mandat.id}/mandat.pdf`;
    assert.equal(await page.getByRole('link', { name: 'PDF — exemplaire de la structure' }).getAttribute('href'), url);
    const reponse = await contexte.request.get(BASE + url);
    assert.equal(reponse.status(), 200, `statut HTTP de ${url}`);
    assert.match(reponse.headers()['content-type'] || '', /^application\/pdf/, 'Content-Type du PDF');
    const octets = await reponse.body();
    assert.equal(octets.subarray(0, 4).toString('latin1'), '%PDF', 'le fichier commence par %PDF');
    const fichier = path.join(DOSSIER, `mandat-${mandat.id}-${process.pid}.pdf`);
    fs.writeFileSync(fichier, octets);
    let lu;
    try {
      lu = execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', fichier, '-'], { encoding: 'utf8' });
    } finally {
      fs.rmSync(fichier, { force: true });
    }
    const plat = lu.replace(/\s+/g, ' ');
    console.log(`    PDF : ${octets.length} octets, ${plat.length} caractères de texte`);
    assert.ok(plat.includes(`Mandat n° ${mandat.id}`), `« Mandat n° ${mandat.id} » dans le PDF : ${plat.slice(0, 400)}`);
    assert.ok(plat.includes(`${PERSONNE.prenoms} ${PERSONNE.nom}`), `nom de la personne dans le PDF : ${plat.slice(0, 600)}`);
    assert.ok(plat.includes('Social - Santé') && plat.includes('Logement'), `démarches dans le PDF : ${plat}`);
    assert.ok(plat.includes(mandat.empreinte), `empreinte dans le PDF : ${plat}`);
    // The code is shown once: it is neither in the structure's PDF nor on the print page
    // opened later.
    assert.ok(!plat.includes(mandat.code), 'le code personnel n’est pas dans le PDF de la structure');

    const echecs = [];
    await allerEtAnalyser(page, `/espace/mandats/${mandat.id}/imprimer`, 'mandat (impression)', echecs);
    assert.equal(await page.locator('.code-personnel').count(), 0, 'code personnel montré une seule fois / shown once');
    assert.equal(await page.locator('.qr svg').count(), 1, 'QR code sur la réimpression');
    await allerEtAnalyser(page, '/espace/mandats', 'mandats (liste)', echecs);
    const ligne = page.locator('table tbody tr', { has: page.locator(`a[href="/espace/mandats/${mandat.id}"]`) });
    assert.equal(await ligne.count(), 1, 'le mandat est listé / listed');
    const l = await texte(ligne);
    assert.ok(l.includes(`${PERSONNE.prenoms} ${PERSONNE.nom}`) && /\bactif\b/.test(l), `ligne du mandat : ${l}`);
    assert.ok(l.includes('Social') && l.includes('Logement'), `démarches actives : ${l}`);
    await allerEtAnalyser(page, `/espace/mandats/${mandat.id}`, 'mandat (avant révocation)', echecs);
    exigerZeroViolation(echecs);
  });
}

async function parcoursPersonne(page) {
  await verifier('4. la personne révoque « Logement » depuis /mon-mandat avec son code / person revokes', async () => {
    assert.ok(mandat.code, 'code personnel lu à l’étape 3 / personal code read at step 3');
    const echecs = [];
    await allerEtAnalyser(page, '/mon-mandat', 'mon mandat (code à saisir)', echecs);
    assert.equal(await texte(page.locator('h1')), 'Mon mandat');
    const champ = page.getByLabel(/^Code personnel/);

    // A wrong code: 401, a French message, the form again.
    await champ.fill('AAAAA-BBBBB-CCCCC-DDDDD');
    let reponse = await soumettre(page, page.getByRole('button', { name: 'Voir mes mandats' }));
    assert.equal(reponse.status(), 401, 'code faux : 401');
    assert.equal(await texte(page.getByRole('alert')), 'Code personnel incorrect.');
    await axe(page, 'mon mandat (code incorrect)', echecs);

    await page.getByLabel(/^Code personnel/).fill(mandat.code.toLowerCase());
    reponse = await soumettre(page, page.getByRole('button', { name: 'Voir mes mandats' }));
    assert.equal(reponse.status(), 200);
    assert.equal(chemin(page), '/mon-mandat');
    const main = page.getByRole('main');
    assert.match(await texte(main), new RegExp(`Bonjour ${PERSONNE.prenoms}\\.`), 'accueil de la personne');
    const section = page.getByRole('region', { name: new RegExp(`^Mandat n° ${mandat.id} avec .* : actif$`) });
    assert.equal(await section.count(), 1, `section du mandat n° ${mandat.id} : ${await texte(main)}`);
    assert.match(await texte(section), /L’aidant peut faire en votre nom : Social - Santé, Logement\./);
    await axe(page, 'mon mandat (code saisi)', echecs);

    await cocher(section.getByRole('checkbox', { name: 'Logement', exact: true }));
    reponse = await soumettre(page, section.getByRole('button', { name: 'Arrêter' }));
    assert.equal(reponse.status(), 200);
    // Nothing stops before the person confirms, in plain words.
    assert.match(await texte(page.getByRole('main')), /ne pourra plus faire en votre nom : Logement\./);
    await axe(page, 'mon mandat (confirmation de l’arrêt)', echecs);
    reponse = await soumettre(page, page.getByRole('button', { name: 'Oui, arrêter' }));
    assert.equal(reponse.status(), 200);
    assert.equal(
      await texte(page.getByRole('status')),
      `C’est fait : « Logement » ne peut plus être fait en votre nom au titre du mandat n° ${mandat.id}.`,
    );
    const apres = page.getByRole('region', { name: new RegExp(`^Mandat n° ${mandat.id} `) });
    const t = await texte(apres);
    assert.match(t, /L’aidant peut faire en votre nom : Social - Santé\./, `encore autorisé : ${t}`);
    assert.match(t, /Arrêté : Logement\./, `arrêté : ${t}`);
    const journal = await texte(page.getByRole('table', { name: /^Ce qui a été fait en votre nom/ }).locator('tbody'));
    assert.match(journal, /Révocation d'une démarche vous-même Logement/, `journal de la personne : ${journal}`);
    await axe(page, 'mon mandat (après révocation)', echecs);
    exigerZeroViolation(echecs);
  });
}

/** The person's space works without JavaScript: code, mandate, closing the space. */
async function personneSansJavaScript(page) {
  assert.ok(mandat.code, 'code personnel lu à l’étape 3 / personal code read at step 3');
  let reponse = await page.goto(`${BASE}/mon-mandat`);
  assert.equal(reponse.status(), 200);
  await page.getByLabel(/^Code personnel/).fill(mandat.code);
  reponse = await soumettre(page, page.getByRole('button', { name: 'Voir mes mandats' }));
  assert.equal(reponse.status(), 200);
  const t = await texte(page.getByRole('region', { name: new RegExp(`^Mandat n° ${mandat.id} avec .* : actif$`) }));
  assert.match(t, /L’aidant peut faire en votre nom : Social - Santé\./, `mandat vu sans JavaScript : ${t}`);
  assert.match(t, /Arrêté : Logement\./, `arrêté : ${t}`);
  reponse = await soumettre(page, page.getByRole('button', { name: 'Fermer mon espace' }));
  assert.equal(reponse.status(), 200);
  assert.equal(await page.getByLabel(/^Code personnel/).count(), 1, 'espace fermé : le code est redemandé / closed');
}

async function parcoursAidantApres(contexte, page) {
  await verifier('5. « Logement » refusé (422), « Social » enregistré / revoked démarche refused, other accepted', async () => {
    assert.ok(mandat.id, 'mandat signé / mandate signed');
    const echecs = [];
    const url = `/espace/mandats/${mandat.id}`;
    await allerEtAnalyser(page, url, 'mandat (après révocation par la personne)', echecs);
    const main = page.getByRole('main');
    assert.match(await texte(main), /Logement — révoquée le /, 'Logement marquée révoquée / marked revoked');
    const select = page.getByLabel('Démarche', { exact: true });
    const options = await select.locator('option').allInnerTexts();
    assert.deepEqual(options, ['Social - Santé'], `démarches proposées / offered: ${options}`);

    // The form posted with a value the page no longer offers.
    await select.evaluate((s) => {
      const o = document.createElement('option');
      o.value = 'logement';
      o.textContent = 'Logement';
      s.append(o);
      s.value = 'logement';
    });
    let reponse = await soumettre(page, page.getByRole('button', { name: 'Enregistrer la démarche' }));
    assert.equal(reponse.status(), 422, 'démarche révoquée : 422');
    assert.equal(await texte(page.getByRole('alert')), REFUS_LOGEMENT);
    await axe(page, 'mandat (refus de la démarche révoquée)', echecs);

    // The same with a direct POST carrying the page's CSRF token.
    const csrf = await page.locator('form[action$="/espace/mandats/' + mandat.id + '"] input[name=csrf]').first().inputValue();
    const direct = await contexte.request.post(BASE + url, {
      form: { csrf, action: 'utilisation', demarche: 'logement' },
      maxRedirects: 0,
    });
    assert.equal(direct.status(), 422, 'POST direct demarche=logement : 422');
    const corps = (await direct.text()).replace(/&#34;|&quot;/g, '"');
    assert.ok(corps.includes(REFUS_LOGEMENT), 'message de refus dans la réponse au POST direct');

    // « Social » is still allowed.
    await page.getByLabel('Démarche', { exact: true }).selectOption({ label: 'Social - Santé' });
    reponse = await soumettre(page, page.getByRole('button', { name: 'Enregistrer la démarche' }));
    assert.equal(reponse.status(), 200, 'démarche « Social » : 200');
    assert.equal(await texte(page.getByRole('status')), 'Démarche « Social - Santé » enregistrée dans le journal.');
    const journal = await texte(page.locator('table tbody'));
    assert.match(journal, /démarche révoquée/, `refus inscrit au journal / refusal journalled: ${journal}`);
    assert.match(journal, /Révocation d'une démarche la personne Logement/, `révocation par la personne : ${journal}`);
    await axe(page, 'mandat (démarche enregistrée)', echecs);

    await allerEtAnalyser(page, `${url}/attestation-revocation`, 'attestation de révocation', echecs);
    assert.equal(await texte(page.locator('h1')), 'Attestation de révocation');
    const revocations = await texte(page.getByRole('table', { name: /^Révocations de ce mandat/ }).locator('tbody tr'));
    assert.match(revocations, /Révocation d'une démarche la personne Logement/, `attestation : ${revocations}`);
    exigerZeroViolation(echecs);
  });
}

async function verification(page) {
  await verifier('6. /verifier?empreinte=… : « Mandat n° … : actif » / public check', async () => {
    assert.ok(mandat.empreinte, 'empreinte lue à l’étape 3 / fingerprint read at step 3');
    const echecs = [];
    await allerEtAnalyser(page, '/verifier', 'vérifier (sans empreinte)', echecs);
    await allerEtAnalyser(page, `/verifier?empreinte=${mandat.empreinte}`, 'vérifier (résultat)', echecs);
    assert.equal(await texte(page.locator('h2#res')), `Mandat n° ${mandat.id} : actif`);
    const resultat = await texte(page.getByRole('region', { name: `Mandat n° ${mandat.id} : actif` }));
    assert.match(resultat, /Démarches encore autorisées Social\b/, `démarches : ${resultat}`);
    assert.ok(!resultat.includes(PERSONNE.nom), 'aucune donnée personnelle / no personal data');
    exigerZeroViolation(echecs);
  });
}

// ---------------------------------------------------------------- main

await executer('Tests navigateur des Mandats / Mandats browser tests', 'e2e mandats', async () => {
  const aidant = await ouvrirContexte({ js: true, largeur: 360 });
  try {
    const page = await aidant.newPage();
    await parcoursAidant(aidant, page);
    // The person: another browser, without the aidant's cookies.
    await avecContexte({ js: true, largeur: 360 }, async (p, c) => {
      assert.deepEqual(await c.cookies(), [], 'contexte de la personne sans cookie');
      await parcoursPersonne(p);
    });
    await parcoursAidantApres(aidant, page);
    await avecContexte({ js: true, largeur: 360 }, verification);
    await verifier('7. l’espace de la personne sans JavaScript / the person\'s space without JavaScript', () =>
      avecContexte({ js: false, largeur: 360 }, personneSansJavaScript),
    );
    await verifier('8. aucune erreur JavaScript ni requête vers une autre origine (aidant·e)', async () => {
      assert.deepEqual(aidant.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
      assert.deepEqual(aidant.etrangeres, [], 'requêtes vers une autre origine / other-origin requests');
    });
  } finally {
    await aidant.close();
  }
});
