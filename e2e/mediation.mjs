// Tests navigateur de l'espace professionnel (Médiation) / browser tests of the Médiation space.
//
//   MAILLAGE_E2E_MEDIATEUR=… MAILLAGE_E2E_MDP=… MAILLAGE_E2E_SECRET=… … node e2e/mediation.mjs http://127.0.0.1:PORT
//
// Run by `cargo test --workspace` (crates/maillage_essais/tests/navigateur/mediation.rs), which
// builds the accounts in a fresh database and passes them through MAILLAGE_E2E_* variables:
// MEDIATEUR, COORDINATEUR, ADMIN (accounts with the TOTP secret SECRET), NOUVEAU (password
// only: signing in leads to the enrolment page), MDP (their password), INVITATION (the path
// of a pending invitation). Uses Debian's Chromium (/usr/bin/chromium) through
// playwright-core, and axe-core (WCAG 2.1 A/AA) on every page of the module at 360 and
// 1280 px; at 360 px no page may scroll sideways. Exit status 1 on any failure.

import assert from 'node:assert/strict';
import {
  allerEtAnalyser,
  avecContexte,
  axe,
  chemin,
  defilementHorizontal,
  executer,
  exigerZeroViolation,
  preparer,
  seConnecter,
  verifier,
} from './commun.mjs';
import { cliquerEtAttendre, cocher } from './lib.mjs';

const { base: BASE, variables: E2E } = preparer({
  script: 'e2e/mediation.mjs',
  harnais: 'navigateur_mediation.rs',
  variables: ['MEDIATEUR', 'COORDINATEUR', 'ADMIN', 'NOUVEAU', 'MDP', 'SECRET', 'INVITATION'],
  minutes: 12,
});

/** The accounts: `nouveau` has no TOTP secret, so signing in leads to the enrolment page. */
const COMPTES = {
  mediateur: { email: E2E.MEDIATEUR, mdp: E2E.MDP, secret: E2E.SECRET },
  coordinateur: { email: E2E.COORDINATEUR, mdp: E2E.MDP, secret: E2E.SECRET },
  admin: { email: E2E.ADMIN, mdp: E2E.MDP, secret: E2E.SECRET },
  nouveau: { email: E2E.NOUVEAU, mdp: E2E.MDP },
};
const INVITATION = E2E.INVITATION;

// ---------------------------------------------------------------- the mediator's path

/** Totals of `#totaux` on /espace/statistiques: { activites, accompagnements }. */
async function totaux(page) {
  await page.goto(`${BASE}/espace/statistiques`);
  const texte = (await page.locator('#totaux').textContent()).replace(/\s+/g, ' ');
  const nombre = (mot) => {
    const m = texte.match(new RegExp(`(\\d+) ${mot}`)); // « 1 activité », « 2 activités »
    assert.ok(m, `#totaux : « ${mot} » introuvable dans « ${texte} »`);
    return Number(m[1]);
  };
  return { activites: nombre('activité'), accompagnements: nombre('accompagnement'), texte };
}

async function verifierConfirmation(page, { type, participants }) {
  assert.match(chemin(page), /^\/espace\/activites\/\d+\?enregistre=1$/, `page de confirmation / confirmation page`);
  const statut = page.locator('[role=status]');
  assert.equal(await statut.count(), 1, '[role=status] après enregistrement / after saving');
  assert.match(await statut.innerText(), /Activité enregistrée/);
  assert.match(await page.locator('h1').innerText(), new RegExp(`^${type} du `), 'h1 de la confirmation');
  const dd = page.locator('dl.details dt', { hasText: /^Participants$/ }).locator('xpath=following-sibling::dd[1]');
  assert.match((await dd.innerText()).trim(), new RegExp(`^${participants}\\b`), `participants : ${participants}`);
  return new URL(page.url()).pathname;
}

