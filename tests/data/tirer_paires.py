#!/usr/bin/env python3
"""Tire des paires candidates de doublons entre les cinq fichiers de lieux.

Ce script NE décide RIEN : il prépare une vue côte à côte (noms, adresses,
distance, téléphones, courriels, SIRET, services) de paires plausiblement
identiques, pour qu'un humain les lise et les étiquette à la main dans
paires_doublons.csv. Aucune étiquette oui/non n'est produite ici.

Usage :
    python3 tests/data/tirer_paires.py [--donnees DOSSIER] [--sortie FICHIER]

Déterministe : graine fixe (GRAINE), entrées triées, aucun appel réseau.
Par défaut écrit /tmp/paires_candidates.csv (fichier de travail, non versionné).
"""

import argparse
import csv
import itertools
import json
import math
import random
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

GRAINE = 20240611

DOSSIER_DEFAUT = Path("/work/shared/data/lieux")
SORTIE_DEFAUT = Path("/tmp/paires_candidates.csv")

# Nombre maximal de paires tirées par famille de candidats.
QUOTAS = {
    "id_embarque": 40,         # id Hauts-de-France qui contient un id CNFS / France Services
    "fs_vs_cnfs": 45,          # France Services (CSV) vs lieu CNFS au nom "France services"
    "proche_300m": 70,         # < 300 m, noms quelconques
    "meme_cp_nom_proche": 45,  # même code postal, noms proches, distance quelconque
    "meme_contact": 40,        # même téléphone / courriel / SIRET
    "meme_nom_loin": 30,       # même nom (normalisé), 300 m à 5 km
    "itinerant": 20,           # au moins un bus / lieu itinérant
    "intra_source": 30,        # deux fiches d'une même source
    "meme_cp_aleatoire": 30,   # même code postal, tirage au hasard (négatifs faciles)
}

# Paires remarquées en lisant les candidats (même structure vue dans une autre
# paire) et ajoutées à la vue côte à côte, famille "ajout_lecture".
AJOUTS_LECTURE = [
    ("conseillers-numeriques#62c53f70c9ce0606dcdcfe97", "conseillers-numeriques#62c53f83c9ce0606dcdcfe99"),
    ("france-services#158", "hinaura#1133"),
    ("france-services#158", "france-services#2041"),
    ("france-services#433", "hinaura#111"),
]

MOTS_VIDES = {
    "de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux",
    "en", "sur", "sous", "lez", "les", "pour", "the",
}


# ---------------------------------------------------------------- lecture


def _flottant(v):
    if v is None or v == "":
        return None
    try:
        f = float(str(v).replace(",", "."))
    except ValueError:
        return None
    if math.isnan(f) or f == 0.0:
        return None
    return f


def _fiche(source, ident, nom, adresse, cp, commune, lat, lon, tel, courriel,
           pivot, services, extra=""):
    return {
        "ref": f"{source}#{ident}",
        "source": source,
        "nom": (nom or "").strip(),
        "adresse": (adresse or "").replace("\n", " ").strip(),
        "cp": str(cp or "").strip(),
        "commune": (commune or "").strip(),
        "lat": _flottant(lat),
        "lon": _flottant(lon),
        "tel": (tel or "").strip(),
        "courriel": (courriel or "").strip(),
        "pivot": (pivot or "").strip(),
        "services": (services or "").strip(),
        "extra": extra,
    }


