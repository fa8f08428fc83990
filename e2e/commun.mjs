// Outils communs aux scripts de tests navigateur : démarrage, rapport, codes TOTP, axe-core,
// connexion.
// Shared helpers of the browser test scripts (run.mjs, mediation.mjs, mandats.mjs): start-up,
// report, TOTP codes, axe-core at 360 and 1280 px, signing in.
//
// A script calls `preparer` once, at the top, then `executer` with its checks: one script per
// process, so the server, the browser and the results are kept here.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { cliquerEtAttendre, lancerNavigateur, nouveauContexte, VUES } from './lib.mjs';

export const TAGS_AXE = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const LARGEURS = [360, 1280];

/** What `preparer` and `executer` set for the helpers below. */
const etat = { base: '', navigateur: null, filtre: null, ciblesTactiles: false };

/**
 * Reads the server's URL (first argument, or MAILLAGE_BASE; usage and status 2 otherwise) and
 * the `MAILLAGE_E2E_<NOM>` variables named in `variables`, set by the Rust harness `harnais`
 * (status 2 when one is missing), then arms a global time limit of `minutes` (the Rust test
 * has its own, longer, one). `filtre` (a RegExp): only the checks whose name matches run.
 * `ciblesTactiles`: `axe` also requires large touch targets at 360 px (see `petitesCibles`).
 * Returns { base, variables } (the variables by name).
 */
export function preparer({ script, harnais, variables = [], minutes, filtre = null, ciblesTactiles = false }) {
  const base = (process.argv[2] || process.env.MAILLAGE_BASE || '').replace(/\/$/, '');
  if (!/^https?:\/\//.test(base)) {
    const avec = variables.length ? ' (avec les variables MAILLAGE_E2E_*)' : '';
    console.error(`Usage : node ${script} http://127.0.0.1:PORT${avec}`);
    process.exit(2);
  }
  const valeurs = {};
  for (const nom of variables) {
    valeurs[nom] = process.env[`MAILLAGE_E2E_${nom}`];
    if (!valeurs[nom]) {
      console.error(`Variable MAILLAGE_E2E_${nom} manquante / missing (voir ${harnais})`);
      process.exit(2);
    }
  }
  Object.assign(etat, { base, filtre, ciblesTactiles });
  // Stops everything if the run hangs.
  setTimeout(() => {
    console.error(`\n✘ Délai global dépassé / global timeout (${minutes} min)`);
    process.exit(1);
  }, minutes * 60 * 1000).unref();
  return { base, variables: valeurs };
}

// ---------------------------------------------------------------- runner

const resultats = [];

/** Runs one named check: ✔ or ✘ with its duration, and the error's stack under a ✘. */
export async function verifier(nom, fn) {
  if (etat.filtre && !etat.filtre.test(nom)) return;
  const debut = Date.now();
  try {
    await fn();
    resultats.push({ nom, ok: true });
    console.log(`✔ ${nom} (${((Date.now() - debut) / 1000).toFixed(1)} s)`);
  } catch (e) {
    resultats.push({ nom, ok: false, erreur: e });
    console.log(`✘ ${nom} (${((Date.now() - debut) / 1000).toFixed(1)} s)`);
    console.log(indenter(e && e.stack ? e.stack : String(e)));
  }
}

/**
 * Launches Chromium, prints `titre` with the server and the browser's version, runs
 * `parcours()`, closes the browser, then prints the summary and exits: status 1 on any failed
 * check, or when none ran. The closing line is `${etiquette}: N passed, N failed`.
 */
export async function executer(titre, etiquette, parcours) {
  etat.navigateur = await lancerNavigateur();
  console.log(`${titre} — ${etat.base} — Chromium ${etat.navigateur.version()}\n`);
  try {
    await parcours();
  } finally {
    await etat.navigateur.close();
  }
  const reussis = resultats.filter((r) => r.ok).length;
  const echoues = resultats.filter((r) => !r.ok);
  console.log('\nRésumé / summary');
  console.log(`  ${reussis} réussi(s) / passed, ${echoues.length} échoué(s) / failed`);
  for (const r of echoues) console.log(`  ✘ ${r.nom}`);
  console.log(`${etiquette}: ${reussis} passed, ${echoues.length} failed`);
  process.exit(echoues.length || resultats.length === 0 ? 1 : 0);
}

export function indenter(texte, n = 4) {
  return texte
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

/** The page's path and query string. */
export const chemin = (page) => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};

export const attendre = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How many pages are analysed at once (`MAILLAGE_E2E_PARALLELE`, default 2): the browser and
 * the server spend much of each page waiting, so two pages at a time use both cores.
 */
export const PARALLELE = Math.max(1, Number(process.env.MAILLAGE_E2E_PARALLELE) || 2);

/**
 * Runs `fn(item, index)` over `items`, `n` at a time, and returns the results in the order of
 * `items`. Every item is run even if one fails; then the first failure is thrown.
 */
