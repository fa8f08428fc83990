// Le parcours d'orientation sur un téléphone lent / the orientation path on a slow phone.
//
//   node e2e/lent.mjs http://127.0.0.1:PORT [commune]
//
// Against a release server (`cargo build --release -p maillage_cli`, then
// `target/release/maillage serve --demo`, see docs/PERFORMANCE.md). Chromium (Debian's,
// through playwright-core) at 360 px, with the network slowed down by the DevTools protocol
// to 400 kbit/s each way and 400 ms of round trip (`Network.emulateNetworkConditions`) and
// the processor 4 times slower (`Emulation.setCPUThrottlingRate`). From a fresh context (no
// cache), JavaScript on then off: home → the four questions → the results, answering at once
// (no reading time). Prints, for each page, the time from the click to the page loaded and
// the bytes received (compressed, headers included), then the time from the first request to
// the first result shown, and the total bytes. Exit status 1 when a run finds no result.

import { lancerNavigateur, nouveauContexte, BESOIN, cocher } from './lib.mjs';

const base = (process.argv[2] || process.env.MAILLAGE_BASE || '').replace(/\/$/, '');
const commune = process.argv[3] || 'Lille';
if (!/^https?:\/\//.test(base)) {
  console.error('Usage : node e2e/lent.mjs http://127.0.0.1:PORT [commune]');
  process.exit(2);
}

/** 400 kbit/s in bytes per second, 400 ms of round trip, CPU 4 × slower. */
const RESEAU = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const CPU = 4;

async function parcours(navigateur, js) {
  const contexte = await nouveauContexte(navigateur, base, { js, largeur: 360 });
  const page = await contexte.newPage();
  const cdp = await contexte.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.send('Network.emulateNetworkConditions', RESEAU);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU });
  let octets = 0;
  cdp.on('Network.loadingFinished', (e) => {
    octets += e.encodedDataLength;
  });

  const etapes = [];
  const debut = Date.now();
  let avant = octets;
  let t = Date.now();
  const noter = (nom) => {
    etapes.push({ nom, ms: Date.now() - t, octets: octets - avant, url: page.url().replace(base, '') });
    t = Date.now();
    avant = octets;
  };
  const suivant = async (form) => {
    const bouton = form.getByRole('button', { name: /Suivant|Voir les lieux/ }).last();
    const url = page.url();
    await Promise.all([page.waitForURL((u) => u.toString() !== url, { waitUntil: 'load' }), bouton.click()]);
  };

  await page.goto(`${base}/`, { waitUntil: 'load' });
  noter('accueil (besoin)');
  const form = page.locator('form#question');
  await cocher(form.locator(`input[name=besoin][value="${BESOIN}"]`));
  await suivant(form);
  noter('question « où »');
  await form.locator('input[name=ou]:not([type=hidden])').fill(commune);
  await suivant(form);
  noter('question « quand »');
  await cocher(form.locator('input[name=quand][value=""]'));
  await suivant(form);
  noter('question « accès »');
  const url = page.url();
  await Promise.all([
    page.waitForURL((u) => u.toString() !== url, { waitUntil: 'commit' }),
    form.getByRole('button', { name: /Voir les lieux/ }).click(),
  ]);
  await page.locator('li.resultat').first().waitFor({ state: 'visible', timeout: 60_000 });
  const premierResultat = Date.now() - debut;
  const resultatSeul = Date.now() - t;
  await page.waitForLoadState('load');
  noter('résultats');
  const n = await page.locator('li.resultat').count();
  await contexte.close();
  return { js, etapes, premierResultat, resultatSeul, octets, resultats: n };
}

const navigateur = await lancerNavigateur();
let echec = false;
try {
  console.log(`Réseau 400 kbit/s, 400 ms aller-retour, processeur ×${CPU} ; commune : ${commune}`);
  for (const js of [true, false]) {
    const r = await parcours(navigateur, js);
    console.log(`\nJavaScript ${js ? 'actif' : 'coupé'} :`);
    for (const e of r.etapes) {
      console.log(`  ${e.nom.padEnd(22)} ${String(e.ms).padStart(5)} ms  ${String(e.octets).padStart(7)} octets  ${e.url}`);
    }
    console.log(`  premier résultat affiché : ${r.premierResultat} ms après la première requête`);
    console.log(`  (page de résultats seule : ${r.resultatSeul} ms après le clic sur « Voir les lieux »)`);
    console.log(`  octets reçus en tout : ${r.octets} ; ${r.resultats} résultats affichés`);
    if (r.resultats === 0) echec = true;
  }
} finally {
  await navigateur.close();
}
process.exit(echec ? 1 : 0);
