#!/usr/bin/env python3
"""Generates a large place file for the import memory measurements (docs/PERFORMANCE.md,
« Import d'un fichier de 1 Go »). Written as a stream: the generator itself stays small.

  scripts/genere-gros-import.py uns     TAILLE_MO FICHIER   # [1,1,1,…]: every element rejected
  scripts/genere-gros-import.py longs   TAILLE_MO FICHIER   # v1 JSON places with a 20,000-character
                                                            # presentation_detail (over its limit): rejected
  scripts/genere-gros-import.py valides TAILLE_MO FICHIER   # v1 CSV of valid places (real communes
                                                            # of Haute-Garonne, distinct addresses)
"""

import json
import sys

COMMUNES = [
    ("31555", "31000", "Toulouse", 43.6045, 1.4440),
    ("31069", "31700", "Blagnac", 43.6373, 1.3906),
    ("31149", "31770", "Colomiers", 43.6115, 1.3346),
    ("31395", "31600", "Muret", 43.4612, 1.3270),
    ("31557", "31170", "Tournefeuille", 43.5853, 1.3447),
    ("31483", "31800", "Saint-Gaudens", 43.1080, 0.7234),
]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mode, taille_mo, chemin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cible = taille_mo * 1_000_000
    ecrit = 0
    with open(chemin, "w", encoding="utf-8", buffering=1 << 20) as f:
        def w(s):
            nonlocal ecrit
            f.write(s)
            ecrit += len(s.encode("utf-8"))

        if mode == "uns":
            w("[1")
            morceau = ",1" * 50_000
            while ecrit < cible:
                w(morceau)
            w("]\n")
        elif mode == "longs":
            w("[")
            detail = "é" * 20_000
            i = 0
            while ecrit < cible:
                lieu = {
                    "id": f"long-{i}",
                    "nom": f"Lieu {i}",
                    "adresse": f"{i} rue de la République",
                    "code_postal": "31000",
                    "commune": "Toulouse",
                    "date_maj": "2026-10-01",
                    "presentation_detail": detail,
                }
                w(("," if i else "") + json.dumps(lieu, ensure_ascii=False))
                i += 1
            w("]\n")
        elif mode == "valides":
            w("id,nom,adresse,code_postal,code_insee,commune,latitude,longitude,telephone,"
              "horaires,services,frais_a_charge,presentation_detail,date_maj\n")
            i = 0
            while ecrit < cible:
                insee, cp, commune, lat, lon = COMMUNES[i % len(COMMUNES)]
                k = i // len(COMMUNES)
                w(f"v{i},Espace numérique {k},{k} rue des Lilas,{cp},{insee},{commune},"
                  f"{lat + (k % 997) * 1e-4:.5f},{lon + (k % 991) * 1e-4:.5f},05 61 00 00 00,"
                  f"Mo-Fr 09:00-12:00,Aide aux démarches administratives|Maîtrise des outils "
                  f"numériques du quotidien,Gratuit,Accueil sans rendez-vous le matin,2026-10-01\n")
                i += 1
        else:
            sys.exit(__doc__)
    print(f"{chemin} : {ecrit / 1e6:.0f} Mo")


if __name__ == "__main__":
    main()