async function parcoursMediateur() {
  const pages = {};
  let avant = { activites: 0, accompagnements: 0 };
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    await verifier('a. connexion avec mot de passe et code TOTP / sign-in with TOTP (médiateur·rice)', async () => {
      const locaux = [];
      await seConnecter(page, COMPTES.mediateur, { echecs: locaux });
      assert.equal(new URL(page.url()).pathname, '/espace');
      assert.match(await page.locator('h1').innerText(), /^Bonjour /, 'h1 « Bonjour … » de l’espace');
      assert.ok(
        await page.getByRole('navigation', { name: 'Espace professionnel' }).isVisible(),
        'menu « Espace professionnel »',
      );
      avant = await totaux(page);
      if (avant.activites) console.log(`    (déjà ${avant.texte.trim()} avant le parcours / already there)`);
      exigerZeroViolation(locaux);
    });

    await verifier('b. accompagnement individuel saisi au formulaire / individual accompaniment recorded', async () => {
      await page.goto(`${BASE}/espace`);
      await cliquerEtAttendre(page, page.getByRole('main').getByRole('link', { name: 'Accompagnement individuel' }).first());
      assert.equal(new URL(page.url()).pathname, '/espace/activites/nouvelle');
      const defile = await defilementHorizontal(page);
      assert.equal(defile, null, `formulaire de CRA à 360 px sans défilement horizontal / no horizontal scroll: ${defile}`);
      const date = page.getByLabel('Date', { exact: true });
      assert.match(await date.inputValue(), /^\d{4}-\d{2}-\d{2}$/, 'date du jour par défaut / today by default');
      await page.getByLabel('Durée', { exact: true }).selectOption({ label: '45 min' });
      await page.getByLabel('Où ?').selectOption('lieu_activite');
      const lieu = page.getByLabel('Lieu d’activité', { exact: true });
      assert.ok((await lieu.locator('option').count()) >= 1, 'au moins un lieu d’activité / a place of activity');
      await lieu.selectOption({ index: 0 });
      await cocher(page.getByRole('checkbox', { name: 'E-mail', exact: true }));
      await cocher(page.getByRole('checkbox', { name: 'Logement', exact: true }));
      await cocher(page.getByRole('checkbox', { name: 'Ordinateur', exact: true }));
      await page.locator('#anon_tranche').selectOption({ label: '70 ans et plus' });
      await page.getByLabel('Statut', { exact: true }).selectOption({ label: 'Retraité' });
      await cocher(page.getByRole('radio', { name: 'Autonome', exact: true }));
      const notes = page.getByLabel(/^Notes/);
      await notes.click();
      await page.keyboard.type('Création d’une adresse e-mail');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Enregistrer l’activité' }));
      pages.individuel = await verifierConfirmation(page, { type: 'Accompagnement individuel', participants: 1 });
    });

    await verifier('c. atelier collectif de 8 participants / workshop with 8 participants', async () => {
      await cliquerEtAttendre(
        page,
        page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Nouvelle activité' }),
      );
      await cliquerEtAttendre(page, page.getByRole('main').getByRole('link', { name: 'Atelier collectif' }));
      assert.equal(chemin(page), '/espace/activites/nouvelle?type=collectif');
      const defile = await defilementHorizontal(page);
      assert.equal(defile, null, `formulaire d’atelier à 360 px sans défilement horizontal / no horizontal scroll: ${defile}`);
      await page.getByLabel('Durée', { exact: true }).selectOption({ label: '2 h' });
      await cocher(page.getByRole('checkbox', { name: 'Prévention en sécurité numérique', exact: true }));
      await cocher(page.getByRole('checkbox', { name: 'Téléphone', exact: true }));
      await page.getByLabel('Titre de l’atelier').fill('Déjouer les arnaques');
      await cocher(page.getByRole('radio', { name: 'Débutant', exact: true }));
      await page.getByLabel('Nombre (groupe 1)').fill('5');
      await page.getByLabel('Tranche d’âge (groupe 1)').selectOption({ label: '70 ans et plus' });
      await page.getByLabel('Statut (groupe 1)').selectOption({ label: 'Retraité' });
      await page.getByLabel('Nombre (groupe 2)').fill('3');
      await page.getByLabel('Tranche d’âge (groupe 2)').selectOption({ label: '40 - 59 ans' });
      await page.getByLabel('Statut (groupe 2)').selectOption({ label: 'En emploi' });
      await page.getByRole('button', { name: 'Enregistrer l’activité' }).focus();
      await Promise.all([page.waitForURL(/\/espace\/activites\/\d+/, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
      pages.atelier = await verifierConfirmation(page, { type: 'Atelier collectif', participants: 8 });
    });

    await verifier('d. tableau de bord : 2 activités, 9 accompagnements / dashboard', async () => {
      await page.goto(`${BASE}/espace`);
      await cliquerEtAttendre(
        page,
        page.getByRole('navigation', { name: 'Espace professionnel' }).getByRole('link', { name: 'Statistiques' }),
      );
      assert.equal(new URL(page.url()).pathname, '/espace/statistiques');
      const t = await totaux(page);
      console.log(`    #totaux : ${t.texte.trim()}`);
      assert.equal(t.activites, avant.activites + 2, `activités / activities: ${t.texte}`);
      assert.equal(t.accompagnements, avant.accompagnements + 9, `accompagnements: ${t.texte}`);
      assert.ok((await page.locator('svg.graphique').count()) >= 1, 'graphiques / charts');

      await page.goto(`${BASE}/espace/activites`);
      const lignes = page.locator('table.activites tbody tr');
      const textes = (await lignes.allInnerTexts()).map((l) => l.replace(/\s+/g, ' '));
      assert.equal(textes.length, avant.activites + 2, `activités listées / listed: ${textes.join(' | ')}`);
      assert.ok(textes.some((l) => /Accompagnement individuel/.test(l) && /\b1\b/.test(l)), `individuel listé : ${textes}`);
      assert.ok(textes.some((l) => /Atelier collectif/.test(l) && /\b8\b/.test(l)), `atelier listé : ${textes}`);
      for (const href of [pages.individuel, pages.atelier])
        assert.equal(await page.locator(`table.activites a[href="${href}"]`).count(), 1, `lien vers ${href}`);
    });

    await verifier('e. fiche bénéficiaire créée / beneficiary created', async () => {
      await page.goto(`${BASE}/espace/beneficiaires`);
      await page.getByLabel('Prénom ou initiales').fill('Mme D.');
      await page.getByLabel('Année de naissance').fill('1948');
      await page.getByLabel('Commune de résidence').fill('31555');
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Créer la fiche' }));
      assert.match(new URL(page.url()).pathname, /^\/espace\/beneficiaires\/\d+$/, `page de la fiche : ${page.url()}`);
      assert.equal((await page.locator('h1').innerText()).trim(), 'Mme D.');
      pages.beneficiaire = new URL(page.url()).pathname;
    });

    await verifier('f. axe WCAG 2.1 A/AA, zéro violation, pages du médiateur / mediator pages (360 et 1280 px)', async () => {
      const locaux = [];
      const liste = [
        ['accueil de l’espace', '/espace'],
        ['mes activités', '/espace/activites'],
        ['nouvelle activité (individuelle)', '/espace/activites/nouvelle'],
        ['nouvelle activité (atelier)', '/espace/activites/nouvelle?type=collectif'],
        ['confirmation d’activité', `${pages.individuel}?enregistre=1`],
        ['activité (atelier)', pages.atelier],
        ['modifier une activité', `${pages.individuel}/modifier`],
        ['modifier un atelier', `${pages.atelier}/modifier`],
        ['bénéficiaires', '/espace/beneficiaires'],
        ['fiche bénéficiaire', pages.beneficiaire],
        ['statistiques', '/espace/statistiques'],
        ['import', '/espace/import'],
        ['réauthentification', '/reauthentification?retour=/espace/beneficiaires'],
      ];
      for (const [nom, url] of liste) {
        assert.ok(url && !url.startsWith('undefined'), `${nom} : page inconnue (étape précédente échouée)`);
        await allerEtAnalyser(page, url, nom, locaux);
      }
      exigerZeroViolation(locaux);
    });

    await verifier('g. déconnexion / sign-out', async () => {
      await page.goto(`${BASE}/espace`);
      await cliquerEtAttendre(page, page.getByRole('button', { name: 'Se déconnecter' }));
      assert.equal(new URL(page.url()).pathname, '/connexion');
      await page.goto(`${BASE}/espace`);
      assert.equal(new URL(page.url()).pathname, '/connexion', 'après déconnexion, /espace renvoie à /connexion');
    });
  });
}

// ---------------------------------------------------------------- other roles and pages

async function pagesPubliques() {
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    const locaux = [];
    await allerEtAnalyser(page, '/statistiques/dep:31', 'statistiques publiques (dep:31)', locaux);
    assert.match(await page.locator('h1').innerText(), /Statistiques publiques/);
    assert.equal(await page.getByRole('navigation', { name: 'Espace professionnel' }).count(), 0, 'pas de menu de l’espace');
    await allerEtAnalyser(page, INVITATION, 'invitation', locaux);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Créer mon compte');
    assert.equal(await page.getByLabel('Confirmez le mot de passe').count(), 1, 'champ de confirmation du mot de passe');
    exigerZeroViolation(locaux);
  });
}

