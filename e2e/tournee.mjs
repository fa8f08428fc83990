// Test navigateur du parcours complet des Événements, depuis une instance vide.
// Browser test of the whole Événements path, from an empty instance.
//
//   MAILLAGE_E2E_INVITATION=/invitation/… node e2e/tournee.mjs http://127.0.0.1:PORT
//
// Run by `cargo test -p maillage_essais --test navigateur evenements_parcours`, which starts
// a server over an empty database (bundled places, no account, no event) and invites the
// first administrator as `maillage mediation administrateur` does. Then, only through the
// pages, in Debian's Chromium through playwright-core:
//   1. the administrator creates their account (second factor read on the enrolment page),
//      the Sicoval structure, and invites a coordinator and a mediator into it (the links
//      are read in the outbox page); both create their accounts;
//   2. the coordinator opens the plan of the Haute-Garonne (dép. 31; with the bundled places
//      the Sicoval's plan proposes no stop), « Créer cette tournée » turns its two stops
//      into draft events; one is edited (today, an address, one session of 4 seats) and
//      published;
//   3. three visitors register on the public page; the first gets the confirmation with
//      their key and the ticket;
//   4. on the check-in page the mediator checks two people in and adds a walk-in, sends;
//   5. the mediator turns the session's attendance into a collective activity record;
//   6. the stop report: 3 registered, 2 present, 1 walk-in, 3 participants, 75 %;
//   7. the visitor opens « Mon espace » with the key from the ticket and sees the
//      registration, « Présent »;
//   8. the session full, Emma waits; Bruno cancels by his link; the seat is offered to Emma,
//      who confirms it on her ticket.
// axe (WCAG 2.1 A/AA) at 360 and 1280 px on each page met. Exit status 1 on any failure.
//
// The session is later today (23:00–23:50, Paris): registrations close when it starts and an
// activity record cannot be dated in the future, so the run needs a Paris time before 23:00.

import assert from 'node:assert/strict';
import { axe, codeNeuf, executer, exigerZeroViolation, ouvrirContexte, preparer, verifier } from './commun.mjs';
import { cliquerEtAttendre } from './lib.mjs';

const { base: BASE, variables } = preparer({
  script: 'e2e/tournee.mjs',
  harnais: 'navigateur/evenements_parcours.rs',
  variables: ['INVITATION'],
  minutes: 9,
});
const MDP = 'un mot de passe solide';
// The Haute-Garonne: with the bundled places, the Sicoval's plan proposes no stop.
const TERRITOIRE = 'dep:31';
const SESSION = 'Déjouer les arnaques en ligne';

const aujourdhui = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
const heureParis = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: 'numeric', hourCycle: 'h23' }).format(new Date()));

/** Accounts created during the run: { email, mdp, secret } once enrolled. */
const comptes = {};
/** Contexts kept open between steps (signed-in people, the visitor). */
const ouverts = {};
let evenement = null;
let tournee = null;
let cleVisiteur = null;
/** Cancellation links of the registrations, by first name. */
const annulations = {};

async function ouvrir(nom, options = {}) {
  const contexte = await ouvrirContexte({ js: true, largeur: 360, ...options });
  const page = await contexte.newPage();
  ouverts[nom] = { contexte, page };
  return page;
}

/** Accepts an invitation: name, password, then the second factor from the key shown. */
async function creerCompte(page, chemin, email, nom, echecs) {
  const r = await page.goto(BASE + chemin);
  assert.equal(r.status(), 200, `invitation ${chemin}`);
  await axe(page, `invitation (${email})`, echecs);
  await page.getByLabel('Prénom et nom').fill(nom);
  await page.getByLabel(/^Mot de passe/).fill(MDP);
  await page.getByLabel('Confirmez le mot de passe').fill(MDP);
  await cliquerEtAttendre(page, page.getByRole('button', { name: 'Créer mon compte' }));
  assert.equal(new URL(page.url()).pathname, '/connexion/enrolement', page.url());
  const secret = (await page.locator('#secret').innerText()).replace(/\s+/g, '');
  comptes[email] = { email, mdp: MDP, secret };
  await page.getByLabel('Code à 6 chiffres').fill(await codeNeuf(comptes[email]));
  await page.getByRole('button', { name: 'Activer' }).click();
  await page.locator('#codes-secours').waitFor();
  await cliquerEtAttendre(page, page.getByRole('link', { name: 'Continuer vers mon espace' }));
  assert.equal(new URL(page.url()).pathname, '/espace', page.url());
}

