#!/usr/bin/env python3
"""Tire un second jeu de paires candidates, dans les strates que le premier jeu couvre peu.

Comme tirer_paires.py, ce script NE décide RIEN : il écrit une vue côte à côte des paires
pour qu'un humain les lise et les étiquette à la main dans paires_doublons_2.csv. Aucune
paire du premier fichier (paires_doublons.csv) n'est retirée. Aucune étiquette n'est
produite, et le score de Maillage n'est jamais consulté.

Strates (une paire n'entre que dans la première qui la contient) :
- loin_300m_5km : deux fiches entre 300 m et 5 km, avec un indice commun (noms proches,
  même téléphone, même courriel ou même code postal et un mot du nom en commun) ;
- entre_sources : deux fiches de sources différentes à moins de 5 km, avec un indice
  commun (noms proches, même téléphone ou même courriel), hors Hauts-de-France qui
  reprend un id d'une autre source (déjà bien couvert) ;
- meme_batiment : deux fiches à moins de 40 m dont les services diffèrent (ou dont l'une
  n'en a pas) ;
- loin_noms_proches : deux fiches entre 300 m et 5 km aux noms proches (Jaccard des mots
  ≥ 0,5). Ajoutée après la lecture des 60 premières paires de loin_300m_5km, presque toutes
  des négatifs (deux lieux d'une même ville avec un mot commun) : elle rééquilibre la
  strate des distances moyennes. Les tirages des trois premières strates n'en changent pas.

Usage :
    python3 tests/data/tirer_paires_2.py [--donnees DOSSIER] [--sortie FICHIER]
    python3 tests/data/tirer_paires_2.py --verifier tests/data/paires_doublons_2.csv

Déterministe : graine fixe (GRAINE_2), entrées triées, aucun appel réseau.
Par défaut écrit /tmp/paires_candidates_2.csv (fichier de travail, non versionné).
"""

import argparse
import csv
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tirer_paires as t  # noqa: E402

GRAINE_2 = 20261206

SORTIE_DEFAUT = Path("/tmp/paires_candidates_2.csv")
PREMIER_JEU = Path(__file__).resolve().parent / "paires_doublons.csv"

QUOTAS = {
    "loin_300m_5km": 60,
    "entre_sources": 110,
    "meme_batiment": 100,
    "loin_noms_proches": 40,
}


def services(f):
    return frozenset(s.strip().lower() for s in re.split(r"[,;|]", f["services"]) if s.strip())


def indice_commun(a, b):
    if t.jaccard(a["nom"], b["nom"]) >= 0.4:
        return True
    ta, tb = t.tel_normalise(a["tel"]), t.tel_normalise(b["tel"])
    if ta and ta == tb:
        return True
    ca, cb = a["courriel"].lower(), b["courriel"].lower()
    if ca and ca == cb:
        return True
    if a["cp"] and a["cp"] == b["cp"] and set(t.jetons(a["nom"])) & set(t.jetons(b["nom"])):
        return True
    return False


def id_embarque(a, b):
    for x, y in ((a, b), (b, a)):
        if x["source"] == "hauts-de-france":
            ident = x["ref"].split("#", 1)[1]
            autre = y["ref"].split("#", 1)[1]
            if ident.startswith(autre + "-") or ident.startswith("FS" + autre + "-"):
                return True
    return False


def candidats(fiches):
    familles = defaultdict(set)
    cellule = 0.045  # ~5 km en latitude
    grille = defaultdict(list)
    for f in fiches:
        if f["lat"] is not None and f["lon"] is not None:
            grille[(int(f["lat"] // cellule), int(f["lon"] // cellule))].append(f)
    for (i, j), contenu in sorted(grille.items()):
        voisins = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                voisins.extend(grille.get((i + di, j + dj), []))
        for a in contenu:
            for b in voisins:
                if a["ref"] >= b["ref"]:
                    continue
                d = t.distance_m(a, b)
                if d is None or d > 5000:
                    continue
                p = (a["ref"], b["ref"])
                if d < 40 and services(a) != services(b):
                    familles["meme_batiment"].add(p)
                if d > 300 and t.jaccard(a["nom"], b["nom"]) >= 0.5:
                    familles["loin_noms_proches"].add(p)
                if not indice_commun(a, b):
                    continue
                if d > 300:
                    familles["loin_300m_5km"].add(p)
                if a["source"] != b["source"] and not id_embarque(a, b):
                    familles["entre_sources"].add(p)
    return familles


def premier_jeu():
    with open(PREMIER_JEU, newline="", encoding="utf-8") as f:
        return {tuple(sorted((r["ref_a"], r["ref_b"]))) for r in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--donnees", type=Path, default=t.DOSSIER_DEFAUT)
    ap.add_argument("--sortie", type=Path, default=SORTIE_DEFAUT)
    ap.add_argument("--verifier", type=Path, metavar="PAIRES_CSV")
    args = ap.parse_args()

    rng = random.Random(GRAINE_2)
    fiches = t.charger(args.donnees)
    par_ref = {f["ref"]: f for f in fiches}
    if args.verifier:
        t.verifier(args.verifier, par_ref)
        deja = premier_jeu()
        with open(args.verifier, newline="", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f), 2):
                p = tuple(sorted((r["ref_a"], r["ref_b"])))
                assert p not in deja, f"ligne {i}: paire déjà dans {PREMIER_JEU.name}"
        return
    familles = candidats(fiches)
    deja = premier_jeu()
    lignes = []
    for famille in QUOTAS:
        paires = sorted(familles.get(famille, set()) - deja)
        disponibles = len(paires)
        rng.shuffle(paires)
        paires = paires[:QUOTAS[famille]]
        for a, b in paires:
            deja.add((a, b))
            lignes.append((famille, par_ref[a], par_ref[b]))
        print(f"  {famille}: {disponibles} disponibles, {len(paires)} tirées")
    with open(args.sortie, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=t.COLONNES)
        w.writeheader()
        for n, (famille, fa, fb) in enumerate(lignes, 1):
            w.writerow(t.ligne(n, famille, fa, fb))
    print(f"{len(lignes)} paires candidates écrites dans {args.sortie}")


if __name__ == "__main__":
    main()