async function parcoursCoordinateur() {
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    const locaux = [];
    await seConnecter(page, COMPTES.coordinateur);
    await axe(page, 'accueil (coordination)', locaux);
    await allerEtAnalyser(page, '/espace/equipe', 'mon équipe', locaux);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Mon équipe');
    await page.goto(`${BASE}/espace/statistiques`);
    const t = (await page.locator('#totaux').textContent()).replace(/\s+/g, ' ');
    console.log(`    #totaux de l’équipe / team: ${t.trim()}`);
    assert.match(t, /\b9 accompagnements\b/, `l’équipe voit les 9 accompagnements / the team sees them: ${t}`);
    await axe(page, 'statistiques (équipe)', locaux);
    await allerEtAnalyser(page, '/espace/statistiques?perimetre=dep:31', 'statistiques (territoire dep:31)', locaux);
    await allerEtAnalyser(page, '/espace/signalements', 'signalements du public', locaux);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Signalements d’erreurs');
    exigerZeroViolation(locaux);
  });
}

async function parcoursAdministrateur() {
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    const locaux = [];
    await seConnecter(page, COMPTES.admin);
    await axe(page, 'accueil (administration)', locaux);
    await allerEtAnalyser(page, '/espace/equipe', 'comptes', locaux);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Comptes');
    await allerEtAnalyser(page, '/espace/courriels', 'courriels envoyés', locaux);
    assert.ok((await page.locator('article.courriel').count()) >= 1, 'au moins un courriel (l’invitation)');
    await allerEtAnalyser(page, '/espace/structures', 'structures et rattachements', locaux);
    assert.ok((await page.locator('form input[name=action][value=structure]').count()) >= 1, 'créer une structure');
    exigerZeroViolation(locaux);
  });
}