export async function enParallele(items, n, fn) {
  const resultats = new Array(items.length);
  let suivant = 0;
  async function ouvrier() {
    while (suivant < items.length) {
      const i = suivant++;
      try {
        resultats[i] = { ok: await fn(items[i], i) };
      } catch (erreur) {
        resultats[i] = { erreur };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, ouvrier));
  const echec = resultats.find((r) => 'erreur' in r);
  if (echec) throw echec.erreur;
  return resultats.map((r) => r.ok);
}

// ---------------------------------------------------------------- browser contexts

/** A fresh context of the run's browser for the server (see `nouveauContexte` in lib.mjs). */
export function ouvrirContexte(options) {
  return nouveauContexte(etat.navigateur, etat.base, options);
}

/**
 * Runs `fn(page, contexte)` in a fresh context, then requires that its pages threw no
 * JavaScript error and, unless `autresOrigines` is true, asked for nothing from another
 * origin. The context is closed in any case.
 */
export async function avecContexte({ autresOrigines = false, ...options }, fn) {
  const contexte = await ouvrirContexte(options);
  try {
    const page = await contexte.newPage();
    await fn(page, contexte);
    assert.deepEqual(contexte.erreursJs, [], 'erreurs JavaScript / JavaScript errors');
    if (!autresOrigines) {
      assert.deepEqual(contexte.etrangeres, [], 'requêtes vers une autre origine / other-origin requests');
    }
  } finally {
    await contexte.close();
  }
}

// ---------------------------------------------------------------- TOTP (RFC 6238)

function base32(texte) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const octets = [];
  let bits = 0;
  let valeur = 0;
  for (const c of texte.replace(/[\s=]/g, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`secret base32 invalide / invalid base32 secret: ${c}`);
    valeur = ((valeur << 5) | i) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      octets.push((valeur >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(octets);
}

export const pasTotp = (ms = Date.now()) => Math.floor(ms / 1000 / 30);

/** HMAC-SHA1, 6 digits, 30 s steps: what an authenticator app shows. */
export function codeTotp(secret, pas) {
  const compteur = Buffer.alloc(8);
  compteur.writeBigUInt64BE(BigInt(pas));
  const h = crypto.createHmac('sha1', base32(secret)).update(compteur).digest();
  const o = h[h.length - 1] & 0xf;
  const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1_000_000;
  return String(n).padStart(6, '0');
}

// Self-check against RFC 6238's SHA-1 test vector (secret "12345678901234567890", T = 59 s).
assert.equal(codeTotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', pasTotp(59_000)), '287082', 'TOTP RFC 6238');

/** By account e-mail, the last TOTP step handed out: the server accepts a step once per account. */
const derniersPas = new Map();

/**
 * The code of `compte` ({ email, secret }) for a step not handed out yet, waiting for the next
 * 30 s step if needed. The step is then taken as used.
 */
export async function codeNeuf(compte) {
  const dernier = derniersPas.get(compte.email) ?? -1;
  if (pasTotp() <= dernier) {
    console.log('    (attente du pas TOTP suivant / waiting for the next TOTP step)');
    while (pasTotp() <= dernier) await attendre(250);
  }
  const pas = pasTotp();
  derniersPas.set(compte.email, pas);
  return codeTotp(compte.secret, pas);
}

// ---------------------------------------------------------------- accessibility

export function decrireViolations(violations) {
  return violations
    .map((v) =>
      [
        `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
        ...v.nodes.map(
          (n) =>
            `    ${JSON.stringify(n.target)}\n      ${(n.html || '').slice(0, 240)}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}

/** Whether the page scrolls sideways (content wider than the viewport). */
export async function defilementHorizontal(page) {
  return page.evaluate(() => {
    const e = document.scrollingElement;
    return e.scrollWidth > e.clientWidth ? `${e.scrollWidth} px > ${e.clientWidth} px` : null;
  });
}

/**
 * Large touch targets: every visible checkbox and radio of `main` at least 24 × 24 px, every
 * visible button at least 44 px high. Returns the offenders.
 */
export async function petitesCibles(page) {
  return page.evaluate(() => {
    const petites = [];
    for (const e of document.querySelectorAll('main input[type=checkbox], main input[type=radio], main button')) {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const min = e.tagName === 'BUTTON' ? { l: 0, h: 44 } : { l: 24, h: 24 };
      if (r.width < min.l || r.height < min.h) {
        petites.push(`${e.tagName.toLowerCase()}#${e.id || e.name || e.textContent.trim()} ${Math.round(r.width)}×${Math.round(r.height)} px`);
      }
    }
    return petites;
  });
}

/**
 * Runs axe (WCAG 2.1 A/AA) on the page as it is, at 360 then 1280 px wide, and records the
 * violations in `echecs`; at 360 px a sideways scroll of the page is recorded too (WCAG
 * 1.4.10: wide tables scroll inside their own region), and so are touch targets that are too
 * small when the script asked for `ciblesTactiles`. The viewport is set back to 360 px.
 */
export async function axe(page, nom, echecs) {
  for (const largeur of LARGEURS) {
    await page.setViewportSize(VUES[largeur]);
    const { violations } = await new AxeBuilder({ page }).withTags(TAGS_AXE).analyze();
    let ligne = `    ${violations.length ? '✘' : '·'} ${largeur} px ${nom} — ${chemin(page)}`;
    if (violations.length) ligne += ` : ${violations.length} violation(s)`;
    if (largeur === 360) {
      const defile = await defilementHorizontal(page);
      if (defile) {
        ligne += ` [défilement horizontal / horizontal scroll ${defile}]`;
        echecs.push(`${nom} : défilement horizontal à 360 px / horizontal scroll (${defile})`);
      }
      const petites = etat.ciblesTactiles ? await petitesCibles(page) : [];
      if (petites.length) {
        ligne += ` [cibles trop petites / small targets: ${petites.join(', ')}]`;
        echecs.push(`${nom} : cibles tactiles trop petites / small touch targets (${petites.join(', ')})`);
      }
    }
    console.log(ligne);
    if (violations.length) {
      console.log(indenter(decrireViolations(violations), 6));
      echecs.push(`${nom} (${largeur} px, ${chemin(page)}): ${violations.map((v) => v.id).join(', ')}`);
    }
  }
  await page.setViewportSize(VUES[360]);
}

/**
 * Runs `axe` on pages captured with JavaScript off (`{ nom, html }`, e.g. the answers of
 * POST forms, which cannot be loaded again by URL): each is served as it was at
 * `${base}${chemin}?instantane=N` in a context with JavaScript, its scripts blocked.
 */
export async function axeSurInstantanes(instantanes, chemin, echecs) {
  await avecContexte({ js: true, largeur: 360 }, async (page) => {
    for (const [i, s] of instantanes.entries()) {
      const url = `${etat.base}${chemin}?instantane=${i}`;
      await page.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: s.html }));
      await page.route('**/*.js', (route) => route.abort());
      await page.goto(url);
      await axe(page, `${s.nom} (sans JS)`, echecs);
      await page.unrouteAll();
    }
  });
}

/** Opens `url` (relative to the server), requires HTTP 200, then runs `axe`. */
export async function allerEtAnalyser(page, url, nom, echecs) {
  const reponse = await page.goto(etat.base + url);
  assert.equal(reponse.status(), 200, `${nom}: statut HTTP de ${url}`);
  await axe(page, nom, echecs);
}

/** Fails with everything `axe` recorded in `echecs`, if anything. */
export function exigerZeroViolation(echecs) {
  const quoi = etat.ciblesTactiles
    ? 'violations axe (WCAG 2.1 A/AA), défilement horizontal ou petites cibles'
    : 'violations axe (WCAG 2.1 A/AA) ou défilement horizontal';
  assert.deepEqual(echecs, [], quoi);
}

// ---------------------------------------------------------------- sign-in

/**
 * Signs in as a person would: e-mail and password of `compte` ({ email, mdp, secret })
 * typed in the form, then, when the account has a TOTP secret, the 6-digit code of the
 * authenticator app typed in the code form (a refused code is retried once, with the next
 * step's code). With `echecs`, `axe` runs on the password page and on the code page (half
 * signed-in) before they are filled. Returns the path reached: /espace, or where an account
 * without a secret lands after its password.
 */
export async function seConnecter(page, compte, { echecs } = {}) {
  await page.goto(`${etat.base}/connexion`);
  assert.equal(new URL(page.url()).pathname, '/connexion');
  if (echecs) await axe(page, 'connexion', echecs);
  await page.getByLabel('Adresse électronique').pressSequentially(compte.email);
  await page.getByLabel('Mot de passe').pressSequentially(compte.mdp);
  await cliquerEtAttendre(page, page.getByRole('button', { name: 'Se connecter' }));
  const apres = new URL(page.url()).pathname;
  if (!compte.secret) return apres;
  assert.equal(apres, '/connexion/code', `après le mot de passe / after the password: ${page.url()}`);
  if (echecs) await axe(page, 'code de vérification (à moitié connecté·e)', echecs);
  for (let essai = 0; essai < 2; essai++) {
    const champ = page.getByLabel('Code à usage unique');
    await champ.fill('');
    await champ.pressSequentially(await codeNeuf(compte));
    await cliquerEtAttendre(page, page.getByRole('button', { name: 'Valider' })).catch(() => {});
    await page.waitForLoadState('load');
    if (new URL(page.url()).pathname === '/espace') return '/espace';
    const alerte = await page.locator('[role=alert]').allInnerTexts();
    console.log(`    (code refusé / code refused: ${alerte.join(' ')} ; nouvel essai au pas suivant / retry next step)`);
  }
  assert.fail(`connexion refusée pour ${compte.email} / sign-in failed (${page.url()})`);
}
