// Captures d'écran des pages publiques / screenshots of the public pages.
//
//   node e2e/captures.mjs http://127.0.0.1:PORT [DOSSIER]
//
// Saves accueil, resultats, lieu, fiche, carte, the map of results, far and overseas results,
// a territory page and « Mon mandat » at 360 px and 1280 px wide (full page,
// deviceScaleFactor 1) as PNG into DOSSIER (default docs/screenshots). Map tiles come from
// another origin and are not fetched: the map shows its markers on a plain background.
// Called by scripts/captures.sh, which starts the release server over the demo data.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BESOIN, choisirCommuneSiAmbigu, lancerNavigateur, nouveauContexte } from './lib.mjs';

const BASE = (process.argv[2] || '').replace(/\/$/, '');
if (!/^https?:\/\//.test(BASE)) {
  console.error('Usage : node e2e/captures.mjs http://127.0.0.1:PORT [DOSSIER]');
  process.exit(2);
}
const ici = path.dirname(fileURLToPath(import.meta.url));
const DOSSIER = path.resolve(process.argv[3] || path.join(ici, '..', 'docs', 'screenshots'));
mkdirSync(DOSSIER, { recursive: true });
// A results page can be long: beyond this height the capture is cut.
const HAUTEUR_MAX = 4000;

const navigateur = await lancerNavigateur();
let code = 0;
try {
  // Which places to show: the nearest two to Lille for the need of the issue.
  const contexte = await nouveauContexte(navigateur, BASE, { js: true, largeur: 1280 });
  const page = await contexte.newPage();
  const resultats = `${BASE}/lieux?besoin=${encodeURIComponent(BESOIN)}&ou=lille`;
  await page.goto(resultats);
  await choisirCommuneSiAmbigu(page);
  const hrefs = await page
    .locator('li.resultat h2 > a')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  await contexte.close();
  if (hrefs.length < 2) throw new Error(`moins de deux résultats sur ${resultats}`);
  const ids = hrefs.slice(0, 2).map((h) => h.split('/')[2]);

  const pages = [
    ['accueil', `${BASE}/`],
    ['resultats', resultats],
    ['lieu', new URL(hrefs[0], BASE).href],
    ['fiche', `${BASE}/fiche?lieu=${ids[0]}&lieu=${ids[1]}&besoin=${encodeURIComponent(BESOIN)}`],
    ['carte', `${BASE}/carte?lat=50.63&lon=3.06&zoom=12`],
    ['carte-resultats', `${BASE}/carte?vue=resultats&besoin=${encodeURIComponent(BESOIN)}&ou=lille`],
    // Nothing nearby lists this need: said plainly, the nearest places for any help, the far ones flagged.
    ['resultats-loin', `${BASE}/lieux?ou=Castanet-Tolosan&besoin=${encodeURIComponent('Insertion professionnelle via le numérique')}`],
    ['resultats-outre-mer', `${BASE}/lieux?ou=${encodeURIComponent('Nouméa')}`],
    ['territoire', `${BASE}/territoires/dep:31`],
    ['mon-mandat', `${BASE}/mon-mandat`],
  ];
  for (const largeur of [360, 1280]) {
    const ctx = await nouveauContexte(navigateur, BASE, { js: true, largeur });
    for (const [nom, url] of pages) {
      const p = await ctx.newPage();
      await p.goto(url, { waitUntil: 'networkidle' });
      if (nom.startsWith('carte')) {
        await p.waitForSelector('.leaflet-marker-icon', { timeout: 15_000 }).catch(() => {});
        await p.waitForTimeout(500);
      }
      const hauteur = await p.evaluate(() => document.documentElement.scrollHeight);
      const fichier = path.join(DOSSIER, `${nom}-${largeur}.png`);
      await p.screenshot({
        path: fichier,
        fullPage: true,
        ...(hauteur > HAUTEUR_MAX ? { clip: { x: 0, y: 0, width: largeur, height: HAUTEUR_MAX } } : {}),
      });
      console.log(`${fichier} (${largeur} × ${Math.min(hauteur, HAUTEUR_MAX)})`);
      await p.close();
    }
    await ctx.close();
  }
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  await navigateur.close();
}
process.exit(code);