async function enrolement() {
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    const locaux = [];
    const apres = await seConnecter(page, COMPTES.nouveau);
    assert.equal(apres, '/connexion/enrolement', `compte sans second facteur → enrôlement : ${page.url()}`);
    assert.match((await page.locator('#secret').innerText()).trim(), /^[A-Z2-7]{4}( [A-Z2-7]{1,4}){3,}$/, 'clé à saisir à la main, par groupes de 4');
    assert.match(await page.locator('#lien-otpauth').getAttribute('href'), /^otpauth:\/\/totp\//, 'lien otpauth://');
    assert.equal(await page.locator('.qr svg').count(), 1, 'QR code');
    await axe(page, 'enrôlement TOTP', locaux);
    exigerZeroViolation(locaux);
  });
}

// ---------------------------------------------------------------- main

await executer('Tests navigateur de la Médiation / Médiation browser tests', 'e2e mediation', async () => {
  await parcoursMediateur();
  await verifier('h. axe : pages publiques (statistiques dep:31, invitation) / public pages', pagesPubliques);
  await verifier('i. axe : coordination (accueil, équipe, statistiques) / coordinator pages', parcoursCoordinateur);
  await verifier('j. axe : administration (comptes, courriels) / administrator pages', parcoursAdministrateur);
  await verifier('k. axe : enrôlement du second facteur / TOTP enrolment page', enrolement);
});
