// Le parcours d'orientation sur un téléphone lent / the orientation path on a slow phone.
//
//   node e2e/lent.mjs http://127.0.0.1:PORT [commune] [runs]
//
// Against a release server (`cargo build --release -p maillage_cli`, then
// `target/release/maillage serve`, see docs/PERFORMANCE.md). Chromium (Debian's, through
// playwright-core) at 360 px, with the network slowed down by the DevTools protocol to
// 400 kbit/s each way and 400 ms of round trip (`Network.emulateNetworkConditions`) and the
// processor 4 times slower (`Emulation.setCPUThrottlingRate`). From a fresh context (no
// cache), JavaScript on then off, answering at once (no reading time):
//   - « accueil » : home (need + commune on one form) → results: two page loads;
//   - « une par une » : the four question pages from `/?etape=besoin` (the home page's link
//     « Répondre aux questions une par une »; what `/` was before) → results: five page
//     loads, for comparison.
// Prints, for each page, the time from the click to the page loaded, the bytes received
// (compressed, headers included) and, from the browser's Navigation Timing, the first byte
// and the first paint after the request started; then the time from the first request to the
// first result shown (with, apart, the automation's ticking and typing on the last page, and
// the time from the click on « Voir les lieux » to the first result), and the total bytes. `runs` fresh runs of each (default 3): every run
// and the median. Exit status 1 when a run finds no result.

import { lancerNavigateur, nouveauContexte, BESOIN, cocher } from './lib.mjs';

const base = (process.argv[2] || process.env.MAILLAGE_BASE || '').replace(/\/$/, '');
const commune = process.argv[3] || 'Lille';
const essais = Number(process.argv[4] || process.env.MAILLAGE_LENT_ESSAIS || 3);
if (!/^https?:\/\//.test(base) || !(essais >= 1)) {
  console.error('Usage : node e2e/lent.mjs http://127.0.0.1:PORT [commune] [essais]');
  process.exit(2);
}

/** 400 kbit/s in bytes per second, 400 ms of round trip, CPU 4 × slower. */
const RESEAU = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const CPU = 4;

async function parcours(navigateur, js, chemin) {
  const contexte = await nouveauContexte(navigateur, base, { js, largeur: 360 });
  const page = await contexte.newPage();
  const cdp = await contexte.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.send('Network.emulateNetworkConditions', RESEAU);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU });
  let octets = 0;
  let requetes = 0;
  cdp.on('Network.loadingFinished', (e) => {
    octets += e.encodedDataLength;
    requetes += 1;
  });

  const etapes = [];
  const debut = Date.now();
  let avant = octets;
  let requetesAvant = 0;
  let t = Date.now();
  const noter = async (nom) => {
    const ms = Date.now() - t;
    // Navigation Timing of the page now shown (ms after its request started).
    const temps = await page
      .evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0];
        const p = performance.getEntriesByName('first-contentful-paint')[0];
        return n && { octet: Math.round(n.responseStart), fin: Math.round(n.responseEnd), peint: p ? Math.round(p.startTime) : null };
      })
      .catch(() => null);
    etapes.push({ nom, ms, octets: octets - avant, requetes: requetes - requetesAvant, url: page.url().replace(base, ''), temps });
    t = Date.now();
    avant = octets;
    requetesAvant = requetes;
  };
  const cliquer = async (locator, waitUntil = 'load') => {
    const url = page.url();
    await Promise.all([page.waitForURL((u) => u.toString() !== url, { waitUntil }), locator.click()]);
  };
  const form = page.locator('form#question');

  if (chemin === 'accueil') {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await noter('accueil');
    await cocher(form.locator(`input[name=besoin][value="${BESOIN}"]`));
    await form.getByLabel('Votre commune ou code postal').fill(commune);
  } else {
    await page.goto(`${base}/?etape=besoin`, { waitUntil: 'load' });
    await noter('question « besoin »');
    await cocher(form.locator(`input[name=besoin][value="${BESOIN}"]`));
    await cliquer(form.getByRole('button', { name: 'Suivant' }));
    await noter('question « où »');
    await form.getByLabel('Votre commune ou code postal').fill(commune);
    await cliquer(form.getByRole('button', { name: 'Suivant' }));
    await noter('question « quand »');
    await cocher(form.locator('input[name=quand][value=""]'));
    await cliquer(form.getByRole('button', { name: 'Suivant' }));
    await noter('question « accès »');
  }
  // What the automation spent ticking and typing on the last page, under the slowed-down
  // processor (a person's own time, not the pages').
  const saisie = Date.now() - t;
  const clic = Date.now();
  await cliquer(form.getByRole('button', { name: 'Voir les lieux' }), 'commit');
  await page.locator('li.resultat').first().waitFor({ state: 'visible', timeout: 60_000 });
  const premierResultat = Date.now() - debut;
  const resultatSeul = Date.now() - clic;
  await page.waitForLoadState('load');
  await noter('résultats');
  const n = await page.locator('li.resultat').count();
  await contexte.close();
  return { etapes, premierResultat, resultatSeul, saisie, octets, requetes, resultats: n };
}

const mediane = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const ko = (o) => (o / 1024).toFixed(1);

const navigateur = await lancerNavigateur();
let echec = false;
try {
  const charge = (await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`Réseau 400 kbit/s, 400 ms aller-retour, processeur ×${CPU} ; commune : ${commune} ; ${essais} essai(s)`);
  console.log(`Charge de la machine au départ (1, 5, 15 min) : ${charge} — Chromium ${navigateur.version()}`);
  for (const chemin of ['accueil', 'une par une']) {
    for (const js of [true, false]) {
      const runs = [];
      for (let i = 0; i < essais; i++) runs.push(await parcours(navigateur, js, chemin));
      console.log(`\nParcours « ${chemin} », JavaScript ${js ? 'actif' : 'coupé'} :`);
      runs.forEach((r, i) => {
        console.log(
          `  essai ${i + 1} : premier résultat à ${r.premierResultat} ms ; clic « Voir les lieux » → premier résultat ${r.resultatSeul} ms ;` +
            ` saisie sur la dernière page ${r.saisie} ms ; ${ko(r.octets)} Ko en ${r.requetes} requêtes`,
        );
        for (const e of r.etapes) {
          const tp = e.temps ? `1er octet ${e.temps.octet} ms, fin ${e.temps.fin} ms, 1re peinture ${e.temps.peint ?? '?'} ms` : '';
          console.log(
            `    ${e.nom.padEnd(20)} ${String(e.ms).padStart(5)} ms  ${String(e.octets).padStart(6)} o / ${e.requetes} req.  (${tp})  ${e.url}`,
          );
        }
        if (r.resultats === 0) echec = true;
      });
      const loadavg = (await import('node:os')).loadavg()[0].toFixed(1);
      console.log(
        `  MÉDIANE : premier résultat ${mediane(runs.map((r) => r.premierResultat))} ms après la première requête ;` +
          ` clic « Voir les lieux » → premier résultat ${mediane(runs.map((r) => r.resultatSeul))} ms ;` +
          ` saisie sur la dernière page (comprise dans le total) ${mediane(runs.map((r) => r.saisie))} ms ;` +
          ` ${ko(mediane(runs.map((r) => r.octets)))} Ko ; par page : ` +
          runs[0].etapes.map((e, k) => `${e.nom} ${mediane(runs.map((r) => r.etapes[k].ms))} ms`).join(', ') +
          ` ; ${runs[0].resultats} résultats ; charge ${loadavg}`,
      );
    }
  }
} finally {
  await navigateur.close();
}
process.exit(echec ? 1 : 0);
