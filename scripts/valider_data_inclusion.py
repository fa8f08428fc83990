#!/usr/bin/env python3
"""Valide un export data·inclusion (structures.json et services.json d'un répertoire) avec le
paquet officiel `data-inclusion-schema` (PyPI, modèles pydantic du schéma v1).

Usage : valider_data_inclusion.py RÉPERTOIRE
Écrit un rapport JSON sur la sortie standard : nombres de structures et de services, nombre
d'erreurs (validation stricte : les avertissements du paquet comptent comme des erreurs), les
50 premières erreurs, et la version du paquet. Code de sortie 0 si aucune erreur, 1 sinon.
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import pydantic
from data_inclusion.schema import v1

# Les avertissements (« le nom ne doit pas se terminer par un point ») sont levés comme
# erreurs avec ce contexte.
STRICT = {"ignore_warnings": False}


def valider(modele, objets, nom, erreurs):
    ids = set()
    for i, objet in enumerate(objets):
        try:
            modele.model_validate(objet, context=STRICT)
        except pydantic.ValidationError as e:
            for err in e.errors():
                erreurs.append(
                    {
                        "fichier": nom,
                        "rang": i,
                        "id": objet.get("id"),
                        "champ": ".".join(str(x) for x in err["loc"]),
                        "message": err["msg"],
                    }
                )
        ident = objet.get("id")
        if ident in ids:
            erreurs.append({"fichier": nom, "rang": i, "id": ident, "champ": "id",
                            "message": "identifiant en double"})
        ids.add(ident)
    return ids


def main():
    repertoire = Path(sys.argv[1])
    structures = json.loads((repertoire / "structures.json").read_text(encoding="utf-8"))
    services = json.loads((repertoire / "services.json").read_text(encoding="utf-8"))
    erreurs = []
    ids_structures = valider(v1.Structure, structures, "structures.json", erreurs)
    valider(v1.Service, services, "services.json", erreurs)
    for i, s in enumerate(services):
        if s.get("structure_id") not in ids_structures:
            erreurs.append({"fichier": "services.json", "rang": i, "id": s.get("id"),
                            "champ": "structure_id", "message": "structure inconnue"})
    rapport = {
        "paquet": version("data-inclusion-schema"),
        "structures": len(structures),
        "services": len(services),
        "nombre_erreurs": len(erreurs),
        "erreurs": erreurs[:50],
    }
    json.dump(rapport, sys.stdout, ensure_ascii=False, indent=1)
    sys.exit(0 if not erreurs else 1)


if __name__ == "__main__":
    main()