/** The invitation link sent to `email`, read in the outbox page. */
async function lienInvitation(page, email) {
  await page.goto(`${BASE}/espace/courriels`);
  const article = page.locator('article.courriel', { hasText: `À ${email}` }).first();
  const m = /\/invitation\/[A-Za-z0-9_-]+/.exec(await article.locator('pre').innerText());
  assert.ok(m, `lien d’invitation pour ${email}`);
  return m[0];
}

async function inviter(page, email, role) {
  await page.goto(`${BASE}/espace/equipe`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Rôle').selectOption(role);
  await page.getByLabel('Structure').selectOption({ label: 'Sicoval' });
  await cliquerEtAttendre(page, page.getByRole('button', { name: 'Envoyer l’invitation' })).catch(() => {});
  await page.waitForLoadState('load');
  assert.ok((await page.locator('main').innerText()).includes(email), `invitation de ${email} affichée`);
}

/** The figures of the stop report's total row, by column. */
async function totalBilan(page) {
  const cellules = await page.locator('table.bilan tfoot td').allInnerTexts();
  const [capacite, inscrits, attente, presents, surPlace, participants, taux, orientes, cles] = cellules.map((c) => c.trim());
  return { capacite, inscrits, attente, presents, surPlace, participants, taux, orientes, cles };
}

await executer('Tests navigateur — parcours des Événements', 'e2e tournee', async () => {
  assert.ok(heureParis < 23, `ce test a besoin d’une heure de Paris avant 23 h (il est ${heureParis} h)`);
  const echecs = [];
  await verifier('1. instance vide : administrateur, structure Sicoval, coordinatrice et médiateur invités par les pages', async () => {
    const admin = await ouvrir('admin');
    await creerCompte(admin, variables.INVITATION, 'admin@exemple.fr', 'Alix Administration', echecs);
    await admin.goto(`${BASE}/espace/structures`);
    await admin.locator('#s_nom').fill('Sicoval');
    await admin.locator('#s_commune').fill('Labège');
    await cliquerEtAttendre(admin, admin.getByRole('button', { name: 'Créer la structure' })).catch(() => {});
    await admin.waitForLoadState('load');
    assert.ok((await admin.locator('main').innerText()).includes('Sicoval'), 'structure créée');
    await inviter(admin, 'coordination@exemple.fr', 'coordinateur');
    await inviter(admin, 'mediation@exemple.fr', 'mediateur');
    const coordination = await lienInvitation(admin, 'coordination@exemple.fr');
    const mediation = await lienInvitation(admin, 'mediation@exemple.fr');
    await ouverts.admin.contexte.close();
    await creerCompte(await ouvrir('coordination'), coordination, 'coordination@exemple.fr', 'Dominique Coordination', echecs);
    await creerCompte(await ouvrir('mediation', { serviceWorkers: 'allow' }), mediation, 'mediation@exemple.fr', 'Camille Médiation', echecs);
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('2. la coordinatrice : plan de la Haute-Garonne → « Créer cette tournée » → arrêts en brouillon ; un arrêt complété et publié', async () => {
    const page = ouverts.coordination.page;
    const r = await page.goto(`${BASE}/territoires/${TERRITOIRE}?arrets=2#tournee`);
    assert.equal(r.status(), 200);
    const arrets = await page.locator('table.arrets tbody tr').count();
    assert.equal(arrets, 2, 'deux arrêts proposés');
    await cliquerEtAttendre(page, page.locator('#creer-tournee'));
    await axe(page, 'créer une tournée', echecs);
    assert.equal(await page.locator('input[name=commune]').count(), 2);
    await cliquerEtAttendre(page, page.getByRole('button', { name: /Créer la tournée \(2 arrêts en brouillon\)/ }));
    tournee = /^\/espace\/tournees\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1];
    assert.ok(tournee, page.url());
    await axe(page, 'tournée', echecs);
    const lignes = page.locator('table tbody tr');
    assert.equal(await lignes.count(), 2, 'deux arrêts');
    for (const etat of await lignes.locator('td:last-child').allInnerTexts()) assert.equal(etat.trim(), 'Brouillon');
    await cliquerEtAttendre(page, lignes.first().locator('a'));
    evenement = /\/espace\/evenements\/(\d+)$/.exec(new URL(page.url()).pathname)[1];
    await axe(page, 'arrêt en brouillon', echecs);
    await cliquerEtAttendre(page, page.getByRole('link', { name: 'Modifier l’événement et son programme' }));
    assert.equal(new URL(page.url()).pathname, `/espace/evenements/${evenement}/modifier`);
    await axe(page, 'modifier l’arrêt', echecs);
    await page.locator('#ev-adresse').fill('Place du marché');
    await page.locator('#ev-debut').fill(`${aujourdhui}T08:00`);
    await page.locator('#ev-fin').fill(`${aujourdhui}T23:55`);
    await page.locator('#ev-acc-mobilite').fill('Plain-pied');
    const s1 = page.locator('fieldset.session-ligne').first();
    await s1.getByLabel('Titre').fill(SESSION);
    await s1.getByLabel('Type').selectOption('atelier');
    await s1.getByLabel('Début').fill(`${aujourdhui}T23:00`);
    await s1.getByLabel('Fin').fill(`${aujourdhui}T23:50`);
    await s1.getByLabel(/Capacité/).fill('4');
    await cliquerEtAttendre(page, page.getByRole('button', { name: 'Enregistrer les modifications' }));
    assert.match(await page.locator('[role=status]').innerText(), /Modifications enregistrées/);
    await cliquerEtAttendre(page, page.getByRole('button', { name: /Publier/ }));
    assert.match(await page.locator('[role=status]').innerText(), /Événement publié/);
    await axe(page, 'arrêt publié', echecs);
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('3. trois visiteurs s’inscrivent sur la page publique ; confirmation avec la clé, billet', async () => {
    const page = await ouvrir('visiteur');
    const inscrire = async (p, prenom, contact) => {
      const r = await p.goto(`${BASE}/evenements/${evenement}`);
      assert.equal(r.status(), 200);
      const session = p.locator('article.session', { hasText: SESSION });
      await session.getByLabel(/Votre prénom/).fill(prenom);
      if (contact) await session.getByLabel(/Téléphone ou courriel/).fill(contact);
      await cliquerEtAttendre(p, session.getByRole('button', { name: 'M’inscrire' }));
      assert.match(await p.locator('h1').innerText(), /Vous êtes inscrit/);
    };
    await page.goto(`${BASE}/evenements/${evenement}`);
    await axe(page, 'page publique de l’arrêt', echecs);
    await inscrire(page, 'Chloé', 'chloe@exemple.fr');
    cleVisiteur = (await page.locator('#cle').innerText()).trim();
    assert.match(cleVisiteur, /^[A-Z0-9]{4,}(-[A-Z0-9]{4,})+$/, `clé : ${cleVisiteur}`);
    assert.equal(await page.locator('.qr svg').count(), 1, 'QR code du billet');
    await axe(page, 'confirmation d’inscription', echecs);
    await cliquerEtAttendre(page, page.locator('#lien-billet'));
    const billet = await page.locator('main').innerText();
    assert.ok(billet.includes('Chloé') && billet.includes(SESSION), billet);
    assert.ok(billet.includes('/mon-espace'), 'adresse de Mon espace sur le billet');
    await axe(page, 'billet', echecs);
    for (const prenom of ['Alice', 'Bruno']) {
      await avecAutre(async (p) => {
        await inscrire(p, prenom, null);
        annulations[prenom] = await p.locator('#lien-annulation').getAttribute('href');
      });
    }
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('4. le jour même, la page d’accueil : deux personnes pointées et une venue sans inscription (Alice et elle orientées), envoyées', async () => {
    const page = ouverts.mediation.page;
    const r = await page.goto(`${BASE}/espace/evenements/${evenement}/accueil`);
    assert.equal(r.status(), 200);
    await page.locator('#accueil-messages').getByText(/prêt à travailler hors ligne/).first().waitFor();
    await page.locator('#accueil-outils').waitFor();
    await axe(page, 'accueil du jour', echecs);
    for (const prenom of ['Chloé', 'Alice']) {
      if (prenom === 'Alice') {
        await page.getByLabel(/Personne orientée pour un besoin/).selectOption('Aide aux démarches administratives');
      }
      await page.getByLabel('Chercher un prénom').fill(prenom);
      await page.getByRole('button', { name: `Pointer ${prenom}` }).click();
      await page.locator('#accueil-messages').getByText(`${prenom} : pointé à`).first().waitFor();
    }
    assert.equal(await page.getByLabel(/Personne orientée pour un besoin/).inputValue(), '', 'le choix revient à « pas d’orientation »');
    await page.getByLabel(/Personne orientée pour un besoin/).selectOption('Accès internet et matériel informatique');
    await page.getByRole('button', { name: 'Ajouter la personne' }).click();
    await page.locator('#accueil-messages').getByText(/sans inscription ajoutée/).first().waitFor();
    // Online, the page sends as it goes: once more by hand, then nothing is left to send.
    await page.getByRole('button', { name: 'Envoyer les pointages maintenant' }).click();
    await page.locator('#accueil-messages').getByText(/Pointages envoyés \(\d+\)/).first().waitFor();
    await page.locator('#accueil-etat').getByText(/— 0 pointage\(s\) à envoyer/).waitFor();
    assert.deepEqual(ouverts.mediation.contexte.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('5. le médiateur crée l’activité collective de la session (Médiation)', async () => {
    const page = ouverts.mediation.page;
    await page.goto(`${BASE}/espace/evenements/${evenement}`);
    const session = page.locator('section.session-espace', { hasText: SESSION });
    assert.equal(await session.locator('[data-compte="presents"]').innerText(), '2');
    assert.equal(await session.locator('[data-compte="sur-place"]').innerText(), '1');
    await cliquerEtAttendre(page, session.getByRole('button', { name: 'Créer l’activité collective' }));
    assert.match(await page.locator('[role=status]').innerText(), /Activité collective enregistrée/);
    await axe(page, 'arrêt après l’activité', echecs);
    await cliquerEtAttendre(page, page.locator('[role=status] a'));
    assert.match(new URL(page.url()).pathname, /^\/espace\/activites\/\d+$/);
    const activite = await page.locator('main').innerText();
    assert.ok(activite.includes(SESSION), activite);
    assert.match(activite, /3 participants?|Participants\s*:?\s*3/i, activite);
    await axe(page, 'activité collective', echecs);
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('6. le bilan de l’arrêt (3 inscrits, 2 présents, 1 sans inscription, 75 %, 2 orientées) et celui de la tournée (carte, chiffres par arrêt)', async () => {
    const page = ouverts.coordination.page;
    const r = await page.goto(`${BASE}/espace/evenements/${evenement}/bilan`);
    assert.equal(r.status(), 200);
    assert.deepEqual(await totalBilan(page), {
      capacite: '4', inscrits: '3', attente: '0', presents: '2', surPlace: '1', participants: '3', taux: '75 %', orientes: '2', cles: '0',
    });
    assert.equal(await page.locator('[data-total=orientes]').innerText(), '2');
    assert.equal(await page.locator('[data-total=participants]').innerText(), '3');
    await axe(page, 'bilan de l’arrêt', echecs);
    const csv = await (await page.request.get(`${BASE}/espace/evenements/${evenement}/bilan.csv`)).text();
    assert.ok(csv.includes(SESSION), csv);
    // The tour's report: the map of both stops, this stop's figures on its line.
    await page.goto(`${BASE}/espace/tournees/${tournee}/bilan`);
    assert.equal(await page.locator('svg.carte-territoire g.arret').count(), 2);
    const ligne = page.locator('table.bilan tbody tr', { has: page.locator(`a[href="/espace/evenements/${evenement}/bilan"]`) });
    const chiffres = (await ligne.locator('td').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(chiffres.slice(1), ['4', '3', '0', '2', '1', '3', '75 %', '2', '0'], chiffres.join(' | '));
    await axe(page, 'bilan de la tournée', echecs);
    const csvTournee = await (await page.request.get(`${BASE}/espace/tournees/${tournee}/bilan.csv`)).text();
    assert.match(csvTournee, /^\uFEFF?Arrêt;Capacité;/);
    exigerZeroViolation(echecs.splice(0));
  });

  await verifier('7. la visiteuse ouvre « Mon espace » avec la clé du billet et y voit son inscription', async () => {
    const page = ouverts.visiteur.page;
    await page.goto(`${BASE}/mon-espace`);
    await axe(page, 'Mon espace (fermé)', echecs);
    await page.getByLabel(/Mon code personnel/).fill(cleVisiteur);
    await cliquerEtAttendre(page, page.getByRole('button', { name: 'Ouvrir mon espace' })).catch(() => {});
    await page.waitForLoadState('load');
    const ligne = page.locator('#titre-inscriptions + ul li, section[aria-labelledby=titre-inscriptions] li').first();
    const texte = await ligne.innerText();
    assert.ok(texte.includes(SESSION), texte);
    assert.match(texte, /Présent/);
    await axe(page, 'Mon espace (ouvert)', echecs);
    exigerZeroViolation(echecs.splice(0));
    for (const { contexte } of Object.values(ouverts)) {
      assert.deepEqual(contexte.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
      assert.deepEqual(contexte.etrangeres, [], 'requêtes vers une autre origine / other-origin requests');
    }
  });

  await verifier('8. complet : Emma attend ; Bruno annule par son lien ; la place est proposée à Emma, qui la confirme sur son billet', async () => {
    await avecAutre(async (p) => {
      await p.goto(`${BASE}/evenements/${evenement}`);
      const session = p.locator('article.session', { hasText: SESSION });
      await session.getByLabel(/Votre prénom/).fill('Emma');
      await cliquerEtAttendre(p, session.getByRole('button', { name: 'M’inscrire sur la liste d’attente' }));
      assert.match(await p.locator('h1').innerText(), /liste d’attente/);
      const billet = await p.locator('#lien-billet').getAttribute('href');
      await avecAutre(async (q) => {
        await q.goto(BASE + annulations.Bruno);
        await cliquerEtAttendre(q, q.getByRole('button', { name: 'Oui, annuler mon inscription' }));
        assert.match(await q.locator('[role=status]').innerText(), /Votre inscription est annulée/);
      });
      await p.goto(BASE + billet);
      assert.match(await p.locator('main').innerText(), /Une place s’est libérée pour vous/);
      await axe(p, 'billet avec une place proposée', echecs);
      await cliquerEtAttendre(p, p.getByRole('button', { name: 'Confirmer ma place' }));
      assert.match(await p.locator('main').innerText(), /C’est confirmé/);
      assert.doesNotMatch(await p.locator('main').innerText(), /Une place s’est libérée pour vous/);
      await axe(p, 'billet, place confirmée', echecs);
    });
    exigerZeroViolation(echecs.splice(0));
  });
});

/** Runs `fn(page)` in a fresh context (another visitor), closed afterwards. */
async function avecAutre(fn) {
  const contexte = await ouvrirContexte({ js: true, largeur: 360 });
  try {
    await fn(await contexte.newPage());
  } finally {
    await contexte.close();
  }
}
