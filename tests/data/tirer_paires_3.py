#!/usr/bin/env python3
"""Tire un troisième jeu de paires candidates, dans les strates du second, sans les paires des deux premiers.

Le second jeu (paires_doublons_2.csv) a été regardé en cherchant pourquoi le détecteur le
manquait : il ne mesure plus des paires que personne n'a lues en réglant. Ce troisième jeu
le remplace dans ce rôle. Comme les deux autres scripts, celui-ci NE décide RIEN : il écrit
une vue côte à côte pour qu'un humain étiquette chaque paire à la main dans
paires_doublons_3.csv, sans jamais consulter le score de Maillage.

Strates : exactement celles de tirer_paires_2.py (même fonction `candidats`), dans le même
ordre. Quotas différents, fixés AVANT toute lecture : le second jeu a montré que
`meme_batiment` et `entre_sources` portent presque tous les `oui` et que les strates
éloignées sont faites surtout de `non` ; pour que le rappel veuille dire quelque chose
(au moins 60 `oui`), `meme_batiment` reçoit le plus gros quota.

Usage :
    python3 tests/data/tirer_paires_3.py [--donnees DOSSIER] [--sortie FICHIER]
    python3 tests/data/tirer_paires_3.py --verifier tests/data/paires_doublons_3.csv

Déterministe : graine fixe (GRAINE_3), entrées triées, aucun appel réseau.
Par défaut écrit /tmp/paires_candidates_3.csv (fichier de travail, non versionné).
"""

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tirer_paires as t  # noqa: E402
import tirer_paires_2 as t2  # noqa: E402

GRAINE_3 = 20261207

SORTIE_DEFAUT = Path("/tmp/paires_candidates_3.csv")
JEUX_PRECEDENTS = [
    Path(__file__).resolve().parent / "paires_doublons.csv",
    Path(__file__).resolve().parent / "paires_doublons_2.csv",
]

QUOTAS = {
    "loin_300m_5km": 25,
    "entre_sources": 85,
    "meme_batiment": 100,
    "loin_noms_proches": 30,
}


def jeux_precedents():
    deja = set()
    for chemin in JEUX_PRECEDENTS:
        with open(chemin, newline="", encoding="utf-8") as f:
            deja |= {tuple(sorted((r["ref_a"], r["ref_b"]))) for r in csv.DictReader(f)}
    return deja


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--donnees", type=Path, default=t.DOSSIER_DEFAUT)
    ap.add_argument("--sortie", type=Path, default=SORTIE_DEFAUT)
    ap.add_argument("--verifier", type=Path, metavar="PAIRES_CSV")
    args = ap.parse_args()

    rng = random.Random(GRAINE_3)
    fiches = t.charger(args.donnees)
    par_ref = {f["ref"]: f for f in fiches}
    deja = jeux_precedents()
    if args.verifier:
        t.verifier(args.verifier, par_ref)
        with open(args.verifier, newline="", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f), 2):
                p = tuple(sorted((r["ref_a"], r["ref_b"])))
                assert p not in deja, f"ligne {i}: paire déjà dans un jeu précédent"
        return
    familles = t2.candidats(fiches)
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
