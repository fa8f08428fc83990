// Outils communs aux tests navigateur et aux captures d'écran.
// Shared helpers of the browser tests and the screenshots.

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.MAILLAGE_CHROMIUM || '/usr/bin/chromium';

export const BESOIN = 'Aide aux démarches administratives';

export const VUES = {
  360: { width: 360, height: 740 },
  1280: { width: 1280, height: 800 },
};

/** Map tile URLs: `/{z}/{x}/{y}.png` and the like, wherever they come from. */
export function estTuile(url) {
  return /\/\d+\/\d+\/\d+(@2x)?\.(png|jpe?g|webp|pbf|mvt)(\?|$)/i.test(url);
}

export async function lancerNavigateur() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      // The test parent page of the widget is served by interception (no IP address): without
      // this, Chromium's Local Network Access checks refuse its iframe to 127.0.0.1.
      '--disable-features=LocalNetworkAccessChecks',
    ],
  });
}

/**
 * A fresh context (no cache, no cookies). Every request to another origin is aborted before it
 * leaves the machine and recorded in `contexte.etrangeres` (map tiles included).
 */
export async function nouveauContexte(navigateur, base, { js = true, largeur = 360, serviceWorkers = 'block' } = {}) {
  const origine = new URL(base).origin;
  const contexte = await navigateur.newContext({
    viewport: VUES[largeur],
    deviceScaleFactor: 1,
    javaScriptEnabled: js,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    serviceWorkers,
  });
  contexte.setDefaultTimeout(15_000);
  contexte.setDefaultNavigationTimeout(30_000);
  contexte.etrangeres = [];
  contexte.erreursJs = [];
  await contexte.route(
    (url) => url.origin !== origine && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => {
      contexte.etrangeres.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  contexte.on('page', (page) => {
    page.on('pageerror', (e) => contexte.erreursJs.push(`${page.url()}: ${e.message}`));
    // A blocked inline script or style (Content-Security-Policy) counts as an error too.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
        contexte.erreursJs.push(`${page.url()}: ${m.text()}`);
      }
    });
  });
  return contexte;
}

/** Checks a radio or checkbox, even when the input itself is visually hidden behind its label. */
export async function cocher(locator) {
  try {
    await locator.check({ timeout: 3_000 });
  } catch {
    const id = await locator.getAttribute('id');
    const page = locator.page();
    if (id && (await page.locator(`label[for="${id}"]`).count())) {
      await page.locator(`label[for="${id}"]`).first().click();
    } else {
      await locator.check({ force: true });
    }
  }
}

async function visible(page, selecteur) {
  const l = page.locator(selecteur);
  const n = await l.count();
  for (let i = 0; i < n; i++) if (await l.nth(i).isVisible()) return true;
  return false;
}

/** Which question the home form shows, from the inputs a person can see. */
export async function etapeVisible(page) {
  const form = 'form#question';
  if (await visible(page, `${form} input[name=besoin]:not([type=hidden])`)) return 'besoin';
  if (await visible(page, `${form} input[name=ou]:not([type=hidden])`)) return 'ou';
  if (await visible(page, `${form} input[name=quand]:not([type=hidden])`)) return 'quand';
  return 'acces';
}

/** Clicks `locator` and waits until the page URL changed and the new page loaded. */
export async function cliquerEtAttendre(page, locator) {
  const avant = page.url();
  await Promise.all([
    page.waitForURL((u) => u.toString() !== avant, { waitUntil: 'load' }),
    locator.click(),
  ]);
}

/**
 * The search from the home page in one form: ticks the need, types the commune, optionally
 * opens « Préciser… » to choose `quand` (a radio value) and `frais`, then « Voir les lieux ».
 * `surAccueil(page, form)` is called on the home page before answering.
 */
export async function chercherDepuisAccueil(page, base, { besoin = BESOIN, ou, quand, frais, surAccueil } = {}) {
  await page.goto(`${base}/`);
  const form = page.locator('form#question');
  if ((await form.count()) !== 1) throw new Error(`pas de form#question sur ${page.url()}`);
  if (surAccueil) await surAccueil(page, form);
  await cocher(form.locator(`input[name=besoin][value="${besoin}"]`));
  await form.getByLabel('Votre commune ou code postal').fill(ou);
  if (quand !== undefined || frais !== undefined) {
    await form.locator('details.preciser > summary').click();
    if (quand !== undefined) await cocher(form.locator(`input[name=quand][value="${quand}"]`));
    if (frais !== undefined) await cocher(form.locator(`input[name=frais][value="${frais}"]`));
  }
  await cliquerEtAttendre(page, form.getByRole('button', { name: 'Voir les lieux' }));
}

/**
 * Answers the home questions one at a time, from `/` (its link « Répondre aux questions une
 * par une ») to the results page.
 * `surEtape(page, etape)` is called on each question page before answering it.
 * Returns the names of the steps met, in order.
 */
export async function repondreAuxQuestions(page, base, { besoin = BESOIN, ou, quand = '', surEtape } = {}) {
  await page.goto(`${base}/`);
  await cliquerEtAttendre(page, page.getByRole('link', { name: 'Répondre aux questions une par une' }));
  const etapes = [];
  for (let i = 0; i < 8 && new URL(page.url()).pathname === '/'; i++) {
    const form = page.locator('form#question');
    if ((await form.count()) !== 1) throw new Error(`pas de form#question sur ${page.url()}`);
    const etape = await etapeVisible(page);
    etapes.push(etape);
    if (surEtape) await surEtape(page, etape);
    if (etape === 'besoin') {
      await cocher(form.locator(`input[name=besoin][value="${besoin}"]`));
    } else if (etape === 'ou') {
      await form.locator('input[name=ou]:not([type=hidden])').fill(ou);
    } else if (etape === 'quand') {
      await cocher(form.locator(`input[name=quand][value="${quand}"]`));
    }
    const bouton = form.getByRole('button', { name: /Suivant|Voir les lieux/ });
    await cliquerEtAttendre(page, bouton.last());
  }
  return etapes;
}

/**
 * On a results page that asks which commune was meant, picks the first one named like `nom`.
 */
export async function choisirCommuneSiAmbigu(page, nom = /lille/i) {
  if ((await page.locator('li.resultat').count()) > 0) return false;
  const liens = page.locator('main a[href*="ou="]');
  const n = await liens.count();
  for (let i = 0; i < n; i++) {
    if (nom.test(await liens.nth(i).innerText())) {
      await cliquerEtAttendre(page, liens.nth(i));
      return true;
    }
  }
  return false;
}