def charger(dossier):
    fiches = []
    with open(dossier / "france-services_2022-12-01.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            adresse = r["adresse"]
            if r["complement_adresse"]:
                adresse += " (" + r["complement_adresse"] + ")"
            extra = f"itinerance={r['itinerance']}; format={r['format_fs']}"
            if r["groupe"]:
                extra += f"; groupe={r['groupe']}"
            if r["commentaire"]:
                extra += "; commentaire=" + r["commentaire"].replace("\n", " ")[:120]
            fiches.append(_fiche("france-services", r["id_fs"], r["lib_fs"], adresse,
                                 r["code_postal"], r["lib_com"], r["latitude"], r["longitude"],
                                 r["telephone"], r["mail"], "", "", extra))
    for r in json.load(open(dossier / "conseillers-numeriques_lieux_2022-07.json", encoding="utf-8")):
        fiches.append(_fiche("conseillers-numeriques", r["id"], r["nom"], r["adresse"],
                             r["code_postal"], r["commune"], r["latitude"], r["longitude"],
                             r.get("telephone"), r.get("courriel"), r.get("pivot"),
                             r.get("services"), f"labels={r.get('labels_nationaux') or ''}"))
    for r in json.load(open(dossier / "hinaura_2021.json", encoding="utf-8")):
        fiches.append(_fiche("hinaura", r["id"], r["nom"], r["adresse"], r["code_postal"],
                             r["commune"], r["latitude"], r["longitude"], r.get("telephone"),
                             r.get("courriel"), r.get("pivot"), r.get("services")))
    geo = json.load(open(dossier / "hauts-de-france_2022-11.geojson", encoding="utf-8"))
    for feat in geo["features"]:
        p = feat["properties"]
        fiches.append(_fiche("hauts-de-france", p["id"], p["nom"], p["adresse"], p["code_postal"],
                             p["commune"], p["latitude"], p["longitude"], p.get("telephone"),
                             p.get("courriel"), p.get("pivot"), p.get("services"),
                             f"sous-source={p.get('source')}; labels={p.get('labels_nationaux') or ''}"))
    for r in json.load(open(dossier / "nouvelle-caledonie_2024-03.json", encoding="utf-8")):
        adresse = r["adresse"]
        if r.get("complement_adresse"):
            adresse += " (" + r["complement_adresse"] + ")"
        fiches.append(_fiche("nouvelle-caledonie", r["id"], r["nom"], adresse, r["code_postal"],
                             r["commune"], r["latitude"], r["longitude"], r.get("telephone"),
                             r.get("courriel"), r.get("pivot"), r.get("services"),
                             f"typologie={r.get('typologie') or ''}"))
    fiches.sort(key=lambda f: f["ref"])
    return fiches


# ---------------------------------------------------------------- normalisation


def sans_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def jetons(nom):
    s = sans_accents(nom.lower())
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return [t for t in s.split() if t not in MOTS_VIDES]


def nom_normalise(nom):
    return " ".join(jetons(nom))


def jaccard(a, b):
    sa, sb = set(jetons(a)), set(jetons(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def tel_normalise(t):
    chiffres = re.sub(r"\D", "", t or "")
    if chiffres.startswith("33") and len(chiffres) == 11:
        chiffres = "0" + chiffres[2:]
    if len(chiffres) < 6:
        return ""
    return chiffres[-9:]


def pivot_utile(p):
    chiffres = re.sub(r"\D", "", p or "")
    if len(chiffres) < 9 or set(chiffres) == {"0"}:
        return ""
    return chiffres


def distance_m(a, b):
    if None in (a["lat"], a["lon"], b["lat"], b["lon"]):
        return None
    r = 6371000.0
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp = p2 - p1
    dl = math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def itinerant(f):
    n = sans_accents(f["nom"].lower())
    return ("itinerance=Oui" in f["extra"]) or bool(re.search(r"\bbus\b|itinerant|camping-car|mobile", n))


def france_services(f):
    n = sans_accents(f["nom"].lower())
    return bool(re.search(r"france[ -]?services?|\bmsap\b|maison de services au public", n))


# ---------------------------------------------------------------- candidats


def candidats(fiches):
    par_ref = {f["ref"]: f for f in fiches}
    familles = defaultdict(set)

    def ajouter(famille, a, b):
        if a == b:
            return
        familles[famille].add(tuple(sorted((a, b))))

    # 1. ids Hauts-de-France qui embarquent un id d'une autre source
    for f in fiches:
        if f["source"] != "hauts-de-france":
            continue
        ident = f["ref"].split("#", 1)[1]
        m = re.match(r"^([0-9a-f]{24})-mediation-numerique-conseiller-numerique$", ident)
        if m and f"conseillers-numeriques#{m.group(1)}" in par_ref:
            ajouter("id_embarque", f["ref"], f"conseillers-numeriques#{m.group(1)}")
        m = re.match(r"^(\d+)-mediation-numerique-france-services$", ident)
        if m and f"france-services#{m.group(1)}" in par_ref:
            ajouter("id_embarque", f["ref"], f"france-services#{m.group(1)}")

    # 2. grille spatiale (~300 m)
    cellule = 0.003
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
                if a["ref"] < b["ref"]:
                    d = distance_m(a, b)
                    if d is not None and d <= 300:
                        ajouter("proche_300m", a["ref"], b["ref"])

    # 3. même code postal / même nom
    par_cp = defaultdict(list)
    par_nom = defaultdict(list)
    for f in fiches:
        if f["cp"]:
            par_cp[f["cp"]].append(f)
        if f["nom"]:
            par_nom[nom_normalise(f["nom"])].append(f)
    for cp, contenu in sorted(par_cp.items()):
        for a, b in itertools.combinations(contenu, 2):
            if jaccard(a["nom"], b["nom"]) >= 0.5:
                ajouter("meme_cp_nom_proche", a["ref"], b["ref"])
    for nom, contenu in sorted(par_nom.items()):
        if len(contenu) > 12:  # noms génériques ("Mairie", "Médiathèque"), trop nombreux
            continue
        for a, b in itertools.combinations(contenu, 2):
            d = distance_m(a, b)
            if d is not None and 300 < d <= 5000:
                ajouter("meme_nom_loin", a["ref"], b["ref"])

    # 4. même téléphone / courriel / SIRET
    for cle, fn in (("tel", tel_normalise), ("courriel", lambda c: c.lower()),
                    ("pivot", pivot_utile)):
        index = defaultdict(list)
        for f in fiches:
            v = fn(f[cle])
            if v:
                index[v].append(f)
        for v, contenu in sorted(index.items()):
            if len(contenu) > 8:  # SIRET d'une grande structure / standard partagé
                continue
            for a, b in itertools.combinations(contenu, 2):
                ajouter("meme_contact", a["ref"], b["ref"])

    # 5. France Services (CSV) vs lieu CNFS nommé "France services ..." dans le même cp
    for cp, contenu in sorted(par_cp.items()):
        fs = [f for f in contenu if f["source"] == "france-services"]
        autres = [f for f in contenu if f["source"] != "france-services" and france_services(f)]
        for a in fs:
            for b in autres:
                ajouter("fs_vs_cnfs", a["ref"], b["ref"])

    # 6. négatifs faciles : même cp, paire tirée au hasard plus bas
    # 7. familles dérivées
    tous = set().union(*familles.values())
    for a, b in sorted(tous):
        fa, fb = par_ref[a], par_ref[b]
        if itinerant(fa) or itinerant(fb):
            ajouter("itinerant", a, b)
        if fa["source"] == fb["source"]:
            ajouter("intra_source", a, b)
    return familles, par_cp


# ---------------------------------------------------------------- sortie


COLONNES = [
    "n", "famille", "ref_a", "ref_b", "distance_m", "jaccard_nom",
    "nom_a", "nom_b", "adresse_a", "adresse_b", "cp_commune_a", "cp_commune_b",
    "tel_a", "tel_b", "courriel_a", "courriel_b", "pivot_a", "pivot_b",
    "extra_a", "extra_b", "services_a", "services_b",
]


def ligne(n, famille, fa, fb):
    d = distance_m(fa, fb)
    return {
        "n": n,
        "famille": famille,
        "ref_a": fa["ref"], "ref_b": fb["ref"],
        "distance_m": "" if d is None else f"{d:.0f}",
        "jaccard_nom": f"{jaccard(fa['nom'], fb['nom']):.2f}",
        "nom_a": fa["nom"], "nom_b": fb["nom"],
        "adresse_a": fa["adresse"], "adresse_b": fb["adresse"],
        "cp_commune_a": f"{fa['cp']} {fa['commune']}", "cp_commune_b": f"{fb['cp']} {fb['commune']}",
        "tel_a": fa["tel"], "tel_b": fb["tel"],
        "courriel_a": fa["courriel"], "courriel_b": fb["courriel"],
        "pivot_a": fa["pivot"], "pivot_b": fb["pivot"],
        "extra_a": fa["extra"], "extra_b": fb["extra"],
        "services_a": fa["services"][:200], "services_b": fb["services"][:200],
    }


def verifier(chemin, par_ref):
    vues = set()
    compte = {"oui": 0, "non": 0}
    with open(chemin, newline="", encoding="utf-8") as f:
        lecteur = csv.DictReader(f)
        assert lecteur.fieldnames == ["ref_a", "ref_b", "meme_lieu", "raison"], lecteur.fieldnames
        for i, r in enumerate(lecteur, 2):
            for cle in ("ref_a", "ref_b"):
                assert r[cle] in par_ref, f"ligne {i}: référence inconnue {r[cle]}"
            assert r["ref_a"] != r["ref_b"], f"ligne {i}: paire réflexive"
            p = tuple(sorted((r["ref_a"], r["ref_b"])))
            assert p not in vues, f"ligne {i}: paire en double {p}"
            vues.add(p)
            assert r["meme_lieu"] in compte, f"ligne {i}: meme_lieu={r['meme_lieu']!r}"
            assert r["raison"].strip(), f"ligne {i}: raison vide"
            compte[r["meme_lieu"]] += 1
    print(f"{chemin}: {len(vues)} paires valides ({compte['oui']} oui, {compte['non']} non)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--donnees", type=Path, default=DOSSIER_DEFAUT)
    ap.add_argument("--sortie", type=Path, default=SORTIE_DEFAUT)
    ap.add_argument("--verifier", type=Path, metavar="PAIRES_CSV",
                    help="vérifie seulement qu'un fichier d'étiquettes est bien formé "
                         "(références existantes, pas de doublon, oui/non)")
    args = ap.parse_args()

    rng = random.Random(GRAINE)
    fiches = charger(args.donnees)
    par_ref = {f["ref"]: f for f in fiches}
    if args.verifier:
        verifier(args.verifier, par_ref)
        return
    familles, par_cp = candidats(fiches)

    deja = set()
    lignes = []
    for famille in QUOTAS:
        paires = sorted(familles.get(famille, set()) - deja)
        if famille == "meme_cp_aleatoire":
            paires = []
            cps = sorted(cp for cp, c in par_cp.items() if len(c) >= 4)
            essais = 0
            while len(paires) < QUOTAS[famille] and essais < 10000:
                essais += 1
                contenu = sorted(par_cp[rng.choice(cps)], key=lambda f: f["ref"])
                a, b = rng.sample(contenu, 2)
                p = tuple(sorted((a["ref"], b["ref"])))
                if p not in deja and p not in paires and jaccard(a["nom"], b["nom"]) < 0.3:
                    paires.append(p)
        else:
            rng.shuffle(paires)
            paires = paires[:QUOTAS[famille]]
        for a, b in paires:
            deja.add((a, b))
            lignes.append((famille, par_ref[a], par_ref[b]))
    for a, b in AJOUTS_LECTURE:
        p = tuple(sorted((a, b)))
        if p not in deja:
            deja.add(p)
            lignes.append(("ajout_lecture", par_ref[p[0]], par_ref[p[1]]))

    with open(args.sortie, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLONNES)
        w.writeheader()
        for n, (famille, fa, fb) in enumerate(lignes, 1):
            w.writerow(ligne(n, famille, fa, fb))
    print(f"{len(lignes)} paires candidates écrites dans {args.sortie}")
    for famille in QUOTAS:
        print(f"  {famille}: {len(familles.get(famille, ())) if famille != 'meme_cp_aleatoire' else '-'} "
              f"disponibles, {sum(1 for l in lignes if l[0] == famille)} tirées")


if __name__ == "__main__":
    main()
